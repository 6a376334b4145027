import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBatcher } from './batcher.ts';
import { createIntakeFirst } from './intakeFirst.ts';

const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('with no set of submits out, a reviewers\' set is not held', () => {
  const first = createIntakeFirst(1000);
  assert.equal(first.yieldTo(), null);
  first.enter();
  first.leave();
  assert.equal(first.yieldTo(), null);
});

test('a reviewers\' set waits while submits are out and goes when the last of them is back', async () => {
  const first = createIntakeFirst(10_000);
  first.enter();
  first.enter();
  let gone = false;
  const held = first.yieldTo()!.then(() => (gone = true));
  first.leave();
  await later(5);
  assert.equal(gone, false, 'one set of submits is still out');
  first.leave();
  await held;
  assert.equal(gone, true);
});

test('a stream of submits holds a reviewers\' set no longer than the longest wait', async () => {
  const first = createIntakeFirst(30);
  first.enter();
  const t0 = performance.now();
  await first.yieldTo();
  const waited = performance.now() - t0;
  assert.ok(waited >= 25 && waited < 1000, `waited ${waited} ms`);
  first.leave();
});

test('claims behind a set of submits go after it, together', async () => {
  const first = createIntakeFirst(10_000);
  const order: string[] = [];
  let finishSubmits: () => void = () => undefined;
  const submits = createBatcher(async (xs: string[]) => {
    first.enter();
    order.push(`submits ${xs.join(',')}`);
    await new Promise<void>((resolve) => (finishSubmits = resolve));
    first.leave();
    return xs;
  });
  const claims = createBatcher(
    async (xs: string[]) => {
      order.push(`claims ${xs.join(',')}`);
      return xs;
    },
    { before: () => first.yieldTo() },
  );
  const s = submits('s1');
  const c = [claims('c1'), claims('c2')];
  await later(5);
  assert.deepEqual(order, ['submits s1']);
  finishSubmits();
  await Promise.all([s, ...c]);
  assert.deepEqual(order, ['submits s1', 'claims c1,c2']);
});
