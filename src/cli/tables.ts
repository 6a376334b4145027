// Labelled rows from CSV (RFC 4180: quoted fields, doubled quotes, newlines inside quotes) or
// JSONL files, for imports and benchmarks.
import { readFileSync } from 'node:fs';

export type Row = Record<string, string>;

export function parseCsv(text: string): Row[] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  const [header, ...rows] = records.filter((r) => !(r.length === 1 && r[0] === ''));
  if (!header) return [];
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h.replace(/^\uFEFF/, ''), r[i] ?? ''])));
}

export function parseJsonl(text: string, file: string): Row[] {
  return text
    .split('\n')
    .map((line, i) => ({ line: line.trim(), n: i + 1 }))
    .filter(({ line }) => line !== '')
    .map(({ line, n }) => {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw new Error(`${file}:${n}: not a JSON object`);
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${file}:${n}: not a JSON object`);
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
    });
}

/** Rows of a .csv or .jsonl/.json file. */
export function readRows(file: string): Row[] {
  const text = readFileSync(file, 'utf8');
  return /\.jsonl?$/i.test(file) ? parseJsonl(text, file) : parseCsv(text);
}

/** One CSV record (RFC 4180), CRLF-terminated; a cell is quoted only when it has to be. */
export function csvRecord(cells: ReadonlyArray<string | number | null>): string {
  return `${cells.map((c) => {
    const s = c === null ? '' : String(c);
    return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
  }).join(',')}\r\n`;
}

/** One record of a file read for a bulk import: its values, or why the line could not be read. */
export type SourceRecord = { row: number; values: Record<string, unknown> } | { row: number; error: string };

/**
 * Records of a .csv or .jsonl/.json file where one bad line does not spoil the rest: a JSONL line
 * that is not a JSON object becomes an error record. JSONL values keep their JSON types (numbers
 * stay numbers for an input schema); CSV cells are strings. Row numbers are as a person counts
 * them: a JSONL line's number, a CSV record's place after the header (line 1).
 */
export function readRecords(file: string): { format: 'csv' | 'jsonl'; records: SourceRecord[] } {
  const text = readFileSync(file, 'utf8');
  if (!/\.jsonl?$/i.test(file)) return { format: 'csv', records: parseCsv(text).map((values, i) => ({ row: i + 2, values })) };
  const records: SourceRecord[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      records.push({ row: i + 1, error: `not valid JSON (${err instanceof Error ? err.message : String(err)})` });
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) records.push({ row: i + 1, error: 'not a JSON object' });
    else records.push({ row: i + 1, values: value as Record<string, unknown> });
  });
  return { format: 'jsonl', records };
}
