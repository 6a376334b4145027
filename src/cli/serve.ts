// `tandem serve`: open the database, migrate, make the first admin, load workflow files and the
// demo, start the background jobs, and serve HTTP until a signal says stop.
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../api/server.ts';
import { bootstrapAdmin } from '../engine/access.ts';
import { createEngine, type Engine } from '../engine/engine.ts';
import { startTimekeeper, type Timekeeper } from '../engine/timekeeper.ts';
import { startPeriodic } from '../engine/periodic.ts';
import { startUpkeep } from '../engine/upkeep.ts';
import { finishUnroutedMessages } from '../engine/conversations.ts';
import { startRetrainer } from '../engine/retrain.ts';
import { startEstimator } from '../engine/reviewerEstimates.ts';
import { startWebhookDispatcher } from '../engine/webhooks.ts';
import { startNotifier } from '../engine/notifications.ts';
import { startSurgeController } from '../engine/surge.ts';
import { upsertWorkflow } from '../engine/workflows.ts';
import { openDb } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';
import type { Config } from './config.ts';
import { startDemo, type Demo } from './demo.ts';
import { readWorkflowFile } from './workflowFiles.ts';
import { startTracing, type Tracing } from './tracing.ts';

export interface ServeOptions {
  workflowFiles: string[];
  demo: boolean;
  log: (line: string) => void;
}

export interface Running {
  app: FastifyInstance;
  engine: Engine;
  url: string;
  /** Null unless an OTLP endpoint is configured. */
  tracing: Tracing | null;
  stop(): Promise<void>;
}

export async function serve(config: Config, options: ServeOptions): Promise<Running> {
  const tracing = config.otlpTracesUrl ? startTracing(config.otlpTracesUrl) : null;
  if (tracing) options.log(`tracing: spans go to ${tracing.url}`);
  const db = await openDb({ url: config.databaseUrl, dataDir: config.dataDir, poolSize: config.poolSize, intakePoolSize: config.intakePoolSize });
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
  const demo: Demo | null = options.demo ? await startDemo(engine, config.demoIntervalMs, options.log) : null;

  const timekeeper: Timekeeper = startTimekeeper(db, config.tickMs, (err) => options.log(`background job failed: ${String(err)}`));
  const retrainer = startRetrainer(engine, config.retrainMs, options.log);
  const estimator = startEstimator(engine, config.estimateMs, options.log);
  const webhooks = startWebhookDispatcher(db, {}, (err) => options.log(`webhook dispatcher failed: ${String(err)}`));
  const notifier = startNotifier(db, {}, (err) => options.log(`notifier failed: ${String(err)}`));
  const surges = startSurgeController(engine, { intervalMs: config.surgeMs }, options.log);
  const upkeep = startUpkeep(db, config.upkeepMs, options.log);
  // Customer messages a crashed process left without a bot reply or handoff are finished here.
  const chatRepair = startPeriodic(() => finishUnroutedMessages(engine), 15_000, (err) => options.log(`conversation repair failed: ${String(err)}`));
  const app = await buildServer(engine, { bodyLimit: config.bodyLimit, rateLimitPerMinute: config.rateLimitPerMinute, logger: true, metricsToken: config.metricsToken });
  const address = await app.listen({ host: config.host, port: config.port });
  const url = address.replace('[::1]', 'localhost');
  let stopping: Promise<void> | null = null;
  return {
    app,
    engine,
    url,
    tracing,
    stop: () =>
      (stopping ??= (async () => {
        await demo?.stop();
        await app.close();
        await timekeeper.stop();
        await retrainer.stop();
        await estimator.stop();
        await webhooks.stop();
        await notifier.stop();
        await surges.stop();
        await upkeep?.stop();
        await chatRepair.stop();
        await engine.close();
        await db.close();
        await tracing?.stop();
      })()),
  };
}
