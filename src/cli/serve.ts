// `tandem serve`: open the database, migrate, make the first admin, load workflow files and the
// demo, start the background jobs, and serve HTTP until a signal says stop.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { FastifyInstance } from 'fastify';
import { workflowSpec } from '../core/workflow.ts';
import { buildServer } from '../api/server.ts';
import { bootstrapAdmin } from '../engine/access.ts';
import { createEngine, type Engine } from '../engine/engine.ts';
import { submitItem } from '../engine/submit.ts';
import { startTimekeeper, type Timekeeper } from '../engine/timekeeper.ts';
import { startRetrainer } from '../engine/retrain.ts';
import { upsertWorkflow } from '../engine/workflows.ts';
import { openDb } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';
import type { Config } from './config.ts';

export interface ServeOptions {
  workflowFiles: string[];
  demo: boolean;
  log: (line: string) => void;
}

export interface Running {
  app: FastifyInstance;
  engine: Engine;
  url: string;
  stop(): Promise<void>;
}

const demoDir = fileURLToPath(new URL('../../demo/', import.meta.url));

export async function serve(config: Config, options: ServeOptions): Promise<Running> {
  const db = await openDb({ url: config.databaseUrl, dataDir: config.dataDir, poolSize: config.poolSize });
  const applied = await migrate(db);
  if (applied.length > 0) options.log(`applied migrations: ${applied.join(', ')}`);
  const engine = await createEngine(db, { adminKey: config.adminKey, leaseSeconds: config.leaseSeconds });

  const admin = await bootstrapAdmin(db);
  if (admin) {
    options.log('created the first admin account; this password is shown once, keep it:');
    options.log(`  email: ${admin.email}   password: ${admin.password}`);
  }
  for (const file of options.workflowFiles) {
    for (const spec of readWorkflowFile(file)) {
      options.log(`workflow ${spec.name}: ${await upsertWorkflow(db, engine.workflows, spec)} (from ${file})`);
    }
  }
  if (options.demo) await loadDemo(engine, options.log);

  const timekeeper: Timekeeper = startTimekeeper(db, config.tickMs, (err) => options.log(`background job failed: ${String(err)}`));
  const retrainer = startRetrainer(engine, config.retrainMs, options.log);
  const app = await buildServer(engine, { bodyLimit: config.bodyLimit, rateLimitPerMinute: config.rateLimitPerMinute, logger: true });
  const address = await app.listen({ host: config.host, port: config.port });
  const url = address.replace('[::1]', 'localhost');
  let stopping: Promise<void> | null = null;
  return {
    app,
    engine,
    url,
    stop: () =>
      (stopping ??= (async () => {
        await app.close();
        await timekeeper.stop();
        await retrainer.stop();
        await engine.close();
        await db.close();
      })()),
  };
}

/** Workflow specs from a JSON or YAML file holding one spec or a list of them. */
export function readWorkflowFile(file: string) {
  const text = readFileSync(file, 'utf8');
  const data: unknown = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  const list = Array.isArray(data) ? data : [data];
  return list.map((entry, i) => {
    const parsed = workflowSpec.safeParse(entry);
    if (!parsed.success) {
      const where = parsed.error.issues.map((x) => `${x.path.join('.') || '(root)'}: ${x.message}`).join('; ');
      throw new Error(`${file}: workflow ${i + 1} is invalid: ${where}`);
    }
    return parsed.data;
  });
}

async function loadDemo(engine: Engine, log: (line: string) => void): Promise<void> {
  const [spec] = readWorkflowFile(`${demoDir}support-triage.json`);
  if (!spec) return;
  const state = await upsertWorkflow(engine.db, engine.workflows, spec);
  if (state !== 'created') return;
  const lines = readFileSync(`${demoDir}items.jsonl`, 'utf8').split('\n').filter(Boolean);
  const system = { kind: 'key', id: 'demo', name: 'demo', role: 'admin', workflows: null } as const;
  for (const [i, line] of lines.entries()) {
    const row = JSON.parse(line) as { text: string; metadata: Record<string, unknown> };
    await submitItem(engine, system, { workflow: spec.name, text: row.text, metadata: row.metadata, idempotencyKey: `demo-${i}` });
  }
  log(`demo: workflow ${spec.name} created with ${lines.length} customer messages waiting in its review queue`);
}
