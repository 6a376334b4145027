// Settings from the environment, with the defaults a newcomer's `npm start` needs.
import { otlpTracesUrl } from './tracing.ts';
export interface Config {
  databaseUrl: string | undefined;
  dataDir: string;
  host: string;
  port: number;
  adminKey: string | undefined;
  leaseSeconds: number;
  tickMs: number;
  rateLimitPerMinute: number;
  bodyLimit: number;
  poolSize: number;
  /** Connections kept for submits, beside poolSize (store/db.ts Db.intake). */
  intakePoolSize: number;
  retrainMs: number;
  /** How often Dawid–Skene is refitted for workflows whose consensus is weighted by it. */
  estimateMs: number;
  /** How often the surge controller measures each workflow's load and moves its surge state. */
  surgeMs: number;
  /** How often one process looks whether the queue's tables need a VACUUM or ANALYZE (engine/upkeep.ts); 0: never. */
  upkeepMs: number;
  demoIntervalMs: number;
  /** Bearer token that may scrape /metrics from anywhere; without it only 127.0.0.1 may. */
  metricsToken: string | undefined;
  /** OTLP/HTTP traces URL (from OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT); tracing is off without it. */
  otlpTracesUrl: string | undefined;
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be a whole number from ${min} to ${max}, not "${raw}"`);
  return n;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: env.TANDEM_DATA_DIR || './.tandem/data',
    host: env.TANDEM_HOST || '127.0.0.1',
    port: intFrom(env, 'PORT', 3000, 0, 65535),
    adminKey: env.TANDEM_ADMIN_KEY || undefined,
    leaseSeconds: intFrom(env, 'TANDEM_LEASE_SECONDS', 300, 5, 86_400),
    tickMs: intFrom(env, 'TANDEM_TICK_MS', 1000, 50, 600_000),
    rateLimitPerMinute: intFrom(env, 'TANDEM_RATE_LIMIT', 6000, 1, 100_000_000),
    bodyLimit: intFrom(env, 'TANDEM_BODY_LIMIT', 256 * 1024, 1024, 64 * 1024 * 1024),
    poolSize: intFrom(env, 'TANDEM_POOL_SIZE', 10, 1, 1000),
    intakePoolSize: intFrom(env, 'TANDEM_INTAKE_POOL_SIZE', 8, 1, 1000),
    retrainMs: intFrom(env, 'TANDEM_RETRAIN_MS', 5000, 100, 86_400_000),
    estimateMs: intFrom(env, 'TANDEM_ESTIMATE_MS', 60_000, 100, 86_400_000),
    surgeMs: intFrom(env, 'TANDEM_SURGE_MS', 10_000, 50, 86_400_000),
    upkeepMs: intFrom(env, 'TANDEM_UPKEEP_MS', 2000, 0, 86_400_000),
    demoIntervalMs: intFrom(env, 'TANDEM_DEMO_INTERVAL_MS', 4000, 10, 86_400_000),
    metricsToken: env.TANDEM_METRICS_TOKEN || undefined,
    otlpTracesUrl: otlpTracesUrl(env),
  };
}
