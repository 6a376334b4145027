// Drafting a reply through the `openai` adapter, against the local chat-completions stand-in:
// the prompt carries the intent, approved examples and the conversation; a good answer is a
// draft with a confidence; every failure is an error value (the message then goes to a person).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { draftWithOpenAI, type DraftRequest } from './openai.ts';
import { startOpenAIStandIn, type OpenAIStandIn } from '../../test/openaiStandIn.ts';

const KEY = 'sk-draft-SECRET-0123456789';

describe('openai reply drafts', () => {
  let api: OpenAIStandIn;
  let n = 0;
  before(async () => {
    api = await startOpenAIStandIn({ kind: 'content', content: '{"reply": "Hello", "confidence": 0.5}' }, { apiKey: KEY });
  });
  after(() => api.close());

  const ask = (content: string | null, req: Partial<DraftRequest> = {}, timeoutMs = 2000, apiKey = KEY) => {
    const marker = `[draft-${++n}]`;
    api.behave.set(marker, { kind: 'content', content });
    return draftWithOpenAI(
      { baseUrl: api.baseUrl, model: 'gpt-test', apiKey, timeoutMs },
      { workflow: 'support-chat', text: `${marker} where is my card?`, intent: 'card_arrival', examples: ['Cards arrive in 3 to 5 working days.'], history: [{ author: 'customer', text: 'hi' }, { author: 'bot', text: 'Hello! How can I help?' }], ...req },
    ).then((result) => ({ result, sent: api.requests.filter((r) => r.body?.messages.some((m) => m.content.includes(marker))) }));
  };

  test('a draft with its confidence, asked with the intent, the approved replies and the thread', async () => {
    const { result, sent } = await ask('{"reply": "Your card arrives in 3 to 5 working days.", "confidence": 0.82}');
    assert.deepEqual(result, { ok: true, text: 'Your card arrives in 3 to 5 working days.', confidence: 0.82, model: 'openai:gpt-test' });
    assert.equal(sent.length, 1);
    const body = sent[0]!.body!;
    assert.equal(body.response_format?.type, 'json_object');
    const system = body.messages.find((m) => m.role === 'system')!.content;
    assert.match(system, /"card_arrival"/);
    assert.match(system, /Cards arrive in 3 to 5 working days\./);
    const user = body.messages.find((m) => m.role === 'user')!.content;
    assert.match(user, /customer: hi\nbot: Hello! How can I help\?/);
    assert.equal(sent[0]!.authorization, `Bearer ${KEY}`);
  });

  test('garbage, a missing reply or confidence, a refusal and an error status are errors, without the key', async () => {
    for (const [content, pattern] of [
      ['not json', /not JSON/],
      ['{"confidence": 0.9}', /not \{"reply"/],
      ['{"reply": "ok", "confidence": 7}', /confidence must be a number from 0 to 1/],
      [null, /no content/],
    ] as const) {
      const { result } = await ask(content);
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.error, pattern);
    }
    const marker = `[draft-${++n}]`;
    api.behave.set(marker, { kind: 'status', status: 503 });
    const down = await draftWithOpenAI({ baseUrl: api.baseUrl, model: 'gpt-test', apiKey: KEY, timeoutMs: 2000 }, { workflow: 'w', text: marker, intent: null, examples: [], history: [] });
    assert.equal(down.ok, false);
    if (!down.ok) assert.match(down.error, /HTTP 503/);
    const { result } = await ask('{"reply": "x", "confidence": 1}', {}, 2000, 'sk-wrong-key-LEAK');
    assert.equal(result.ok, false);
    assert.ok(!JSON.stringify(result).includes('sk-wrong-key-LEAK'));
  });
});
