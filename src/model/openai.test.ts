// The `openai` adapter against a local stand-in that speaks the chat-completions protocol:
// the request it sends, the prompt, both ways of getting probabilities (token logprobs and the
// model's own confidence), and every way the endpoint can fail, none of which may throw or leak the key.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { Prediction } from '../core/types.ts';
import type { ScoringRequest } from './http.ts';
import { scoreWithOpenAI, type OpenAIOptions } from './openai.ts';
import { startOpenAIStandIn, type OpenAIStandIn, type RecordedRequest, type StandInBehaviour } from '../../test/openaiStandIn.ts';

const KEY = 'sk-test-0123456789-SECRET-abcdef';
const labels = ['billing', 'refund', 'card_arrival', 'card_linking', 'card'];

function item(text: string | null, extra: Partial<ScoringRequest> = {}): ScoringRequest {
  return { workflow: 'support', text, fields: {}, metadata: {}, labels, ...extra };
}

function assertFailed(p: Prediction, pattern: RegExp): void {
  assert.equal(typeof p.error, 'string', `expected an error, got ${JSON.stringify(p)}`);
  assert.match(p.error!, pattern);
  assert.deepEqual(p.labels, {});
  assert.equal(p.label, null);
  assert.equal(p.confidence, null);
  assert.equal(p.model, 'openai:gpt-test');
  assert.ok(!JSON.stringify(p).includes(KEY), `key leaked: ${p.error}`);
}

function assertClose(actual: Record<string, number>, expected: Record<string, number>): void {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
  for (const [l, p] of Object.entries(expected)) assert.ok(Math.abs(actual[l]! - p) < 1e-9, `${l}: ${actual[l]} ≠ ${p}`);
}

