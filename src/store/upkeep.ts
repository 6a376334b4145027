// The table statistics upkeep decides on (core/upkeep.ts), and the VACUUM and ANALYZE it runs.
import type { TableStats } from '../core/upkeep.ts';
import type { Queryable } from './db.ts';

/**
 * Statistics of these tables (null: all of them) of a schema (null: the current one); a table the
 * server has not counted yet is left out. The bench reads another schema's (graphile-worker's).
 */
export async function readTableStats(db: Queryable, tables: readonly string[] | null, schema: string | null = null): Promise<TableStats[]> {
  const rows = await db.query<{ table: string; live: string; dead: string; modified: string; analyzed: boolean }>(
    `SELECT relname AS table, n_live_tup AS live, n_dead_tup AS dead, n_mod_since_analyze AS modified,
            (last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL) AS analyzed
     FROM pg_stat_user_tables
     WHERE schemaname = coalesce($2::text, current_schema()) AND ($1::text[] IS NULL OR relname = ANY($1::text[]))`,
    [tables, schema],
  );
  return rows.map((r) => ({ table: r.table, live: Number(r.live), dead: Number(r.dead), modifiedSinceAnalyze: Number(r.modified), analyzed: r.analyzed }));
}

/**
 * VACUUM and/or ANALYZE one table, of `schema` when given. The names must come from the caller's
 * own list or the catalog, never from a request: they are identifiers, which no statement
 * parameter can carry. Outside a transaction only.
 */
export async function tidyTable(db: Queryable, table: string, what: { vacuum: boolean; analyze: boolean }, schema: string | null = null): Promise<void> {
  for (const name of schema === null ? [table] : [schema, table]) {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a table name: ${name}`);
  }
  const target = schema === null ? `"${table}"` : `"${schema}"."${table}"`;
  if (what.vacuum) await db.query(`VACUUM ${what.analyze ? '(ANALYZE) ' : ''}${target}`);
  else if (what.analyze) await db.query(`ANALYZE ${target}`);
}
