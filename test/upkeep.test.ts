// Table upkeep (engine/upkeep.ts) on a real Postgres server: the dead rows claims and answers
// leave in `tasks` are vacuumed away by Tandem itself, also where autovacuum is off, and only
// one process does it at a time.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { freshDb, eventually, type TestDb } from './harness.ts';
import { readTableStats } from '../src/store/upkeep.ts';
import { upkeepPass } from '../src/engine/upkeep.ts';
import { tryTakeJobLease, releaseJobLease } from '../src/store/jobLeases.ts';

describe('table upkeep (postgres)', () => {
  let t: TestDb;
  before(async () => {
    t = await freshDb('postgres');
    // Autovacuum would race the test for the dead rows; the machine's own setting is not ours to rely on.
    await t.db.query('ALTER TABLE tasks SET (autovacuum_enabled = false)');
  });
  after(() => t.drop());

  test('dead task rows are vacuumed away; a pass with nothing to do does nothing', async () => {
    const db = t.db;
    await db.query(`INSERT INTO workflows (name, spec) VALUES ('upkeep', '{}'::jsonb)`);
    await db.query(
      `WITH i AS (
         INSERT INTO items (id, workflow, request_hash, text, fields, metadata, route, status)
         SELECT gen_random_uuid(), 'upkeep', 'h', 'x', '{}'::jsonb, '{}'::jsonb, '{}'::jsonb, 'pending' FROM generate_series(1, 3000)
         RETURNING id
       )
       INSERT INTO tasks (id, item_id, workflow, queue, kind, status, priority, due_at, skills)
       SELECT gen_random_uuid(), id, 'upkeep', 'review', 'review', 'open', 0, now(), '{}' FROM i`,
    );
    // A claim and an answer each leave a dead version of the task behind.
    await db.query(`UPDATE tasks SET status = 'leased' WHERE workflow = 'upkeep'`);
    await db.query(`UPDATE tasks SET status = 'done' WHERE workflow = 'upkeep'`);
    const dirty = await eventually(async () => {
      const s = (await readTableStats(db, ['tasks']))[0];
      return s && s.dead >= 6000 ? s : undefined;
    }, 15_000, 'the server to count the dead rows');
    assert.equal(dirty.live, 3000);

    const steps = await upkeepPass(db, 'test-owner');
    const tasks = steps.find((s) => s.table === 'tasks');
    assert.ok(tasks?.vacuum, JSON.stringify(steps));
    await eventually(async () => ((await readTableStats(db, ['tasks']))[0]!.dead === 0 ? true : undefined), 15_000, 'the vacuum to show in the statistics');
    const [row] = await db.query<{ vacuumed: boolean }>(`SELECT last_vacuum IS NOT NULL AS vacuumed FROM pg_stat_user_tables WHERE relname = 'tasks' AND schemaname = current_schema()`);
    assert.equal(row?.vacuumed, true);
    assert.equal((await upkeepPass(db, 'test-owner')).find((s) => s.table === 'tasks'), undefined);
  });

  test('items are analyzed without the columns no query filters on', async () => {
    // Of the 3,000 items the first test inserted.
    await t.db.query('ANALYZE items');
    const rows = await t.db.query<{ attname: string }>(
      `SELECT attname FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'items' ORDER BY attname`,
    );
    const analyzed = rows.map((r) => r.attname);
    for (const used of ['created_at', 'id', 'status', 'workflow']) assert.ok(analyzed.includes(used), `${used} in ${analyzed.join(', ')}`);
    for (const unused of ['fields', 'metadata', 'prediction', 'request_hash', 'route', 'text', 'trace_parent']) {
      assert.ok(!analyzed.includes(unused), `${unused} in ${analyzed.join(', ')}`);
    }
  });

  test('tasks are analyzed from a small sample: every column, histograms of at most 11 bounds', async () => {
    // The first test's 3,000 tasks have 3,000 distinct ids; a full sample would give 101 bounds.
    await t.db.query('ANALYZE tasks');
    const rows = await t.db.query<{ attname: string; bounds: number | null }>(
      `SELECT attname, array_length(histogram_bounds::text::text[], 1) AS bounds FROM pg_stats
       WHERE schemaname = current_schema() AND tablename = 'tasks'`,
    );
    const columns = await t.db.query<{ attname: string }>(
      `SELECT attname FROM pg_attribute WHERE attrelid = 'tasks'::regclass AND attnum > 0 AND NOT attisdropped`,
    );
    assert.deepEqual(rows.map((r) => r.attname).sort(), columns.map((c) => c.attname).sort());
    const id = rows.find((r) => r.attname === 'id');
    assert.equal(id?.bounds, 11);
    for (const r of rows) assert.ok((r.bounds ?? 0) <= 11, `${r.attname}: ${r.bounds} bounds`);
  });

  test('while another process holds the upkeep lease, a pass does nothing', async () => {
    assert.ok(await tryTakeJobLease(t.db, 'upkeep', 'the-other-process', 60));
    try {
      await t.db.query(`UPDATE tasks SET status = 'cancelled' WHERE workflow = 'upkeep'`);
      await eventually(async () => ((await readTableStats(t.db, ['tasks']))[0]!.dead >= 3000 ? true : undefined), 15_000, 'dead rows');
      assert.deepEqual(await upkeepPass(t.db, 'test-owner'), []);
    } finally {
      await releaseJobLease(t.db, 'upkeep', 'the-other-process');
    }
    assert.ok((await upkeepPass(t.db, 'test-owner')).some((s) => s.table === 'tasks' && s.vacuum));
  });
});
