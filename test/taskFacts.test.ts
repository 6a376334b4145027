import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTaskFactsMemo } from '../src/engine/taskFacts.ts';

const task = (n: number) => ({ id: `t${n}`, workflow: 'w', item_id: `i${n}`, kind: 'review' as const });

test('the task facts memo keeps only the facts, and forgets the oldest past its bound', () => {
  const memo = createTaskFactsMemo(3);
  memo.remember({ ...task(1), status: 'leased' } as ReturnType<typeof task>);
  assert.deepEqual(memo.get('t1'), task(1), 'nothing that changes (status, lease) is kept');
  for (const n of [2, 3]) memo.remember(task(n));
  memo.remember(task(1)); // remembered again: now the newest
  memo.remember(task(4));
  assert.equal(memo.size, 3);
  assert.equal(memo.get('t2'), undefined, 'the oldest went');
  assert.deepEqual([1, 3, 4].map((n) => memo.get(`t${n}`)?.item_id), ['i1', 'i3', 'i4']);
});
