import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createTaskFactsMemo } from '../src/engine/taskFacts.ts';

const task = (n: number) => ({ id: `t${n}`, workflow: 'w', item_id: `i${n}`, kind: 'review' as const });

test('the task facts memo keeps only the facts, and forgets the oldest past its bound', () => {
  const memo = createTaskFactsMemo(4);
  memo.remember({ ...task(1), status: 'leased' } as ReturnType<typeof task>);
  assert.deepEqual(memo.get('t1'), task(1), 'nothing that changes (status, lease) is kept');
  memo.remember(task(2));
  memo.remember(task(3));
  memo.remember(task(1)); // remembered again: now among the newest
  memo.remember(task(4));
  assert.equal(memo.size, 3);
  assert.equal(memo.get('t2'), undefined, 'the oldest went');
  assert.deepEqual([1, 3, 4].map((n) => memo.get(`t${n}`)?.item_id), ['i1', 'i3', 'i4']);
});

test('property: the memo holds at most its bound, and always the newest half of it', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 20 }), fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 200 }), (max, ids) => {
      const memo = createTaskFactsMemo(max);
      for (const n of ids) memo.remember(task(n));
      const newest = [...new Set([...ids].reverse())].slice(0, Math.max(1, Math.floor(max / 2)));
      return memo.size <= max && newest.every((n) => memo.get(`t${n}`)?.item_id === `i${n}`);
    }),
    { numRuns: 300 },
  );
});
