// Items in bulk, each submitted exactly as live traffic is (validation, model, routing, outbox
// events), so an import is indistinguishable from the same items sent through the API. Every
// row has an idempotency key, which makes a re-run skip what is already in; a row that cannot
// be an item is reported with its reason and the others still go in.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/canonicalJson.ts';
import type { RouteKind } from '../core/types.ts';
import type { Engine } from './engine.ts';
import { EngineError } from './errors.ts';
import type { Principal } from './principals.ts';
import { submitItem } from './submit.ts';
import type { CompiledWorkflow } from './workflows.ts';

export type ImportRecord = { row: number; values: Record<string, unknown> } | { row: number; error: string };

export interface ItemColumns {
  text: string;
  /** The column holding each row's idempotency key; null: a hash of the row's content. */
  key: string | null;
  /** Columns that become the item's fields; null: every column that is not text, key or metadata. */
  fields: string[] | null;
  metadata: string[];
}

export interface ItemImportReport {
  read: number;
  imported: number;
  /** Rows whose item was already in (an earlier run, or a repeated row). */
  skipped: number;
  routes: Partial<Record<RouteKind, number>>;
  rejected: Array<{ row: number; reason: string }>;
}

/** Rows submitted at once: enough to overlap model calls and writes, few enough for a small pool. */
const concurrency = 4;

export async function importItems(
  engine: Engine,
  principal: Principal,
  wf: CompiledWorkflow,
  records: ReadonlyArray<ImportRecord>,
  columns: ItemColumns,
  options: { cellsAreText: boolean; progress?: (done: number) => void },
): Promise<ItemImportReport> {
  const report: ItemImportReport = { read: records.length, imported: 0, skipped: 0, routes: {}, rejected: [] };
  // A file with no text column holds fields-only items; one with it needs text on every row.
  const hasText = records.some((r) => 'values' in r && columns.text in r.values);
  const types = schemaTypes(wf);
  let done = 0;
  let next = 0;
  const one = async (record: ImportRecord): Promise<void> => {
    if ('error' in record) return void report.rejected.push({ row: record.row, reason: record.error });
    const made = itemOf(record.values, columns, hasText, options.cellsAreText ? types : null);
    if (typeof made === 'string') return void report.rejected.push({ row: record.row, reason: made });
    try {
      const result = await submitItem(engine, principal, { workflow: wf.spec.name, ...made });
      if (!result.created) report.skipped++;
      else {
        report.imported++;
        report.routes[result.route.route] = (report.routes[result.route.route] ?? 0) + 1;
      }
    } catch (err) {
      if (!(err instanceof EngineError)) throw err;
      report.rejected.push({ row: record.row, reason: [err.message, ...err.problems.map((p) => `${p.path}: ${p.message}`)].join('; ') });
    }
  };
  const worker = async (): Promise<void> => {
    while (next < records.length) {
      await one(records[next++]!);
      options.progress?.(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, records.length) }, worker));
  report.rejected.sort((a, b) => a.row - b.row);
  return report;
}

type Made = { text: string | null; fields: Record<string, unknown>; metadata: Record<string, unknown>; idempotencyKey: string };

function itemOf(values: Record<string, unknown>, columns: ItemColumns, hasText: boolean, types: Map<string, string> | null): Made | string {
  const rawText = values[columns.text];
  if (hasText && (rawText === undefined || rawText === null || rawText === '')) return `no text in column "${columns.text}"`;
  if (rawText !== undefined && rawText !== null && typeof rawText !== 'string') return `column "${columns.text}" is not text`;
  const text = typeof rawText === 'string' && rawText.trim() !== '' ? rawText : null;
  if (hasText && text === null) return `no text in column "${columns.text}"`;

  let idempotencyKey: string;
  if (columns.key !== null) {
    const key = values[columns.key];
    if (key === undefined || key === null || key === '') return `no key in column "${columns.key}"`;
    idempotencyKey = typeof key === 'string' ? key : canonicalJson(key);
    if (idempotencyKey.length > 200) return `the key in column "${columns.key}" is longer than 200 characters`;
  } else {
    // The same row content is the same item, whichever file or run it comes from.
    idempotencyKey = `import:${createHash('sha256').update(canonicalJson(values)).digest('hex').slice(0, 40)}`;
  }

  const taken = new Set([columns.text, ...(columns.key === null ? [] : [columns.key]), ...columns.metadata]);
  const fieldNames = columns.fields ?? Object.keys(values).filter((k) => !taken.has(k));
  const fields: Record<string, unknown> = {};
  for (const name of fieldNames) {
    const v = values[name];
    // An empty CSV cell is an absent value, so optional fields stay optional.
    if (v === undefined || (types !== null && v === '')) continue;
    fields[name] = types !== null && typeof v === 'string' ? cell(v, types.get(name)) : v;
  }
  const metadata: Record<string, unknown> = {};
  for (const name of columns.metadata) if (values[name] !== undefined && values[name] !== '') metadata[name] = values[name];
  if (text === null && Object.keys(fields).length === 0) return 'no text and no fields';
  return { text, fields, metadata, idempotencyKey };
}

/** The JSON type the workflow's input schema declares for each top-level field. */
function schemaTypes(wf: CompiledWorkflow): Map<string, string> {
  const props = wf.spec.inputSchema?.properties;
  const types = new Map<string, string>();
  if (props && typeof props === 'object') {
    for (const [name, p] of Object.entries(props as Record<string, unknown>)) {
      const type = p && typeof p === 'object' ? (p as { type?: unknown }).type : undefined;
      if (typeof type === 'string') types.set(name, type);
    }
  }
  return types;
}

/**
 * A CSV cell read as the type the schema asks for. A cell that does not fit stays text, so the
 * schema check rejects the row with the field's own message.
 */
function cell(v: string, type: string | undefined): unknown {
  const s = v.trim();
  if ((type === 'number' || type === 'integer') && /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(s)) return Number(s);
  if (type === 'boolean' && (s === 'true' || s === 'false')) return s === 'true';
  if (type === 'object' || type === 'array') {
    try {
      return JSON.parse(s);
    } catch {
      return v;
    }
  }
  return v;
}
