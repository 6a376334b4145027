import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { csvRecord, parseCsv, parseJsonl } from './tables.ts';

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