describe('openai adapter', () => {
  let api: OpenAIStandIn;
  let n = 0;
  before(async () => {
    api = await startOpenAIStandIn({ kind: 'answer', label: 'billing', confidence: 0.5 }, { apiKey: KEY });
  });
  after(async () => {
    await api.close();
  });

  const options = (extra: Partial<OpenAIOptions> = {}): OpenAIOptions => ({ baseUrl: api.baseUrl, model: 'gpt-test', apiKey: KEY, timeoutMs: 2000, ...extra });
  /** Scores an item whose text carries a fresh marker the stand-in answers with `behaviour`. */
  async function scoreAs(behaviour: StandInBehaviour, text = 'my card was charged twice', extra: Partial<OpenAIOptions> = {}, req: Partial<ScoringRequest> = {}) {
    const marker = `[case-${++n}]`;
    api.behave.set(marker, behaviour);
    const prediction = await scoreWithOpenAI(options(extra), item(`${marker} ${text}`, req));
    const sent = api.requests.filter((r) => r.body?.messages.some((m) => m.content.includes(marker)));
    return { prediction, sent, marker };
  }
  const userOf = (r: RecordedRequest) => r.body!.messages.find((m) => m.role === 'user')!.content;
  const systemOf = (r: RecordedRequest) => r.body!.messages.find((m) => m.role === 'system')!.content;

  test('sends a chat-completions request with the key, JSON mode, temperature 0 and logprobs', async () => {
    const { prediction, sent } = await scoreAs({ kind: 'answer', label: 'billing', confidence: 0.8, evidence: ['charged twice'] });
    assert.equal(prediction.error, undefined);
    assert.equal(sent.length, 1);
    const r = sent[0]!;
    assert.equal(r.method, 'POST');
    assert.equal(r.path, '/v1/chat/completions');
    assert.equal(r.authorization, `Bearer ${KEY}`);
    assert.equal(r.body!.model, 'gpt-test');
    assert.deepEqual(r.body!.messages.map((m) => m.role), ['system', 'user']);
    assert.equal(r.body!.temperature, 0);
    assert.deepEqual(r.body!.response_format, { type: 'json_object' });
    assert.equal(r.body!.logprobs, true);
    assert.equal(r.body!.top_logprobs, 5);
  });

  test('without logprobs, the chosen label gets the stated confidence and the rest share the remainder', async () => {
    const { prediction } = await scoreAs({ kind: 'answer', label: 'billing', confidence: 0.8, evidence: ['charged twice', 'card'] });
    assert.equal(prediction.error, undefined);
    assert.equal(prediction.label, 'billing');
    assert.equal(prediction.confidence, 0.8);
    assertClose(prediction.labels, { billing: 0.8, refund: 0.05, card_arrival: 0.05, card_linking: 0.05, card: 0.05 });
    assert.deepEqual(prediction.explanation, ['charged twice', 'card']);
    assert.equal(prediction.model, 'openai:gpt-test');
  });

  test('the prompt lists the labels and carries the text, fields and metadata compactly', async () => {
    const { sent } = await scoreAs({ kind: 'answer', label: 'refund', confidence: 0.9 }, 'please refund order 42', {}, {
      fields: { order: 42, tags: ['vip', 'eu'] },
      metadata: { channel: 'email' },
    });
    const system = systemOf(sent[0]!);
    const user = userOf(sent[0]!);
    assert.ok(system.includes(JSON.stringify(labels)), system);
    assert.match(system, /json/i);
    assert.match(system, /"label"/);
    assert.ok(user.includes('please refund order 42'), user);
    assert.ok(user.includes('Fields: {"order":42,"tags":["vip","eu"]}'), user);
    assert.ok(user.includes('Metadata: {"channel":"email"}'), user);
  });

  test('very long text is cut to 4,000 characters by default, or to the configured length', async () => {
    const long = `start ${'a'.repeat(9000)} TAIL-MARK`;
    const byDefault = await scoreAs({ kind: 'answer', label: 'billing', confidence: 0.7 }, long);
    assert.equal(byDefault.prediction.error, undefined);
    const user = userOf(byDefault.sent[0]!);
    assert.ok(!user.includes('TAIL-MARK'));
    assert.ok(user.includes('start aaaa'));
    assert.ok(user.length < 4200, `prompt is ${user.length} characters`);
    assert.match(user, /more characters cut/);

    const short = await scoreAs({ kind: 'answer', label: 'billing', confidence: 0.7 }, long, { maxTextChars: 100 });
    assert.ok(userOf(short.sent[0]!).length < 250);
  });

  test('token logprobs give the distribution, across labels that share a prefix', async () => {
    const distribution = { card_arrival: 0.6, card_linking: 0.2, card: 0.05, billing: 0.1, refund: 0.05 };
    for (const tokenizer of ['split', 'glued'] as const) {
      // A self-reported confidence that disagrees shows which source was used.
      const { prediction } = await scoreAs({ kind: 'answer', label: 'card_arrival', confidence: 0.99, distribution, tokenizer });
      assert.equal(prediction.error, undefined, tokenizer);
      assert.equal(prediction.label, 'card_arrival');
      assert.ok(Math.abs(prediction.confidence! - 0.6) < 1e-9, `${tokenizer}: ${prediction.confidence}`);
      assertClose(prediction.labels, distribution);
    }
  });

  test('with logprobs the most probable label wins even when the model wrote another', async () => {
    // Greedy decoding takes the `card` prefix (0.65) first, then card_arrival; billing alone is likelier.
    const distribution = { card_arrival: 0.32, card_linking: 0.3, card: 0.03, billing: 0.35, refund: 0 };
    const { prediction } = await scoreAs({ kind: 'answer', label: 'card_arrival', confidence: 0.9, distribution });
    assert.equal(prediction.error, undefined);
    assert.equal(prediction.label, 'billing');
    assert.ok(Math.abs(prediction.confidence! - 0.35) < 1e-9);
  });

  test('probability beyond the top 5 alternatives is spread over the labels they did not name', async () => {
    const many = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
    const distribution = { alpha: 0.5, bravo: 0.2, charlie: 0.1, delta: 0.08, echo: 0.06, foxtrot: 0.03, golf: 0.02, hotel: 0.01 };
    const { prediction } = await scoreAs({ kind: 'answer', label: 'alpha', confidence: 0.9, distribution }, 'x', {}, { labels: many });
    assert.equal(prediction.error, undefined);
    assertClose(prediction.labels, { alpha: 0.5, bravo: 0.2, charlie: 0.1, delta: 0.08, echo: 0.06, foxtrot: 0.02, golf: 0.02, hotel: 0.02 });
  });

  test('a label differing only in case or spacing is accepted; one outside the set is an error', async () => {
    const loose = await scoreAs({ kind: 'answer', label: '  Refund ', confidence: 0.6 });
    assert.equal(loose.prediction.error, undefined);
    assert.equal(loose.prediction.label, 'refund');
    assert.equal(loose.prediction.confidence, 0.6);

    const outside = await scoreAs({ kind: 'answer', label: 'shipping', confidence: 0.9 });
    assertFailed(outside.prediction, /"shipping".*not one of the workflow's labels/);
  });

  test('content that is not the JSON asked for is an error', async () => {
    assertFailed((await scoreAs({ kind: 'content', content: 'I think it is billing.' })).prediction, /content is not JSON/);
    assertFailed((await scoreAs({ kind: 'content', content: '{"category":"billing"}' })).prediction, /not \{"label"/);
    assertFailed((await scoreAs({ kind: 'content', content: '["billing"]' })).prediction, /not \{"label"/);
    assertFailed((await scoreAs({ kind: 'content', content: '' })).prediction, /no content/);
    assertFailed((await scoreAs({ kind: 'content', content: null, refusal: 'I cannot help with that.' })).prediction, /refused.*cannot help/);
    assertFailed((await scoreAs({ kind: 'content', content: '{"label": "bil', finishReason: 'length' })).prediction, /cut off/);
  });

  test('a fenced JSON answer and a numeric-string confidence are accepted', async () => {
    const { prediction } = await scoreAs({ kind: 'content', content: '```json\n{"label": "card", "confidence": "0.7", "evidence": "arrived"}\n```' });
    assert.equal(prediction.error, undefined);
    assert.equal(prediction.label, 'card');
    assert.equal(prediction.confidence, 0.7);
    assert.deepEqual(prediction.explanation, ['arrived']);
  });

  test('without logprobs, a confidence that is not a probability is an error', async () => {
    for (const confidence of [7, -0.1, 'high', null, undefined]) {
      const { prediction } = await scoreAs({ kind: 'answer', label: 'billing', confidence });
      assertFailed(prediction, /confidence must be a number from 0 to 1/);
    }
  });

  test('an answer without choices is an error', async () => {
    assertFailed((await scoreAs({ kind: 'noChoices' })).prediction, /no choices/);
  });

  test('a body that is not JSON is an error naming the status', async () => {
    assertFailed((await scoreAs({ kind: 'body', body: '<html>hello</html>' })).prediction, /HTTP 200 .*not JSON/);
    assertFailed((await scoreAs({ kind: 'body', status: 502, body: '<html>Bad Gateway</html>' })).prediction, /HTTP 502/);
  });

  test('error statuses are errors; 429 says the endpoint is rate limiting', async () => {
    assertFailed((await scoreAs({ kind: 'status', status: 500, message: 'upstream overloaded' })).prediction, /HTTP 500.*upstream overloaded/);
    const limited = await scoreAs({ kind: 'status', status: 429, message: 'Rate limit reached for requests', headers: { 'retry-after': '7' } });
    assertFailed(limited.prediction, /rate limiting.*HTTP 429.*retry after 7 s/);
  });

  test('a slow endpoint times out and the call returns promptly', async () => {
    const started = Date.now();
    const { prediction } = await scoreAs({ kind: 'slow', ms: 3000, then: { kind: 'answer', label: 'billing', confidence: 0.9 } }, 'slow one', { timeoutMs: 200 });
    assertFailed(prediction, /did not answer within 200 ms/);
    assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
  });

  test('a wrong key is refused with 401 and never appears in the prediction', async () => {
    const { prediction, sent } = await scoreAs({ kind: 'answer', label: 'billing', confidence: 0.9 }, 'wrong key', { apiKey: `${KEY}-old` });
    assert.equal(sent[0]!.authorization, `Bearer ${KEY}-old`);
    assertFailed(prediction, /HTTP 401.*check the API key/);
    assert.ok(!prediction.error!.includes(`${KEY}-old`));
  });

  test('without a key no Authorization header is sent', async () => {
    const { prediction, sent } = await scoreAs({ kind: 'answer', label: 'billing', confidence: 0.9 }, 'no key', { apiKey: undefined });
    assert.equal(sent[0]!.authorization, undefined);
    assert.match(prediction.error ?? '', /HTTP 401.*no API key is configured/);
  });

  test('a key the server quotes back in an error message is redacted', async () => {
    const { prediction } = await scoreAs({ kind: 'status', status: 503, message: `upstream said no to ${KEY}` });
    assertFailed(prediction, /HTTP 503.*upstream said no to \*\*\*/);
  });

  test('temperature is configurable and a trailing slash on the base URL is fine', async () => {
    const { prediction, sent } = await scoreAs({ kind: 'answer', label: 'billing', confidence: 0.9 }, 'warm', { temperature: 0.3, baseUrl: `${api.baseUrl}/` });
    assert.equal(prediction.error, undefined);
    assert.equal(sent[0]!.path, '/v1/chat/completions');
    assert.equal(sent[0]!.body!.temperature, 0.3);
  });

  test('logprobs can be turned off', async () => {
    const { sent } = await scoreAs({ kind: 'answer', label: 'billing', confidence: 0.9 }, 'plain', { logprobs: false });
    assert.equal(sent[0]!.body!.logprobs, undefined);
    assert.equal(sent[0]!.body!.top_logprobs, undefined);
  });

  test('a workflow without labels is an error without a request', async () => {
    const { prediction, sent } = await scoreAs({ kind: 'answer', label: 'billing', confidence: 0.9 }, 'nothing', {}, { labels: [] });
    assertFailed(prediction, /no labels/);
    assert.equal(sent.length, 0);
  });
});

describe('openai adapter against an endpoint that rejects logprobs', () => {
  let api: OpenAIStandIn;
  before(async () => {
    api = await startOpenAIStandIn({ kind: 'answer', label: 'refund', confidence: 0.75 }, { rejectLogprobs: true });
  });
  after(async () => {
    await api.close();
  });

  test('asks again without logprobs, and stops asking for them', async () => {
    const options: OpenAIOptions = { baseUrl: api.baseUrl, model: 'gpt-test', timeoutMs: 2000 };
    const first = await scoreWithOpenAI(options, item('first'));
    assert.equal(first.error, undefined);
    assert.equal(first.label, 'refund');
    assert.equal(first.confidence, 0.75);
    assert.deepEqual(api.requests.map((r) => r.body!.logprobs ?? false), [true, false]);

    const second = await scoreWithOpenAI(options, item('second'));
    assert.equal(second.label, 'refund');
    assert.deepEqual(api.requests.map((r) => r.body!.logprobs ?? false), [true, false, false]);
  });
});

describe('openai adapter against nothing', () => {
  test('an unreachable endpoint is an error', async () => {
    const port = await new Promise<number>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', reject);
      probe.listen(0, '127.0.0.1', () => {
        const address = probe.address();
        const p = typeof address === 'object' && address ? address.port : 0;
        probe.close(() => resolve(p));
      });
    });
    const p = await scoreWithOpenAI({ baseUrl: `http://127.0.0.1:${port}/v1`, model: 'gpt-test', apiKey: KEY, timeoutMs: 2000 }, item('anyone there'));
    assertFailed(p, /model unreachable/);
  });
});

describe('openai stand-in', () => {
  let api: OpenAIStandIn;
  before(async () => {
    api = await startOpenAIStandIn({ kind: 'answer', label: 'billing', confidence: 0.9 });
  });
  after(async () => {
    await api.close();
  });
  const post = async (body: unknown) => {
    const res = await fetch(`${api.baseUrl}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  test('rejects requests the real endpoint would reject', async () => {
    const user = { role: 'user', content: 'answer in json' };
    assert.equal((await post({ messages: [user] })).status, 400);
    assert.equal((await post({ model: 'm', messages: [] })).status, 400);
    assert.equal((await post({ model: 'm', messages: [{ role: 'user' }] })).status, 400);
    assert.equal((await post({ model: 'm', messages: [{ role: 'user', content: 'hi' }], response_format: { type: 'json_object' } })).status, 400);
    assert.equal((await post({ model: 'm', messages: [user], top_logprobs: 5 })).status, 400);
  });

  test('answers in the chat.completion shape', async () => {
    const { status, body } = await post({ model: 'm', messages: [{ role: 'user', content: 'answer in json' }], response_format: { type: 'json_object' } });
    assert.equal(status, 200);
    assert.equal(body.object, 'chat.completion');
    assert.equal(body.model, 'm');
    assert.equal(typeof body.id, 'string');
    assert.equal(typeof body.created, 'number');
    const choice = (body.choices as Array<Record<string, unknown>>)[0]!;
    assert.equal(choice.index, 0);
    assert.equal(choice.finish_reason, 'stop');
    assert.deepEqual(choice.message, { role: 'assistant', content: '{"label":"billing","confidence":0.9,"evidence":[]}', refusal: null });
    assert.equal(typeof (body.usage as Record<string, unknown>).total_tokens, 'number');
  });
});
