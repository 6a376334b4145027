// Upkeep of the tables a queue churns: every claim and answer leaves dead row versions in `tasks`
// (and an answer one in `items`), and a claim walks the dead entries at the head of its index
// until a VACUUM removes them. Autovacuum may be off, or look once a minute, which at a thousand
// claims a second is tens of thousands of dead entries a claim must step over. This decides from
// the table statistics which tables to vacuum or analyze now; engine/upkeep.ts runs it.

export interface TableStats {
  table: string;
  live: number;
  dead: number;
  /** Rows inserted, updated or deleted since the table was last analyzed. */
  modifiedSinceAnalyze: number;
  /** Whether the table was ever analyzed (by anyone, autovacuum included). */
  analyzed: boolean;
  /**
   * Rows are added and hardly ever changed (events, answers): the planner scales the row count
   * by the table's size by itself, so its statistics age only slowly, as new values come in.
   */
  insertOnly?: boolean;
  /**
   * No hot path walks the table's dead rows (items: read by id or idempotency key, never scanned
   * in order like the claim scans `tasks`), so they only take space until a VACUUM, and each
   * VACUUM reads every index of the table: it is vacuumed at `quietDeadShare`.
   */
  quietDead?: boolean;
}

export interface UpkeepRules {
  /** Vacuum when the dead rows reach this many and `deadShare` of the live ones. */
  minDead: number;
  deadShare: number;
  /** Analyze when the rows changed since the last analysis reach this many and `modifiedShare` of the live ones. */
  minModified: number;
  modifiedShare: number;
  /**
   * `modifiedShare` of an insert-only table. Each ANALYZE reads a sample of up to 30,000 rows
   * whatever the table's size: a log that grows by thousands of rows a second, analyzed at every
   * 20 %, cost a saturated 2-core server several seconds of CPU a minute (bench/README.md).
   */
  insertOnlyModifiedShare: number;
  /** `deadShare` of a table whose dead rows no hot path walks (Postgres's own autovacuum default). */
  quietDeadShare: number;
}

export const defaultUpkeepRules: UpkeepRules = { minDead: 2000, deadShare: 0.05, minModified: 1000, modifiedShare: 0.2, insertOnlyModifiedShare: 1, quietDeadShare: 0.2 };

export interface UpkeepStep {
  table: string;
  vacuum: boolean;
  analyze: boolean;
  /** Why, for logs and tests. */
  reason: string;
}

/** What to do now, the table with the most dead rows first; tables that need nothing are left out. */
export function planUpkeep(stats: readonly TableStats[], rules: UpkeepRules = defaultUpkeepRules): UpkeepStep[] {
  const steps: Array<UpkeepStep & { dead: number }> = [];
  for (const s of stats) {
    const vacuum = s.dead >= Math.max(rules.minDead, (s.quietDead ? rules.quietDeadShare : rules.deadShare) * s.live);
    // A table never analyzed is planned from guesses: analyze it once it holds enough rows to matter.
    const analyze = s.analyzed
      ? s.modifiedSinceAnalyze >= Math.max(rules.minModified, (s.insertOnly ? rules.insertOnlyModifiedShare : rules.modifiedShare) * s.live)
      : s.live + s.dead >= rules.minModified;
    if (!vacuum && !analyze) continue;
    const why = [
      ...(vacuum ? [`${s.dead} dead rows beside ${s.live} live`] : []),
      ...(analyze ? [s.analyzed ? `${s.modifiedSinceAnalyze} rows changed since the last analysis` : 'never analyzed'] : []),
    ];
    steps.push({ table: s.table, vacuum, analyze, reason: why.join('; '), dead: s.dead });
  }
  return steps.sort((a, b) => b.dead - a.dead).map(({ dead: _, ...step }) => step);
}
