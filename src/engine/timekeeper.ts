// Background jobs: lease expiry and SLA watch. Any number of processes run a timekeeper; each
// tick takes a transaction-scoped advisory lock, so exactly one process does the work at a time
// and a crashed process holds nothing.
import type { Db } from '../store/db.ts';
import { expireLeases, markOverdue } from '../store/tasks.ts';
import { startPeriodic, type Periodic } from './periodic.ts';

const timekeeperLock = 7_201_002;

export interface TickResult {
  ran: boolean;
  expired: number;
  overdue: number;
}

export async function tick(db: Db): Promise<TickResult> {
  return db.transaction(async (tx) => {
    const rows = await tx.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1::bigint) AS locked', [timekeeperLock]);
    if (!rows[0]?.locked) return { ran: false, expired: 0, overdue: 0 };
    const expired = await expireLeases(tx);
    const overdue = await markOverdue(tx);
    return { ran: true, expired, overdue };
  });
}

export type Timekeeper = Periodic;

export function startTimekeeper(db: Db, intervalMs: number, onError: (err: unknown) => void): Timekeeper {
  return startPeriodic(() => tick(db), intervalMs, onError);
}
