// Customer conversations through the HTTP API on the chat demo workflow (support-chat: a built-in
// intent model on 12 Banking77 intents and a small reply library): the bot answers a routine
// question; an unsure draft is handed to an agent who edits it, the edit is measured, the reply
// reaches the customer and grows the library; signals (an upset or threatening customer, a
// request for a person) hand over at once; bad input and faults, each answered plainly.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { seedChatDemo } from '../src/cli/demoChat.ts';
import { finishUnroutedMessages } from '../src/engine/conversations.ts';
import { appendMessage } from '../src/store/conversations.ts';
import { adminKey, client, drivers, freshDb, person, startApp, type TestApp, type TestDb } from './harness.ts';
import { startOpenAIStandIn, type OpenAIStandIn } from './openaiStandIn.ts';

for (const driver of drivers) {
  describe(`conversations on ${driver}`, () => {
    let t: TestDb;
    let app: TestApp;
    let admin: ReturnType<typeof client>;
    let agent: { token: string; id: string };
    let n = 0;

    before(async () => {
      t = await freshDb(driver);
      app = await startApp(t.db);
      admin = client(app.url);
      await seedChatDemo(app.engine, () => {});
      agent = await person(t.db, 'lead', ['support-chat']);
    });
    after(async () => {
      await app.close();
      await t.drop();
    });

    const start = async (customer: Record<string, unknown> = {}) => {
      const customerId = `cust-${++n}`;
      const r = await admin.post('/v1/workflows/support-chat/conversations', { customerId, customer });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return { id: r.body.conversation.id as string, customerId, chat: client(app.url, r.body.token as string) };
    };
    const say = (c: Awaited<ReturnType<typeof start>>, text: string) => c.chat.post(`/v1/chat/conversations/${c.id}/messages`, { customerId: c.customerId, text });

    test('a routine question is answered by the bot at once', async () => {
      const c = await start();
      const r = await say(c, 'How long will it take for my new card to arrive?');
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.equal(r.body.state, 'bot');
      assert.match(r.body.reply.text, /3 to 5 working days/);
      const read = await c.chat.get(`/v1/chat/conversations/${c.id}/messages?after=0&waitSeconds=0`);
      assert.deepEqual(read.body.messages.map((m: { author: string }) => m.author), ['customer', 'bot']);
    });

    test('an unsure draft goes to an agent, who edits it; the customer gets the edit; the change is measured and learned', async () => {
      const c = await start({ segment: 'standard', name: 'Ada' });
      const r = await say(c, 'I see the same payment twice on my statement');
      assert.equal(r.body.state, 'waiting', JSON.stringify(r.body));
      assert.match(r.body.notice.text, /person .* will take over.*Expected wait: .*\(an estimate\)/);
      assert.equal(typeof r.body.wait.seconds, 'number');

      const me = client(app.url, agent.token);
      const claim = await me.post('/v1/tasks/claim', { workflow: 'support-chat' });
      assert.equal(claim.status, 200);
      const draft = claim.body.item.prediction.draft;
      assert.match(draft.text, /charged twice/);
      assert.equal(claim.body.item.metadata.conversationId, c.id);
      const detail = await me.get(`/v1/conversations/${c.id}`);
      assert.equal(detail.body.conversation.customer.name, 'Ada');
      assert.equal(detail.body.items[0].route.route, 'review');

      const edited = `${draft.text} You can also send us a screenshot.`;
      const a = await me.post(`/v1/tasks/${claim.body.task.id}/answer`, { assignment: claim.body.task.assignment, text: edited });
      assert.equal(a.status, 200, JSON.stringify(a.body));
      const read = await c.chat.get(`/v1/chat/conversations/${c.id}/messages?after=${r.body.notice.seq}&waitSeconds=1`);
      assert.equal(read.body.state, 'human');
      assert.deepEqual(read.body.messages.map((m: { author: string; text: string }) => [m.author, m.text]), [['agent', edited]]);

      const metrics = await admin.get('/v1/workflows/support-chat/chat-metrics');
      const intent = metrics.body.drafts.byIntent.find((x: { intent: string }) => x.intent === 'transaction_charged_twice');
      assert.equal(intent.edited, 1, JSON.stringify(metrics.body.drafts));
      assert.ok(metrics.body.timeToFirstHuman.count >= 1);
      const library = await admin.get('/v1/workflows/support-chat/replies');
      assert.ok(library.body.replies.some((x: { text: string }) => x.text === edited), 'the approved edit joined the library');

      // The agent writes again, hands back; the bot answers the next message.
      assert.equal((await me.post(`/v1/conversations/${c.id}/messages`, { text: 'Anything else?' })).status, 201);
      assert.equal((await me.post(`/v1/conversations/${c.id}/handback`)).body.conversation.state, 'bot');
      const next = await say(c, 'how do I change my PIN?');
      assert.equal(next.body.state, 'bot');
      assert.ok(next.body.reply, JSON.stringify(next.body));
      assert.equal((await c.chat.post(`/v1/chat/conversations/${c.id}/rating`, { rating: 'up' })).status, 204);
    });

    test('an explicit request for a person and risk words hand over at once, whatever the draft', async () => {
      const c = await start();
      const r = await say(c, 'How long will it take for my new card to arrive? I want to talk to a real person');
      assert.equal(r.body.state, 'waiting');
      const d = await admin.get(`/v1/conversations/${c.id}`);
      assert.ok(d.body.conversation.handoffReasons.includes('signal:human_requested'), JSON.stringify(d.body.conversation));
      const c2 = await start();
      const r2 = await say(c2, 'My card has not arrived, I will call my lawyer');
      assert.equal(r2.body.state, 'waiting');
      const d2 = await admin.get(`/v1/conversations/${c2.id}`);
      assert.equal(d2.body.items[0].route.route, 'escalate');
      const c3 = await start();
      assert.equal((await say(c3, "This is terrible, your app is useless and I'm furious my card still hasn't arrived")).body.state, 'waiting');
      const d3 = await admin.get(`/v1/conversations/${c3.id}`);
      assert.equal(d3.body.items[0].route.route, 'escalate', 'an upset customer goes to a lead at once');
      const reviewer = await person(t.db, 'reviewer', ['support-chat']);
      assert.equal((await client(app.url, reviewer.token).post(`/v1/conversations/${c3.id}/messages`, { text: 'hello' })).status, 403, 'a reviewer does not take over an escalation');
      assert.ok(d3.body.conversation.handoffReasons.includes('signal:upset'), JSON.stringify(d3.body.conversation));
      const vip = await start({ segment: 'vip' });
      assert.equal((await say(vip, 'How long will it take for my new card to arrive?')).body.state, 'waiting');
    });

    test('an agent who writes to a waiting customer directly takes the handoff over: its task leaves the queue', async () => {
      const c = await start();
      await say(c, 'I want to talk to a person');
      const me = client(app.url, agent.token);
      const before = await me.get(`/v1/conversations/${c.id}`);
      const taskId = before.body.items[0].openTaskId;
      assert.ok(taskId);
      assert.equal((await me.post(`/v1/conversations/${c.id}/messages`, { text: 'Hi, I am here.' })).status, 201);
      const after = await me.get(`/v1/conversations/${c.id}`);
      assert.equal(after.body.items[0].openTaskId, null);
      assert.equal(after.body.conversation.state, 'human');
    });

    test('a handoff is on the live stream at once', async () => {
      const controller = new AbortController();
      const res = await fetch(`${app.url}/v1/events/stream`, { headers: { authorization: `Bearer ${agent.token}` }, signal: controller.signal });
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      const seen = (async () => {
        while (!buffer.includes('event: handoff')) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
        }
      })();
      await new Promise((r) => setTimeout(r, 300));
      const c = await start();
      await say(c, 'talk to a person please');
      await Promise.race([seen, new Promise((_, reject) => setTimeout(() => reject(new Error(`no handoff event in: ${buffer}`)), 8000))]);
      controller.abort();
      const frame = buffer.slice(buffer.indexOf('event: handoff')).split('\n')[1]!;
      const data = JSON.parse(frame.slice('data: '.length));
      assert.equal(data.conversationId, c.id);
      assert.deepEqual(data.reasons.filter((r: string) => r.startsWith('signal:')), ['signal:human_requested']);
    });

    test('a customer message left without its route by a crash is finished later, once', async () => {
      const c = await start();
      // What a process that died right after storing the message leaves behind.
      await app.engine.db.transaction((tx) => appendMessage(tx, { conversationId: c.id, author: 'customer', text: 'How long will it take for my new card to arrive?', needsRoute: true }));
      await app.engine.db.query(`UPDATE conversation_messages SET created_at = now() - interval '1 minute' WHERE conversation_id = $1::uuid`, [c.id]);
      const [a, b] = await Promise.all([finishUnroutedMessages(app.engine), finishUnroutedMessages(app.engine)]);
      assert.equal(a + b, 1, 'two repairers at once finish it once');
      assert.equal(await finishUnroutedMessages(app.engine), 0);
      const read = await c.chat.get(`/v1/chat/conversations/${c.id}/messages?waitSeconds=0`);
      assert.deepEqual(read.body.messages.map((m: { author: string }) => m.author), ['customer', 'bot']);
    });

    test('a message in a language the model never saw goes to a person', async () => {
      const c = await start();
      const r = await say(c, 'Wie lange dauert es, bis meine neue Karte ankommt? Bitte schnell antworten.');
      assert.equal(r.body.state, 'waiting', JSON.stringify(r.body));
      const d = await admin.get(`/v1/conversations/${c.id}`);
      assert.ok(d.body.items[0].route.reasons.some((x: { code: string }) => x.code === 'out_of_scope'), JSON.stringify(d.body.items[0].route));
    });

    test('empty, huge, foreign-customer and token-less messages are refused plainly', async () => {
      const c = await start();
      const empty = await say(c, '   ');
      assert.equal(empty.status, 400);
      assert.match(empty.body.detail, /needs some text/);
      const huge = await say(c, 'x'.repeat(5000));
      assert.equal(huge.status, 400);
      assert.match(huge.body.detail, /at most 2000 characters; this one has 5000/);
      const over = await say(c, 'y'.repeat(300 * 1024));
      assert.equal(over.status, 413);
      assert.match(over.body.detail, /larger than the limit of 262144 bytes/);
      const other = await c.chat.post(`/v1/chat/conversations/${c.id}/messages`, { customerId: 'someone-else', text: 'hi' });
      assert.equal(other.status, 403);
      const anon = await client(app.url, null).post(`/v1/chat/conversations/${c.id}/messages`, { customerId: c.customerId, text: 'hi' });
      assert.equal(anon.status, 401);
      const wrong = await client(app.url, 'tdm_conv_wrong').get(`/v1/chat/conversations/${c.id}/messages?waitSeconds=0`);
      assert.equal(wrong.status, 401);
      const other2 = await start();
      const cross = await other2.chat.get(`/v1/chat/conversations/${c.id}/messages?waitSeconds=0`);
      assert.equal(cross.status, 401, 'a token opens its own conversation only');
    });

    test('50 messages a second are rate-limited with 429 and Retry-After; nothing beyond the limit is stored', async () => {
      const c = await start();
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => say(c, `hello number ${i}`)));
      const ok = results.filter((r) => r.status === 202).length;
      const limited = results.filter((r) => r.status === 429);
      assert.equal(ok, 5, results.map((r) => r.status).join(','));
      assert.equal(limited.length, 45);
      assert.match(limited[0]!.body.detail, /at most 5 in 10 seconds/);
      assert.ok(Number(limited[0]!.headers.get('retry-after')) >= 1);
      const read = await c.chat.get(`/v1/chat/conversations/${c.id}/messages?waitSeconds=0`);
      assert.equal(read.body.messages.filter((m: { author: string }) => m.author === 'customer').length, 5);
    });
  });
}

