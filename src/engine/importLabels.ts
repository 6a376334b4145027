// Labelled history into a workflow's training examples: rows are checked one by one (text
// present, label known), the good ones go in in batches, and every refused row is reported
// with its reason. Re-running the same import adds nothing.
import type { Queryable } from '../store/db.ts';
import { insertImportedExamples } from '../store/examples.ts';
import type { CompiledWorkflow } from './workflows.ts';

export interface ImportReport {
  read: number;
  imported: number;
  skipped: number;
  rejected: Array<{ row: number; reason: string }>;
}

export async function importLabels(
  db: Queryable,
  wf: CompiledWorkflow,
  rows: ReadonlyArray<Record<string, string>>,
  columns: { text: string; label: string },
  progress: (done: number, total: number) => void = () => {},
): Promise<ImportReport> {
  const known = new Set(wf.labels);
  const good: Array<{ text: string; label: string }> = [];
  const rejected: ImportReport['rejected'] = [];
  rows.forEach((r, i) => {
    const text = r[columns.text]?.trim();
    const label = r[columns.label]?.trim();
    // Row numbers as a person counts them in the file: the header is line 1.
    if (!text) rejected.push({ row: i + 2, reason: `no text in column "${columns.text}"` });
    else if (!label) rejected.push({ row: i + 2, reason: `no label in column "${columns.label}"` });
    else if (!known.has(label)) rejected.push({ row: i + 2, reason: `label "${label}" is not one of the workflow's labels` });
    else good.push({ text, label });
  });
  let imported = 0;
  const batch = 1000;
  for (let i = 0; i < good.length; i += batch) {
    imported += await insertImportedExamples(db, wf.spec.name, good.slice(i, i + batch));
    progress(Math.min(i + batch, good.length), good.length);
  }
  return { read: rows.length, imported, skipped: good.length - imported, rejected };
}
