import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createFreshCache, spreadRenewal } from './freshCache.ts';

/** A look-up that counts its calls and finishes when told. */
function source() {
  let value = 'v0';
  let calls = 0;
  const finish: Array<(fail?: Error) => void> = [];
  const read = () =>
    new Promise<string>((resolve, reject) => {
      calls += 1;
      const seen = value;
      finish.push((fail) => (fail ? reject(fail) : resolve(seen)));
    });
  return {
    read,
    set: (v: string) => (value = v),
    get calls() {
      return calls;
    },
    finishAll: (fail?: Error) => finish.splice(0).forEach((f) => f(fail)),
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** A cache of 1000 ms on a clock the test moves, holding `key`'s value v0 read at time 0. */
async function primed(key: string) {
  const clock = { t: 0 };
  const cache = createFreshCache<string>(1000, { now: () => clock.t, renewShare: () => 0.5 });
  const s = source();
  const first = cache.get(key, s.read);
  s.finishAll();
  await first;
  return { clock, cache, s };
}

test('requests that find no value share one look-up', async () => {
  let t = 0;
  const cache = createFreshCache<string>(1000, { now: () => t, renewShare: () => 0.5 });
  const s = source();
  const gets = [1, 2, 3, 4, 5].map(() => cache.get('wf', s.read));
  assert.equal(s.calls, 1);
  s.finishAll();
  assert.deepEqual(await Promise.all(gets), ['v0', 'v0', 'v0', 'v0', 'v0']);
  t = 400;
  assert.equal(await cache.get('wf', s.read), 'v0');
  assert.equal(s.calls, 1, 'a young value is served without a look-up');
});

test('past half its age a value is still served at once while one look-up renews it', async () => {
  const { clock, cache, s } = await primed('wf');
  s.set('v1');
  clock.t = 600;
  // The look-up is not finished, and the requests do not wait for it.
  assert.deepEqual(await Promise.all([cache.get('wf', s.read), cache.get('wf', s.read), cache.get('wf', s.read)]), ['v0', 'v0', 'v0']);
  assert.equal(s.calls, 2, 'one renewal for all three');
  s.finishAll();
  await tick();
  clock.t = 700;
  assert.equal(await cache.get('wf', s.read), 'v1');
});

test('a look-up is handed the value kept so far, even one past its age', async () => {
  const { clock, cache } = await primed('wf');
  const handed: Array<string | undefined> = [];
  const read = async (kept: string | undefined) => (handed.push(kept), 'v1');
  clock.t = 600;
  await cache.get('wf', read);
  await tick();
  clock.t = 5000;
  assert.equal(await cache.get('wf', read), 'v1');
  cache.forget('wf');
  await cache.get('wf', read);
  assert.deepEqual(handed, ['v0', 'v1', undefined]);
});

test('values cached together are renewed each at its own point, not all at once', async () => {
  const clock = { t: 0 };
  const shares = [0.5, 0.7, 0.9];
  const cache = createFreshCache<string>(1000, { now: () => clock.t, renewShare: () => shares.shift() ?? 0.9 });
  const s = source();
  const keys = ['a', 'b', 'c'];
  const first = keys.map((k) => cache.get(k, s.read));
  s.finishAll();
  await Promise.all(first);
  const renewalsAt = async (t: number) => {
    clock.t = t;
    const before = s.calls;
    await Promise.all(keys.map((k) => cache.get(k, s.read)));
    s.finishAll();
    await tick();
    return s.calls - before;
  };
  assert.deepEqual([await renewalsAt(550), await renewalsAt(750), await renewalsAt(950)], [1, 1, 1]);
});

test('by default a value is renewed between half and nine tenths of its age', () => {
  fc.assert(fc.property(fc.constant(null), () => {
    const share = spreadRenewal();
    return share >= 0.5 && share < 0.9;
  }), { numRuns: 1000 });
});

test('a value is never served older than its age: past it, requests wait for the look-up', async () => {
  const { clock, cache, s } = await primed('wf');
  s.set('v1');
  clock.t = 1000;
  let settled = false;
  const late = cache.get('wf', s.read).then((v) => ((settled = true), v));
  await tick();
  assert.equal(settled, false);
  s.finishAll();
  assert.equal(await late, 'v1');
});

test('a failed renewal drops the value, so the next request sees the failure', async () => {
  const { clock, cache, s } = await primed('key');
  clock.t = 700;
  assert.equal(await cache.get('key', s.read), 'v0');
  s.finishAll(new Error('unknown or revoked API key'));
  await tick();
  const next = cache.get('key', s.read);
  s.finishAll(new Error('unknown or revoked API key'));
  await assert.rejects(next, /revoked/);
});

test('forget drops the value, and a look-up begun before it does not put it back', async () => {
  const { clock, cache, s } = await primed('tok');
  clock.t = 600;
  await cache.get('tok', s.read); // starts a renewal that reads v0
  cache.forget('tok');
  s.set('v1');
  const after = cache.get('tok', s.read);
  s.finishAll();
  assert.equal(await after, 'v1');
  await tick();
  assert.equal(await cache.get('tok', s.read), 'v1');
});

test('property: whatever the timing, no value served is older than the age, and look-ups never overlap for a key', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ advance: fc.integer({ min: 0, max: 700 }), requests: fc.integer({ min: 1, max: 3 }), finish: fc.boolean() }), { minLength: 1, maxLength: 40 }),
      async (steps) => {
        let t = 0;
        let inFlight = 0;
        let overlapped = false;
        const finish: Array<() => void> = [];
        // Each value is the time it was read at.
        const read = () =>
          new Promise<number>((resolve) => {
            inFlight += 1;
            if (inFlight > 1) overlapped = true;
            const at = t;
            finish.push(() => {
              inFlight -= 1;
              resolve(at);
            });
          });
        const cache = createFreshCache<number>(1000, { now: () => t });
        for (const step of steps) {
          t += step.advance;
          const asked = t;
          const got = Array.from({ length: step.requests }, () => cache.get('k', read));
          if (step.finish) finish.splice(0).forEach((f) => f());
          await tick();
          finish.splice(0).forEach((f) => f());
          // Served values were read at most 1000 ms before they were asked for.
          for (const readAt of await Promise.all(got)) if (asked - readAt > 1000) return false;
        }
        return !overlapped;
      },
    ),
    { numRuns: 200 },
  );
});