describe('conversations with the model endpoint down', () => {
  let t: TestDb;
  let app: TestApp;
  let api: OpenAIStandIn;
  before(async () => {
    api = await startOpenAIStandIn({ kind: 'status', status: 503, message: 'overloaded' });
    t = await freshDb('pglite');
    app = await startApp(t.db);
    const admin = client(app.url, adminKey);
    const r = await admin.post('/v1/workflows', {
      name: 'chat-llm', answerType: 'reply', labels: ['card_arrival', 'change_pin'],
      model: { type: 'openai', baseUrl: api.baseUrl, model: 'gpt-test', timeoutMs: 2000 },
      reply: { autoSend: true, autoSendThreshold: 0.1, drafter: 'model' },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  });
  after(async () => {
    await app.close();
    await t.drop();
    await api.close();
  });

  test('every message goes to a person, and the customer is told', async () => {
    const admin = client(app.url, adminKey);
    const s = await admin.post('/v1/workflows/chat-llm/conversations', { customerId: 'c1' });
    const chat = client(app.url, s.body.token);
    for (const text of ['where is my card?', 'hello?']) {
      const r = await chat.post(`/v1/chat/conversations/${s.body.conversation.id}/messages`, { customerId: 'c1', text });
      assert.equal(r.status, 202);
      if (text === 'where is my card?') {
        assert.equal(r.body.state, 'waiting');
        assert.match(r.body.notice.text, /assistant is unavailable right now/);
      } else {
        assert.equal(r.body.state, 'waiting', 'later messages wait for the person too');
      }
    }
    const d = await admin.get(`/v1/conversations/${s.body.conversation.id}`);
    assert.ok(d.body.items[0].route.reasons.some((x: { code: string }) => x.code === 'model_error'));
    assert.ok(api.requests.length >= 1);
  });
});
