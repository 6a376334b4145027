import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBatcher } from './batcher.ts';

/** A run that records each batch and finishes when told. */
function recorder() {
  const batches: number[][] = [];
  const finish: Array<() => void> = [];
  const run = (inputs: number[]) =>
    new Promise<number[]>((resolve) => {
      batches.push(inputs);
      finish.push(() => resolve(inputs.map((i) => i * 10)));
    });
  return { batches, finish, run };
}

test('a lone input goes at once; what arrives while batches are out goes together, in order', async () => {
  const r = recorder();
  const add = createBatcher(r.run, { inFlight: 2 });
  const outs = [1, 2, 3, 4, 5].map((i) => add(i));
  assert.deepEqual(r.batches, [[1], [2]]);
  r.finish[0]!();
  await outs[0];
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(r.batches, [[1], [2], [3, 4, 5]]);
  r.finish[1]!();
  r.finish[2]!();
  assert.deepEqual(await Promise.all(outs), [10, 20, 30, 40, 50]);
});

test('a batch that fails fails each of its inputs, and the batcher goes on', async () => {
  let fail = true;
  const add = createBatcher(async (inputs: number[]) => {
    if (fail) throw new Error('down');
    return inputs;
  }, { inFlight: 1 });
  await assert.rejects(add(1), /down/);
  fail = false;
  assert.equal(await add(2), 2);
});

test('a batch held back by `before` goes when it settles, with what arrived meanwhile', async () => {
  const r = recorder();
  let release: () => void = () => undefined;
  let holding = true;
  const add = createBatcher(r.run, { before: () => (holding ? new Promise<void>((resolve) => (release = resolve)) : null) });
  const outs = [add(1), add(2)];
  add(3).catch(() => undefined);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(r.batches, [], 'nothing goes while held');
  holding = false;
  release();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(r.batches, [[1, 2, 3]]);
  r.finish[0]!();
  assert.deepEqual(await Promise.all(outs), [10, 20]);
});
