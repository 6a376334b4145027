// `tandem import items`: a CSV/JSONL file into a workflow, row by row through the submit use
// case, with a progress bar on stderr and a summary (or the whole report as JSON) on stdout.
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import type { Db } from '../store/db.ts';
import { missingWorkflows } from '../store/workflows.ts';
import { createEngine } from '../engine/engine.ts';
import { importItems, type ItemImportReport } from '../engine/importItems.ts';
import type { Principal } from '../engine/principals.ts';
import { Progress } from './progress.ts';
import { readRecords } from './tables.ts';
import { UsageError } from './flags.ts';


/** Rejected rows listed in the human summary; --json lists them all. */
const listed = 20;

const importer: Principal = { kind: 'key', id: 'cli-import', name: 'import', role: 'admin', workflows: null };

export async function importItemsCommand(args: string[], withDb: <T>(fn: (db: Db) => Promise<T>) => Promise<T>): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      workflow: { type: 'string' },
      'text-column': { type: 'string' },
      'key-column': { type: 'string' },
      fields: { type: 'string' },
      metadata: { type: 'string' },
      json: { type: 'boolean' },
    },
    allowPositionals: true,
    strict: true,
  });
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new UsageError('name one file: tandem import items FILE --workflow NAME');
  if (!values.workflow) throw new UsageError('--workflow is required');
  if (!existsSync(file)) throw new UsageError(`no file ${file}`);
  const list = (s: string | undefined) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : []);
  const columns = {
    text: values['text-column'] ?? 'text',
    key: values['key-column'] ?? null,
    fields: values.fields === undefined ? null : list(values.fields),
    metadata: list(values.metadata),
  };
  const { format, records } = readRecords(file);
  if (records.length === 0) throw new UsageError(`${file} has no rows`);
  // A column named on the command line that no row has is a mistake about the file, not a row.
  const seen = new Set(records.flatMap((r) => ('values' in r ? Object.keys(r.values) : [])));
  for (const c of [...(columns.key === null ? [] : [columns.key]), ...(columns.fields ?? []), ...columns.metadata]) {
    if (!seen.has(c)) throw new UsageError(`${file} has no column "${c}"`);
  }
  if (seen.size === 0) throw new UsageError(`${file} has no readable rows`);

  const report = await withDb(async (db) => {
    const [missing] = await missingWorkflows(db, [values.workflow!]);
    if (missing !== undefined) throw new UsageError(`no workflow named "${missing}"`);
    const engine = await createEngine(db);
    try {
      const wf = await engine.workflows.get(db, values.workflow!);
      const bar = new Progress('importing', records.length);
      const r = await importItems(engine, importer, wf, records, columns, { cellsAreText: format === 'csv', progress: (done) => bar.update(done) });
      bar.finish();
      return r;
    } finally {
      await engine.close();
    }
  });
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : summary(report));
  return 0;
}

function summary(r: ItemImportReport): string {
  // Sorted: the routes are counted as concurrent submits finish, so their insertion order varies run to run.
  const routes = Object.entries(r.routes).sort(([a], [b]) => a.localeCompare(b)).map(([route, n]) => `${route} ${n}`).join(', ');
  const lines = [`read ${r.read} rows: imported ${r.imported}${routes ? ` (${routes})` : ''}, skipped as already in ${r.skipped}, rejected ${r.rejected.length}`];
  for (const x of r.rejected.slice(0, listed)) lines.push(`  row ${x.row}: ${x.reason}`);
  if (r.rejected.length > listed) lines.push(`  … and ${r.rejected.length - listed} more (--json lists all)`);
  return `${lines.join('\n')}\n`;
}
