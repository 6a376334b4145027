// The machine's draft of a reply, as the engine makes it: from the workflow's reply library
// (model/builtin/replies.ts; every process re-reads the library at most once per `refreshMs`,
// and only when it changed), or, with drafter "model", from the openai adapter given the best
// library replies as examples. Never throws: no draft means a person writes the reply.
import type { Draft } from '../core/types.ts';
import { replySettings } from '../core/workflow.ts';
import { draftReply, indexReplies, rankReplies, type ReplyIndex } from '../model/builtin/replies.ts';
import { draftWithOpenAI } from '../model/openai.ts';
import type { Queryable } from '../store/db.ts';
import { libraryVersion, listLibrary } from '../store/replyLibrary.ts';
import type { CompiledWorkflow } from './workflows.ts';

export interface DraftRequest {
  text: string;
  intent: string | null;
  intentConfidence: number | null;
  fields: Record<string, unknown>;
  metadata: Record<string, unknown>;
  history: Array<{ author: string; text: string }>;
}

export interface Drafted {
  draft: Draft | null;
  /** Why there is no draft. */
  problem?: string;
}

export interface Drafter {
  draft(db: Queryable, wf: CompiledWorkflow, req: DraftRequest): Promise<Drafted>;
  /** Forget the cached library (after changing it in this process). */
  forget(workflow: string): void;
}

export function createDrafter(refreshMs = 1000): Drafter {
  const cache = new Map<string, { checkedAt: number; version: string; index: ReplyIndex }>();

  async function indexOf(db: Queryable, workflow: string): Promise<ReplyIndex> {
    const hit = cache.get(workflow);
    if (hit && Date.now() - hit.checkedAt < refreshMs) return hit.index;
    const version = await libraryVersion(db, workflow);
    if (hit && hit.version === version) {
      hit.checkedAt = Date.now();
      return hit.index;
    }
    const index = indexReplies({ entries: await listLibrary(db, workflow) });
    cache.set(workflow, { checkedAt: Date.now(), version, index });
    return index;
  }

  return {
    async draft(db, wf, req) {
      try {
        const index = await indexOf(db, wf.spec.name);
        const settings = replySettings(wf.spec);
        const model = wf.spec.model;
        if (settings.drafter === 'model' && model.type === 'openai') {
          const examples = req.intent === null ? [] : rankReplies(index, req.text, req.intent).slice(0, 3).map((r) => r.entry.text);
          const r = await draftWithOpenAI(
            { baseUrl: model.baseUrl, model: model.model, apiKey: process.env[model.apiKeyEnv] || undefined, timeoutMs: model.timeoutMs },
            { workflow: wf.spec.name, text: req.text, intent: req.intent, examples, history: req.history },
          );
          if (!r.ok) return { draft: null, problem: `the model could not draft: ${r.error}` };
          // The model's own confidence in its reply, discounted by how sure the intent is.
          return { draft: { text: r.text, confidence: r.confidence * (req.intentConfidence ?? 1), intent: req.intent, source: r.model } };
        }
        if (req.intent === null) return { draft: null, problem: 'no intent was predicted, so no approved reply could be chosen' };
        const d = draftReply(index, req.text, req.intent, req.intentConfidence, { fields: req.fields, metadata: req.metadata });
        if (!d) return { draft: null, problem: `no approved reply for intent "${req.intent}" in the library yet` };
        return { draft: { text: d.text, confidence: d.confidence, intent: d.intent, source: `library:${d.sourceId}` } };
      } catch (err) {
        return { draft: null, problem: `drafting failed: ${err instanceof Error ? err.message : String(err)}` };
      }
    },
    forget(workflow) {
      cache.delete(workflow);
    },
  };
}
