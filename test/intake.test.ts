// The intake lane: on a Postgres server a submit has connections of its own (store/db.ts
// Db.intake), so that a customer's item is taken in while reviewers' work holds every connection
// of the main pool, as it does in a surge.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { client, freshDb, labelWorkflow, startApp, type TestApp, type TestDb } from './harness.ts';

describe('intake (postgres)', () => {
  let t: TestDb;
  let app: TestApp;
  before(async () => {
    // One connection in the main pool, so that one open transaction holds all of it.
    t = await freshDb('postgres', 1);
    app = await startApp(t.db);
  });
  after(async () => {
    await app.close();
    await t.drop();
  });

  test('a submit is taken in while every connection of the main pool is held', async () => {
    const admin = client(app.url);
    assert.equal((await admin.post('/v1/workflows', labelWorkflow('intake'))).status, 201);
    // The first submit reads the workflow into the cache; the held one below must not need to.
    assert.equal((await admin.post('/v1/workflows/intake/items', { text: 'first' })).status, 201);

    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    const transaction = t.db.transaction(async (tx) => {
      await tx.query('SELECT 1');
      holding();
      await gate;
    });
    await held;
    try {
      // A statement on the main pool now waits for the held connection…
      let mainDone = false;
      const main = t.db.query('SELECT 1').then(() => (mainDone = true));
      // …and a submit does not.
      const started = performance.now();
      const res = await admin.post<{ id: string; status: string }>('/v1/workflows/intake/items', { text: 'a customer writes during a surge' });
      const ms = performance.now() - started;
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.status, 'pending');
      assert.equal(mainDone, false, 'the main pool was still held while the submit went through');
      assert.ok(ms < 5000, `the submit took ${ms.toFixed(0)} ms`);
      release();
      await main;
    } finally {
      release();
      await transaction;
    }
    const [row] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM items WHERE workflow = 'intake'`);
    assert.equal(row?.n, 2);
  });
});
