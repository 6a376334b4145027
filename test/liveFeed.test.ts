// The live feed's queue count backs off with its own cost: while work keeps coming in, a count
// that takes long is not run again until `recountFactor` times its duration has passed, and the
// count put off is still made once the work stops, so the depths shown end up true.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLiveFeed, maxRecountGapMs, nextRecountAt, type LiveMessage } from '../src/engine/liveFeed.ts';
import type { Queryable } from '../src/store/db.ts';
import { appOnFreshDb, eventually, labelWorkflow } from './harness.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('live feed recounts', () => {
  test('the next count waits the poll interval, the factor times the last count, or the longest gap', () => {
    assert.equal(nextRecountAt(10_000, 2, 1000), 11_000);
    assert.equal(nextRecountAt(10_000, 80, 1000), 14_000);
    assert.equal(nextRecountAt(10_000, 80, 1000, 5), 11_000);
    assert.equal(nextRecountAt(10_000, 5_000, 1000), 10_000 + maxRecountGapMs);
  });

  const ctx = appOnFreshDb('pglite');

  /** The database as the feed sees it, with every queue count made 100 ms slower; `starts` records when each began. */
  const slowCounts = (starts: number[]): Queryable => ({
    async query(sql, params, name) {
      if (sql.includes("count(*) FILTER (WHERE status = 'open')")) {
        starts.push(Date.now());
        await sleep(100);
      }
      return ctx.t.db.query(sql, params, name);
    },
  });

  test('a slow count is not repeated at every poll while items arrive, and the last depth is sent when they stop', async () => {
    const wf = 'live-recount';
    assert.equal((await ctx.admin.post('/v1/workflows', labelWorkflow(wf, { model: { type: 'none' } }))).status, 201);
    const countStarts: number[] = [];
    const feed = createLiveFeed(slowCounts(countStarts), { intervalMs: 20, recountFactor: 5 });
    const received: LiveMessage[] = [];
    const unsubscribe = await feed.subscribe({ workflows: [wf], lead: true, send: (m) => received.push(m) });
    try {
      const submits = 30;
      const began = Date.now();
      for (let i = 0; i < submits; i++) {
        const r = await ctx.admin.post(`/v1/workflows/${wf}/items`, { text: `message ${i}` });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        await sleep(40);
      }
      const busyMs = Date.now() - began;
      // Each count takes 100 ms, so the next may start 500 ms after it ended: 600 ms apart at least.
      for (let i = 1; i < countStarts.length; i++) assert.ok(countStarts[i]! - countStarts[i - 1]! >= 590, `counts ${countStarts[i]! - countStarts[i - 1]!} ms apart`);
      assert.ok(countStarts.length <= Math.ceil(busyMs / 600) + 1, `${countStarts.length} counts in ${busyMs} ms of submits`);
      const depth = (m: LiveMessage) => (m.type === 'queues' ? (m.queues.find((q) => q.workflow === wf)?.open ?? 0) : null);
      await eventually(async () => (received.map(depth).filter((d) => d !== null).at(-1) === submits ? true : undefined), 5_000, `a queue depth of ${submits}`);
    } finally {
      unsubscribe();
      await feed.close();
    }
  });

  test("streams that open together share the feed's count for their first depths, until a new count is due", async () => {
    const wf = 'live-snapshot';
    assert.equal((await ctx.admin.post('/v1/workflows', labelWorkflow(wf, { model: { type: 'none' } }))).status, 201);
    for (let i = 0; i < 2; i++) assert.equal((await ctx.admin.post(`/v1/workflows/${wf}/items`, { text: `message ${i}` })).status, 201);
    const countStarts: number[] = [];
    const feed = createLiveFeed(slowCounts(countStarts), { intervalMs: 20, recountFactor: 5 });
    const unsubscribe = await Promise.all([0, 1, 2].map(() => feed.subscribe({ workflows: [wf], lead: false, send: () => {} })));
    try {
      const open = (qs: { workflow: string; open: number }[]) => qs.find((q) => q.workflow === wf)?.open;
      // Three streams open at the same moment, while the first count is still under way.
      const [mine, all, other] = await Promise.all([feed.snapshot([wf]), feed.snapshot(null), feed.snapshot(['another-workflow'])]);
      assert.equal(open(mine), 2);
      assert.equal(open(all), 2);
      assert.deepEqual(other, []);
      // And one a moment later.
      assert.equal(open(await feed.snapshot([wf])), 2);
      assert.equal(countStarts.length, 1, 'the streams shared one count');
      // The count took 100 ms, so after 500 ms more a new stream gets a count of its own.
      await sleep(700);
      assert.equal((await ctx.admin.post(`/v1/workflows/${wf}/items`, { text: 'one more' })).status, 201);
      assert.equal(open(await feed.snapshot([wf])), 3);
      assert.ok(countStarts.length >= 2);
    } finally {
      for (const u of unsubscribe) u();
      await feed.close();
    }
  });
});
