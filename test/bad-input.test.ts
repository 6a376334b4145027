// Bad input at the HTTP edge, on both drivers: every mistake a client can make is answered with a
// 4xx problem document that says what is wrong (and where, when a field is at fault), never with
// a 5xx, and never after writing part of the request.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { adminKey, client, drivers, freshDb, labelWorkflow, person, startApp, type Res, type TestApp, type TestDb } from './harness.ts';

const refundSchema = {
  type: 'object',
  required: ['amount', 'currency'],
  properties: {
    amount: { type: 'number', minimum: 0 },
    currency: { enum: ['EUR', 'USD', 'GBP'] },
  },
};

interface Counts {
  items: number;
  tasks: number;
  answers: number;
  decisions: number;
  events: number;
}

function assertProblem(res: Res, status: number | null, fieldPath?: string): void {
  const what = `${res.status} ${JSON.stringify(res.body)?.slice(0, 500)}`;
  if (status === null) assert.ok(res.status >= 400 && res.status < 500, `expected a 4xx, got ${what}`);
  else assert.equal(res.status, status, what);
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/, what);
  const body = res.body as Record<string, unknown>;
  assert.equal(typeof body, 'object', what);
  assert.equal(typeof body.type, 'string', what);
  assert.equal(typeof body.title, 'string', what);
  assert.equal(body.status, res.status, what);
  assert.equal(typeof body.detail, 'string', what);
  assert.ok((body.detail as string).length > 0, what);
  if (fieldPath !== undefined) {
    const errors = body.errors as Array<{ path: string; message: string }> | undefined;
    assert.ok(Array.isArray(errors), `expected errors[] naming ${fieldPath}: ${what}`);
    assert.ok(errors.some((e) => e.path === fieldPath && typeof e.message === 'string'), `expected an error at ${fieldPath}: ${what}`);
  }
}

