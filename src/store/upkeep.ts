// The table statistics upkeep decides on (core/upkeep.ts), and the VACUUM and ANALYZE it runs.
import type { TableStats } from '../core/upkeep.ts';
import type { Queryable } from './db.ts';

/** Statistics of these tables of the current schema; a table the server has not counted yet is left out. */
export async function readTableStats(db: Queryable, tables: readonly string[]): Promise<TableStats[]> {
  const rows = await db.query<{ table: string; live: string; dead: string; modified: string; analyzed: boolean }>(
    `SELECT relname AS table, n_live_tup AS live, n_dead_tup AS dead, n_mod_since_analyze AS modified,
            (last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL) AS analyzed
     FROM pg_stat_user_tables WHERE schemaname = current_schema() AND relname = ANY($1::text[])`,
    [tables],
  );
  return rows.map((r) => ({ table: r.table, live: Number(r.live), dead: Number(r.dead), modifiedSinceAnalyze: Number(r.modified), analyzed: r.analyzed }));
}

/**
 * VACUUM and/or ANALYZE one table. The name must come from the caller's own list, never from a
 * request: it is an identifier, which no statement parameter can carry. Outside a transaction only.
 */
export async function tidyTable(db: Queryable, table: string, what: { vacuum: boolean; analyze: boolean }): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`not a table name: ${table}`);
  if (what.vacuum) await db.query(`VACUUM ${what.analyze ? '(ANALYZE) ' : ''}"${table}"`);
  else if (what.analyze) await db.query(`ANALYZE "${table}"`);
}
