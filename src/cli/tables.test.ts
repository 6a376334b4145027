import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { csvRecord, parseCsv, parseJsonl, readRecords } from './tables.ts';

test('CSV with quoted fields, doubled quotes, commas and newlines inside quotes', () => {
  const rows = parseCsv('text,category\r\n"Hi, there","a"\nplain,b\n"say ""hi""\nnow",c\n');
  assert.deepEqual(rows, [
    { text: 'Hi, there', category: 'a' },
    { text: 'plain', category: 'b' },
    { text: 'say "hi"\nnow', category: 'c' },
  ]);
});

test('CSV round trip: any table written with quoting reads back the same', () => {
  const cell = fc.string({ maxLength: 20 });
  fc.assert(
    fc.property(fc.array(fc.tuple(cell, cell), { maxLength: 20 }), (pairs) => {
      const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
      const text = ['a,b', ...pairs.map(([x, y]) => `${quote(x)},${quote(y)}`)].join('\n');
      assert.deepEqual(parseCsv(text), pairs.map(([a, b]) => ({ a, b })));
    }),
  );
});

test('csvRecord writes what parseCsv reads back, quotes, commas, newlines and all', () => {
  const cell = fc.string({ maxLength: 20 });
  fc.assert(
    fc.property(fc.array(fc.tuple(cell, cell), { minLength: 1, maxLength: 20 }), (pairs) => {
      const text = csvRecord(['a', 'b']) + pairs.map(([x, y]) => csvRecord([x, y])).join('');
      assert.deepEqual(parseCsv(text), pairs.map(([a, b]) => ({ a, b })));
    }),
  );
  assert.equal(csvRecord(['x', 1, null, 'say "hi", now']), 'x,1,,"say ""hi"", now"\r\n');
});

test('JSONL names the line that is not an object', () => {
  assert.deepEqual(parseJsonl('{"text":"x","n":1}\n\n', 'f.jsonl'), [{ text: 'x', n: '1' }]);
  assert.throws(() => parseJsonl('{"text":"x"}\n[1]\n', 'f.jsonl'), /f\.jsonl:2: not a JSON object/);
});

test('readRecords keeps JSON types, turns a bad JSONL line into an error record with its line number', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-tables-'));
  try {
    writeFileSync(join(dir, 'a.jsonl'), '{"text":"hi","amount":2}\n\n{oops\n[1]\n{"text":"ok"}\n');
    const { format, records } = readRecords(join(dir, 'a.jsonl'));
    assert.equal(format, 'jsonl');
    assert.deepEqual(records.map((r) => r.row), [1, 3, 4, 5]);
    assert.deepEqual(records[0], { row: 1, values: { text: 'hi', amount: 2 } });
    assert.match('error' in records[1]! ? records[1].error : '', /^not valid JSON/);
    assert.deepEqual(records[2], { row: 4, error: 'not a JSON object' });
    assert.deepEqual(records[3], { row: 5, values: { text: 'ok' } });
    writeFileSync(join(dir, 'b.csv'), 'text,amount\nhi,2\n');
    assert.deepEqual(readRecords(join(dir, 'b.csv')), { format: 'csv', records: [{ row: 2, values: { text: 'hi', amount: '2' } }] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
