import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { newId } from './ids.ts';

test('ids are version-7 UUIDs whose text order follows time', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 47 }), fc.integer({ min: 1, max: 2 ** 40 }), (t, dt) => {
      const a = newId(t);
      const b = newId(t + dt);
      assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.ok(a < b, `${a} < ${b}`);
      assert.equal(Number.parseInt(a.replace(/-/g, '').slice(0, 12), 16), t);
    }),
  );
  const many = new Set(Array.from({ length: 10_000 }, () => newId(1)));
  assert.equal(many.size, 10_000, 'unique within one millisecond');
});
