// The machine as the engine sees it: for `builtin` workflows, the newest model version in the
// database (every process checks for a newer one at most once per `refreshMs` and loads it);
// for outside models, the adapters.
import type { Prediction } from '../core/types.ts';
import { predict as predictBuiltin, type Model } from '../model/builtin/linear.ts';
import { deserialize } from '../model/builtin/serialize.ts';
import type { ScoringRequest } from '../model/http.ts';
import { predict as predictOutside } from '../model/index.ts';
import type { Queryable } from '../store/db.ts';
import { getModelWeights, latestModelVersion } from '../store/modelVersions.ts';
import type { CompiledWorkflow } from './workflows.ts';

interface Loaded {
  version: number;
  model: Model;
}

export interface ModelRegistry {
  predict(db: Queryable, wf: CompiledWorkflow, req: ScoringRequest): Promise<Prediction | null>;
  /** Forget the cached version so the next prediction checks the database (after training here). */
  invalidate(workflow: string): void;
}

export function createModelRegistry(refreshMs = 1000): ModelRegistry {
  const cache = new Map<string, { checkedAt: number; loaded: Loaded | null; pending: Promise<Loaded | null> | null }>();

  async function refresh(db: Queryable, workflow: string, current: Loaded | null): Promise<Loaded | null> {
    const latest = await latestModelVersion(db, workflow);
    if (!latest) return null;
    if (current && current.version === latest.version) return current;
    const bytes = await getModelWeights(db, latest.id);
    if (!bytes) return current;
    return { version: latest.version, model: deserialize(bytes) };
  }

  async function loaded(db: Queryable, workflow: string): Promise<Loaded | null> {
    let entry = cache.get(workflow);
    if (!entry) {
      entry = { checkedAt: 0, loaded: null, pending: null };
      cache.set(workflow, entry);
    }
    if (Date.now() - entry.checkedAt < refreshMs) return entry.loaded;
    const e = entry;
    e.pending ??= refresh(db, workflow, e.loaded)
      .then((l) => {
        e.loaded = l;
        e.checkedAt = Date.now();
        return l;
      })
      .finally(() => {
        e.pending = null;
      });
    return e.pending;
  }

  return {
    async predict(db, wf, req) {
      const spec = wf.spec.model;
      if (spec.type !== 'builtin') return predictOutside(spec, req);
      const model = `builtin:${wf.spec.name}`;
      const current = await loaded(db, wf.spec.name);
      if (!current) {
        return { labels: {}, label: null, confidence: null, explanation: [], model, error: `no model trained yet: it trains once ${spec.minExamples} labelled examples exist` };
      }
      const text = [req.text ?? '', ...Object.values(req.fields).filter((v): v is string => typeof v === 'string')].join(' ').trim();
      const p = predictBuiltin(current.model, text);
      return { labels: p.labels, label: p.label, confidence: p.confidence, explanation: p.evidence, model: `${model}@v${current.version}`, coverage: p.coverage };
    },
    invalidate(workflow) {
      cache.delete(workflow);
    },
  };
}