for (const driver of drivers) {
  describe(`bad input is refused cleanly (${driver})`, () => {
    let tdb: TestDb;
    let t: TestApp;
    let admin: ReturnType<typeof client>;
    let reviewer: { token: string; id: string };
    let other: { token: string; id: string };
    let rev: ReturnType<typeof client>;
    let oth: ReturnType<typeof client>;

    const counts = async (): Promise<Counts> => {
      const [row] = await t.engine.db.query<Counts>(
        `SELECT (SELECT count(*) FROM items)::int AS items, (SELECT count(*) FROM tasks)::int AS tasks,
                (SELECT count(*) FROM answers)::int AS answers, (SELECT count(*) FROM decisions)::int AS decisions,
                (SELECT count(*) FROM events)::int AS events`,
      );
      return row!;
    };

    /** Runs a request that must be refused and checks that it changed nothing. */
    const refused = async (send: () => Promise<Res>, status: number | null, fieldPath?: string): Promise<Res> => {
      const before = await counts();
      const res = await send();
      assertProblem(res, status, fieldPath);
      assert.deepEqual(await counts(), before, 'a refused request wrote rows');
      return res;
    };

    /** Submits an item to `workflow` and has `who` claim a task there (the oldest open one). */
    const claimOne = async (workflow: string, who: ReturnType<typeof client>): Promise<{ id: string; assignment: number }> => {
      const s = await admin.post(`/v1/workflows/${workflow}/items`, { text: `please look at this ${randomUUID()}` });
      assert.equal(s.status, 201, JSON.stringify(s.body));
      const c = await who.post('/v1/tasks/claim', { workflow });
      assert.equal(c.status, 200, JSON.stringify(c.body));
      return { id: c.body.task.id, assignment: c.body.task.assignment };
    };

    before(async () => {
      tdb = await freshDb(driver);
      t = await startApp(tdb.db);
      admin = client(t.url, adminKey);
      for (const spec of [labelWorkflow('triage'), labelWorkflow('refunds', { inputSchema: refundSchema }), labelWorkflow('secret')]) {
        const r = await admin.post('/v1/workflows', spec);
        assert.equal(r.status, 201, JSON.stringify(r.body));
      }
      reviewer = await person(tdb.db, 'reviewer', ['triage', 'refunds']);
      other = await person(tdb.db, 'reviewer', ['triage', 'secret']);
      rev = client(t.url, reviewer.token);
      oth = client(t.url, other.token);
    });

    after(async () => {
      await t?.close();
      await tdb?.drop();
    });

    test('malformed JSON is a 400', async () => {
      for (const raw of ['{"text": ', '{text: "x"}', '[1,2', '{"text":"a"}}', 'nul']) {
        await refused(() => admin.post('/v1/workflows/triage/items', raw), 400);
      }
      const task = await claimOne('triage', rev);
      await refused(() => rev.post(`/v1/tasks/${task.id}/answer`, `{"assignment": ${task.assignment}, "label": "bug"`), 400);
      // Nothing was answered by the broken request: the proper one still goes through.
      const ok = await rev.post(`/v1/tasks/${task.id}/answer`, { assignment: task.assignment, label: 'bug' });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
    });

    test('wrong types name the field', async () => {
      await refused(() => admin.post('/v1/workflows/triage/items', { text: 42 }), 400, 'text');
      await refused(() => admin.post('/v1/workflows/triage/items', { text: 'hi', fields: 'amount=3' }), 400, 'fields');
      await refused(() => admin.post('/v1/workflows/triage/items', { text: 'hi', metadata: [1, 2] }), 400, 'metadata');
      await refused(() => admin.post('/v1/workflows/triage/items', { text: 'hi', surprise: true }), 400);
      await refused(() => admin.post('/v1/workflows/triage/items', [{ text: 'hi' }]), 400);
      await refused(() => admin.post('/v1/workflows/triage/items', {}), 400, 'text');
      const task = await claimOne('triage', rev);
      await refused(() => rev.post(`/v1/tasks/${task.id}/answer`, { assignment: String(task.assignment), label: 'bug' }), 400, 'assignment');
      await refused(() => rev.post(`/v1/tasks/${task.id}/answer`, { assignment: task.assignment, label: 7 }), 400, 'label');
      await refused(() => rev.post(`/v1/tasks/${task.id}/answer`, { assignment: task.assignment, label: 'bug', timeSpentMs: -1 }), 400, 'timeSpentMs');
      await refused(() => rev.post('/v1/tasks/not-a-uuid/answer', { assignment: task.assignment, label: 'bug' }), 400, 'path.id');
      await refused(() => rev.post('/v1/tasks/claim', { workflow: 12 }), 400, 'workflow');
    });

    test('an unknown workflow is a 404', async () => {
      await refused(() => admin.post('/v1/workflows/no-such-flow/items', { text: 'hello' }), 404);
      await refused(() => admin.get('/v1/workflows/no-such-flow'), 404);
      await refused(() => rev.post('/v1/tasks/claim', { workflow: 'no-such-flow' }), 404);
      await refused(() => admin.post(`/v1/workflows/${'x'.repeat(64)}/items`, { text: 'hello' }), 400, 'path.name');
    });

    test("fields that break the workflow's input schema name the field", async () => {
      await refused(() => admin.post('/v1/workflows/refunds/items', { fields: { amount: -5, currency: 'EUR' } }), 400, 'fields.amount');
      await refused(() => admin.post('/v1/workflows/refunds/items', { fields: { amount: '12', currency: 'EUR' } }), 400, 'fields.amount');
      await refused(() => admin.post('/v1/workflows/refunds/items', { fields: { amount: 12, currency: 'XYZ' } }), 400, 'fields.currency');
      await refused(() => admin.post('/v1/workflows/refunds/items', { text: 'refund me', fields: { currency: 'USD' } }), 400, 'fields.amount');
      const both = await refused(() => admin.post('/v1/workflows/refunds/items', { fields: { amount: -1, currency: 'yen' } }), 400, 'fields.amount');
      assert.ok((both.body.errors as Array<{ path: string }>).some((e) => e.path === 'fields.currency'), 'every broken field is reported');
      const ok = await admin.post('/v1/workflows/refunds/items', { fields: { amount: 12.5, currency: 'GBP' } });
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
    });

    test('a malformed or over-long path is a problem document too', async () => {
      for (const path of ['/v1/workflows/%/items', '/v1/workflows/%E0%A4%A/items', '/v1/tasks/%ZZ/answer']) {
        await refused(() => admin.post(path, { text: 'hello' }), 400);
      }
      await refused(() => admin.post(`/v1/workflows/${'y'.repeat(200)}/items`, { text: 'hello' }), 414);
      await refused(() => admin.post('/v1/nothing-here', { text: 'hello' }), 404);
    });

    test('text Postgres cannot store, absurd nesting and out-of-range numbers name the field', async () => {
      await refused(() => admin.post('/v1/workflows/triage/items', { text: 'nul \u0000 inside' }), 400, 'text');
      await refused(() => admin.post('/v1/workflows/triage/items', { text: 'half a pair \ud800' }), 400, 'text');
      await refused(() => admin.post('/v1/workflows/triage/items', { text: 'x', fields: { note: 'a\u0000b' } }), 400, 'fields.note');
      await refused(() => admin.post('/v1/workflows/triage/items', { text: 'x', metadata: { tags: ['ok', '\udfff'] } }), 400, 'metadata.tags.1');
      await refused(() => admin.post('/v1/workflows/triage/items', { text: 'x', fields: { 'k\u0000': 1 } }), 400, 'fields.k\u0000');
      await refused(() => admin.post('/v1/workflows/triage/items', { text: 'x', idempotencyKey: 'key\u0000' }), 400, 'idempotencyKey');
      await refused(() => admin.post('/v1/workflows/tri%00age/items', { text: 'x' }), 400, 'path.name');
      await refused(() => client(t.url, null).post('/v1/sessions', { email: 'a\u0000@test', password: 'x' }), 400, 'email');
      const deep = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
      await refused(() => admin.post('/v1/workflows/triage/items', `{"text":"x","fields":{"a":${deep(20_000)}}}`), 400);
      await refused(() => admin.post('/v1/workflows/triage/items', `{"text":"x","metadata":${deep(100)}}`), 400);
      // Surrogate pairs (emoji) are fine, and so is ordinary nesting.
      const ok = await admin.post('/v1/workflows/triage/items', { text: 'thanks \ud83d\ude00', fields: { a: { b: { c: [1, [2, [3]]] } } } });
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      const task = await claimOne('triage', rev);
      await refused(() => rev.post(`/v1/tasks/${task.id}/answer`, { assignment: 2 ** 31, label: 'bug' }), 400, 'assignment');
      await refused(() => rev.post(`/v1/tasks/${task.id}/heartbeat`, { assignment: Number.MAX_SAFE_INTEGER }), 400, 'assignment');
      await refused(() => rev.post(`/v1/tasks/${task.id}/answer`, { assignment: task.assignment, label: 'bug', note: 'a\u0000' }), 400, 'note');
      await refused(() => rev.post(`/v1/tasks/${task.id}/answer`, { assignment: task.assignment, label: 'bug\u0000' }), 400, 'label');
      const answered = await rev.post(`/v1/tasks/${task.id}/answer`, { assignment: task.assignment, label: 'bug', note: 'all good \u00e9' });
      assert.equal(answered.status, 200, JSON.stringify(answered.body));
    });

    test('a body over the limit is a 413', async () => {
      const big = JSON.stringify({ text: 'x'.repeat(300 * 1024) });
      await refused(() => admin.post('/v1/workflows/triage/items', big), 413);
      const task = await claimOne('triage', rev);
      await refused(() => rev.post(`/v1/tasks/${task.id}/answer`, JSON.stringify({ assignment: task.assignment, label: 'bug', note: 'n'.repeat(300 * 1024) })), 413);
      // Under the limit but over the field's own maximum: the field is named.
      await refused(() => admin.post('/v1/workflows/triage/items', { text: 'x'.repeat(100_001) }), 400, 'text');
    });

    test('an unknown label in an answer is a 400 naming label, and the lease survives it', async () => {
      const task = await claimOne('triage', rev);
      const res = await refused(() => rev.post(`/v1/tasks/${task.id}/answer`, { assignment: task.assignment, label: 'spam' }), 400, 'label');
      assert.match(res.body.detail, /spam/);
      await refused(() => rev.post(`/v1/tasks/${task.id}/answer`, { assignment: task.assignment }), 400, 'label');
      await refused(() => rev.post(`/v1/tasks/${task.id}/answer`, { assignment: task.assignment, label: '' }), 400, 'label');
      const ok = await rev.post(`/v1/tasks/${task.id}/answer`, { assignment: task.assignment, label: 'fraud' });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.decision.outcome.label, 'fraud');
    });

    test('a wrong content type is refused', async () => {
      const raw = (contentType: string, body: string) => fetch(`${t.url}/v1/workflows/triage/items`, {
        method: 'POST', headers: { authorization: `Bearer ${adminKey}`, 'content-type': contentType }, body,
      });
      const asRes = async (r: Response): Promise<Res> => ({ status: r.status, headers: r.headers, body: JSON.parse(await r.text()) });
      await refused(async () => asRes(await raw('application/xml', '<item><text>hi</text></item>')), 415);
      await refused(async () => asRes(await raw('application/x-www-form-urlencoded', 'text=hi')), 415);
      await refused(async () => asRes(await raw('multipart/form-data; boundary=x', '--x\r\n\r\nhi\r\n--x--')), 415);
      await refused(async () => asRes(await raw('text/plain', '{"text":"hi"}')), 415);
    });

    test('missing or invalid credentials are a 401', async () => {
      const anon = client(t.url, null);
      await refused(() => anon.post('/v1/workflows/triage/items', { text: 'hi' }), 401);
      await refused(() => client(t.url, 'tdm_key_nope_0000000000000000').post('/v1/workflows/triage/items', { text: 'hi' }), 401);
      await refused(() => client(t.url, 'tdm_sess_nope_000000000000000').post('/v1/tasks/claim', {}), 401);
      await refused(() => anon.post('/v1/workflows/triage/items', { text: 'hi' }, { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }), 401);
      await refused(() => anon.post('/v1/workflows/triage/items', { text: 'hi' }, { authorization: 'Bearer' }), 401);
      const task = await claimOne('triage', rev);
      await refused(() => anon.post(`/v1/tasks/${task.id}/answer`, { assignment: task.assignment, label: 'bug' }), 401);
      await refused(() => client(t.url, `${reviewer.token}x`).post(`/v1/tasks/${task.id}/answer`, { assignment: task.assignment, label: 'bug' }), 401);
    });

    test("a reviewer cannot touch a workflow they don't belong to", async () => {
      // `other` works triage and secret; `rev` works triage and refunds.
      const secretTask = await claimOne('secret', oth);
      await refused(() => rev.post(`/v1/tasks/${secretTask.id}/answer`, { assignment: secretTask.assignment, label: 'bug' }), 404);
      await refused(() => rev.post(`/v1/tasks/${secretTask.id}/heartbeat`, { assignment: secretTask.assignment }), 404);
      await refused(() => rev.post('/v1/tasks/claim', { workflow: 'secret' }), 404);
      await refused(() => rev.get('/v1/workflows/secret'), 404);
      await refused(() => rev.post('/v1/workflows/secret/items', { text: 'let me in' }), 403);
      await refused(() => rev.post('/v1/workflows', labelWorkflow('mine')), 403);
      // An API key is not a person: it cannot answer tasks at all.
      await refused(() => admin.post(`/v1/tasks/${secretTask.id}/answer`, { assignment: secretTask.assignment, label: 'bug' }), 403);
      const ok = await oth.post(`/v1/tasks/${secretTask.id}/answer`, { assignment: secretTask.assignment, label: 'other' });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
    });

    test('a second answer on the same assignment is a 409', async () => {
      const task = await claimOne('triage', rev);
      const first = await rev.post(`/v1/tasks/${task.id}/answer`, { assignment: task.assignment, label: 'billing' });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      await refused(() => rev.post(`/v1/tasks/${task.id}/answer`, { assignment: task.assignment, label: 'billing' }), 409);
      await refused(() => rev.post(`/v1/tasks/${task.id}/answer`, { assignment: task.assignment, label: 'bug' }), 409);
      const [row] = await t.engine.db.query<{ n: number }>('SELECT count(*)::int AS n FROM answers WHERE task_id = $1::uuid', [task.id]);
      assert.equal(row!.n, 1);
    });

    test('a stale assignment after a re-claim is a 409', async () => {
      const task = await claimOne('triage', rev);
      const rel = await rev.post(`/v1/tasks/${task.id}/release`, { assignment: task.assignment });
      assert.equal(rel.status, 200, JSON.stringify(rel.body));
      const again = await oth.post('/v1/tasks/claim', { workflow: 'triage' });
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.equal(again.body.task.id, task.id);
      assert.equal(again.body.task.assignment, task.assignment + 1);
      const stale = await refused(() => rev.post(`/v1/tasks/${task.id}/answer`, { assignment: task.assignment, label: 'bug' }), 409);
      assert.match(stale.body.detail, /stale/);
      // The new holder's lease is untouched by the stale attempt.
      const ok = await oth.post(`/v1/tasks/${task.id}/answer`, { assignment: again.body.task.assignment, label: 'other' });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
    });

    test('an Idempotency-Key reused with another body is a 422', async () => {
      const key = `order-${randomUUID()}`;
      const first = await admin.post('/v1/workflows/triage/items', { text: 'my card was charged twice' }, { 'idempotency-key': key });
      assert.equal(first.status, 201, JSON.stringify(first.body));
      const repeat = await admin.post('/v1/workflows/triage/items', { text: 'my card was charged twice' }, { 'idempotency-key': key });
      assert.equal(repeat.status, 200, JSON.stringify(repeat.body));
      assert.equal(repeat.body.id, first.body.id);
      await refused(() => admin.post('/v1/workflows/triage/items', { text: 'my card was charged three times' }, { 'idempotency-key': key }), 422);
      await refused(() => admin.post('/v1/workflows/triage/items', { text: 'my card was charged twice', metadata: { channel: 'chat' } }, { 'idempotency-key': key }), 422);
      await refused(() => admin.post('/v1/workflows/triage/items', { text: 'x' }, { 'idempotency-key': 'k'.repeat(201) }), 400, 'headers.idempotency-key');
      await refused(() => admin.post('/v1/workflows/triage/items', { text: 'x', idempotencyKey: 'a' }, { 'idempotency-key': 'b' }), 400, 'idempotencyKey');
    });

    // Strings a client may send, including NUL and unpaired surrogates, which JSON carries but
    // Postgres text and jsonb refuse.
    const nastyChar = fc.constantFrom('\u0000', '\ud800', '\udfff', 'a', 'é', '\ud83d\ude00', '"', '\\', ' ');
    const nasty = fc.oneof(fc.string(), fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: nastyChar, maxLength: 8 }));
    const junkJson = fc.jsonValue({ maxDepth: 3, stringUnit: nastyChar });
    const junkObject = fc.dictionary(fc.oneof(nasty, fc.constantFrom('text', 'fields', 'metadata', 'idempotencyKey', 'assignment', 'label')), junkJson, { maxKeys: 5 });
    // Deep enough to overflow any recursive walk of the body, or larger than the body limit. Kept
    // as markers until the body is sent: JSON.stringify would overflow on the one, and fast-check's
    // report of a counterexample would be unreadable with the other.
    const deepValue = fc.integer({ min: 50, max: 6000 }).map((d) => `__deep_${d}__`);
    const hugeText = (min: number, max: number) => fc.integer({ min, max }).map((n) => `__huge_${n}__`);
    const expand = (json: string): string =>
      json
        .replace(/"__huge_(\d+)__"/g, (_m, n: string) => `"${'é'.repeat(Number(n))}"`)
        .replace(/"__deep_(\d+)__"/g, (_m, d: string) => {
          const n = Number(d);
          let open = '';
          let close = '';
          for (let i = 0; i < n; i++) {
            open += i % 2 ? '[' : '{"a":';
            close = (i % 2 ? ']' : '}') + close;
          }
          return `${open}"bottom"${close}`;
        });
    const plainDict = fc.dictionary(nasty, junkJson, { maxKeys: 4 });
    const refundish = fc.record(
      { amount: fc.oneof(fc.double(), fc.integer(), nasty, fc.constant(null)), currency: fc.oneof(fc.constantFrom('EUR', 'USD', 'yen'), nasty) },
      { requiredKeys: [] },
    );
    // Mostly the right shape with junk inside, so that the request gets past the schema to the
    // engine and the database; the rest is junk of any shape.
    const nearValidSubmit = fc.record(
      {
        text: fc.oneof({ weight: 4, arbitrary: nasty }, fc.constant(null), hugeText(99_990, 110_000)),
        fields: fc.oneof(plainDict, refundish, deepValue.map((v) => ({ deep: v }))),
        metadata: fc.oneof({ weight: 3, arbitrary: plainDict }, deepValue.map((v) => ({ deep: v }))),
        idempotencyKey: fc.oneof(nasty, fc.constant('same-key'), fc.constant('k'.repeat(201))),
      },
      { requiredKeys: [] },
    );
    const submitBodyArb = fc.oneof(
      { weight: 6, arbitrary: nearValidSubmit.map((v) => JSON.stringify(v)) },
      { weight: 1, arbitrary: fc.record({ text: junkJson, fields: junkJson, metadata: junkJson, idempotencyKey: junkJson }, { requiredKeys: [] }).map((v) => JSON.stringify(v)) },
      { weight: 1, arbitrary: junkJson.map((v) => JSON.stringify(v)) },
      { weight: 1, arbitrary: junkObject.map((v) => JSON.stringify(v)) },
      { weight: 1, arbitrary: hugeText(140_000, 300_000).map((v) => JSON.stringify({ text: v })) },
      { weight: 1, arbitrary: fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ maxLength: 200 })) },
    );
    // Header values must be printable Latin-1 for fetch to send them at all.
    const idemKey = fc.option(fc.oneof(fc.string({ maxLength: 250 }), fc.constantFrom('', ' ', 'k'.repeat(201), 'same-key')), { nil: undefined });
    // A path segment fetch can send as is: lone surrogates cannot be URL-encoded, dot segments are resolved away.
    const pathSafe = (s: string): boolean => {
      if (s.length === 0 || s === '.' || s === '..') return false;
      try {
        encodeURIComponent(s);
        return true;
      } catch {
        return false;
      }
    };
    /** A path segment: a value to encode, or raw text (bad percent-escapes) to send as it is. */
    const segment = (known: fc.Arbitrary<string>) =>
      fc.oneof(
        { weight: 6, arbitrary: known.map((v) => encodeURIComponent(v)) },
        { weight: 2, arbitrary: nasty.filter(pathSafe).map((v) => encodeURIComponent(v)) },
        { weight: 1, arbitrary: fc.integer({ min: 60, max: 400 }).map((n) => 'y'.repeat(n)) },
        { weight: 1, arbitrary: fc.constantFrom('%', '%E0%A4%A', '%ZZ', '%00', '%ud800', '%C0%AF') },
      );
    const token = (who: string): string | null =>
      who === 'admin' ? adminKey : who === 'reviewer' ? reviewer.token : who === 'other' ? other.token : who === 'none' ? null : who;
    const whoArb = (main: string) =>
      fc.oneof(
        { weight: 6, arbitrary: fc.constant(main) },
        { weight: 1, arbitrary: fc.constantFrom('admin', 'reviewer', 'other', 'none') },
        { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 60 }).filter((s) => s.trim() === s && !/\s/.test(s)) },
      );

    /** Sends a raw request and checks it: never a 5xx; a refusal is a problem document and wrote nothing. */
    const probe = async (path: string, body: string, who: string, extra: Record<string, string> = {}): Promise<Res> => {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...extra };
      const bearer = token(who);
      if (bearer) headers.authorization = `Bearer ${bearer}`;
      const before = await counts();
      const r = await fetch(`${t.url}${path}`, { method: 'POST', headers, body });
      const text = await r.text();
      const show = `${r.status} for POST ${path.slice(0, 120)} ${JSON.stringify(extra)} as ${who} with ${JSON.stringify(body.slice(0, 300))}: ${text.slice(0, 300)}`;
      assert.ok(r.status < 500, show);
      let parsed: unknown = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        assert.fail(`not JSON: ${show}`);
      }
      const res: Res = { status: r.status, headers: r.headers, body: parsed };
      if (res.status >= 300) {
        assertProblem(res, null);
        assert.deepEqual(await counts(), before, `a refused request wrote rows: ${show}`);
      }
      return res;
    };

    test('property: junk thrown at submit never gets a 5xx, and a refusal writes nothing', async () => {
      const workflow = fc.oneof({ weight: 3, arbitrary: fc.constant('triage') }, fc.constantFrom('refunds', 'secret', 'no-such-flow'));
      await fc.assert(
        fc.asyncProperty(segment(workflow), submitBodyArb, idemKey, whoArb('admin'), async (name, body, key, who) => {
          await probe(`/v1/workflows/${name}/items`, expand(body), who, key === undefined ? {} : { 'idempotency-key': key });
        }),
        { numRuns: 150, includeErrorInReport: true },
      );
    });

    test('property: junk thrown at answer never gets a 5xx, and a refusal writes nothing', async () => {
      let held = await claimOne('triage', rev);
      const secretTask = await claimOne('secret', oth);
      const taskId = fc.oneof({ weight: 3, arbitrary: fc.constant('held') }, fc.constant('secret'), fc.uuid());
      const assignmentArb = fc.oneof(
        { weight: 4, arbitrary: fc.constant('held') },
        { weight: 1, arbitrary: fc.constantFrom('held+1', 'held-1') },
        { weight: 2, arbitrary: fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.double(), fc.constantFrom(0, -1, 2 ** 31 - 1, 2 ** 31, 2 ** 53, 1e300)) },
        { weight: 1, arbitrary: junkJson },
      );
      // Optional keys are mostly left out (JSON.stringify drops undefined), so that most bodies pass the schema.
      const rarely = <T,>(a: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: a });
      const nearValidAnswer = fc.record({
        assignment: assignmentArb,
        label: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('bug', 'billing', 'fraud', 'other') }, fc.constantFrom('BUG', 'spam', ''), nasty, junkJson),
        note: fc.option(fc.oneof(nasty, junkJson, hugeText(5001, 6000), deepValue), { nil: undefined }),
        timeSpentMs: rarely(fc.oneof(fc.integer(), fc.double(), fc.constantFrom(86_400_000, 2 ** 31), junkJson)),
        verdict: rarely(fc.constantFrom('approve', 'edit', 'nope')),
        edited: rarely(fc.oneof(plainDict, deepValue.map((v) => ({ deep: v })))),
        text: rarely(nasty),
        extra: rarely(junkJson),
      });
      const payload = fc.oneof(
        { weight: 6, arbitrary: nearValidAnswer.map((b) => ({ json: b as unknown })) },
        { weight: 1, arbitrary: junkObject.map((b) => ({ json: b as unknown })) },
        { weight: 1, arbitrary: junkJson.map((b) => ({ json: b as unknown })) },
        { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 100 }).map((s) => ({ text: s })) },
      );
      await fc.assert(
        fc.asyncProperty(segment(taskId), payload, whoArb('reviewer'), async (idChoice, p, who) => {
          const id = idChoice === 'held' ? held.id : idChoice === 'secret' ? secretTask.id : idChoice;
          let body: string;
          if ('json' in p) {
            const b = p.json;
            const a = b !== null && typeof b === 'object' && !Array.isArray(b) ? (b as Record<string, unknown>).assignment : undefined;
            const n = a === 'held' ? held.assignment : a === 'held+1' ? held.assignment + 1 : a === 'held-1' ? held.assignment - 1 : a;
            body = expand(JSON.stringify(a === undefined ? b : { ...(b as Record<string, unknown>), assignment: n }));
          } else {
            body = p.text;
          }
          const res = await probe(`/v1/tasks/${id}/answer`, body, who);
          if (res.status < 300 && id === held.id) {
            // The junk happened to be a valid answer: hold a fresh task so later runs hit a live lease.
            held = await claimOne('triage', rev);
          }
        }),
        { numRuns: 150, includeErrorInReport: true },
      );
    });
  });
}
