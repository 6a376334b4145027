// Where an export goes: a file (written whole or not at all) or standard output.
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Queryable } from '../store/db.ts';
import { exportAudit, exportLabels } from './exportData.ts';

export interface ExportRequest {
  what: 'labels' | 'audit';
  workflow: string;
  format: 'csv' | 'jsonl';
  out: string | null;
}

export async function exportCommand(db: Queryable, r: ExportRequest): Promise<{ written: number }> {
  const run = (out: Writable) =>
    r.what === 'labels' ? exportLabels(db, r.workflow, r.format, out) : exportAudit(db, r.workflow, out);
  if (r.out === null) return run(process.stdout);
  // A failed export leaves no half-written file where a complete one is expected.
  const partial = `${r.out}.partial`;
  const file = createWriteStream(partial);
  try {
    const result = await run(file);
    file.end();
    await finished(file);
    renameSync(partial, r.out);
    return result;
  } catch (err) {
    file.destroy();
    rmSync(partial, { force: true });
    throw err;
  }
}
