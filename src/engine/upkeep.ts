// Keeps the queue's tables fit on a Postgres server (core/upkeep.ts says why and when): one
// process at a time (a job lease) reads the table statistics every TANDEM_UPKEEP_MS and vacuums
// or analyzes what needs it. The embedded database is left alone: it has one connection, which a
// VACUUM would hold while every request waits.
import { randomUUID } from 'node:crypto';
import { defaultUpkeepRules, planUpkeep, type UpkeepRules, type UpkeepStep } from '../core/upkeep.ts';
import type { Db } from '../store/db.ts';
import { releaseJobLease, tryTakeJobLease } from '../store/jobLeases.ts';
import { readTableStats, tidyTable } from '../store/upkeep.ts';
import { startPeriodic, type Periodic } from './periodic.ts';

/** Tandem's tables whose rows are updated or deleted, or that grow fast enough to need fresh statistics. */
export const upkeepTables = [
  'tasks', 'items', 'events', 'answers', 'decisions', 'examples', 'job_leases', 'sessions',
  'webhook_deliveries', 'notifications', 'surge_states', 'conversations', 'conversation_messages',
] as const;

/** Those of them whose rows are only added (core/upkeep.ts analyzes them less often). */
const insertOnlyTables: ReadonlySet<string> = new Set(['events', 'answers', 'decisions', 'examples']);

/**
 * Those whose dead rows no hot path walks (core/upkeep.ts vacuums them less often). In bench
 * scale `items` was vacuumed every few seconds at 5 % like `tasks`, each time reading all of its
 * indexes, for dead rows that only took space.
 */
const quietDeadTables: ReadonlySet<string> = new Set(['items']);

/** One pass: what it did, in order. */
export async function upkeepPass(db: Db, owner: string, rules: UpkeepRules = defaultUpkeepRules): Promise<UpkeepStep[]> {
  if (db.kind !== 'postgres') return [];
  if (!(await tryTakeJobLease(db, 'upkeep', owner, 60))) return [];
  try {
    const stats = (await readTableStats(db, upkeepTables)).map((s) => ({ ...s, insertOnly: insertOnlyTables.has(s.table), quietDead: quietDeadTables.has(s.table) }));
    const steps = planUpkeep(stats, rules);
    for (const step of steps) await tidyTable(db, step.table, step);
    return steps;
  } finally {
    await releaseJobLease(db, 'upkeep', owner);
  }
}

export function startUpkeep(db: Db, intervalMs: number, log: (line: string) => void): Periodic | null {
  if (db.kind !== 'postgres' || intervalMs === 0) return null;
  const owner = randomUUID();
  return startPeriodic(() => upkeepPass(db, owner), intervalMs, (err) => log(`table upkeep failed: ${String(err)}`));
}
