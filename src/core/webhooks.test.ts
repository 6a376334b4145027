import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { backoffMs, endpointUrlProblem, webhookBody } from './webhooks.ts';

test('backoff stays within [0, min(cap, base * 2^(n-1))] and its ceiling grows until the cap', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 10_000_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, base, cap, r) => {
      const d = backoffMs(n, { baseMs: base, capMs: cap }, r);
      assert.ok(d >= 0 && d <= Math.min(cap, base * 2 ** (n - 1)));
      assert.ok(backoffMs(n + 1, { baseMs: base, capMs: cap }, 1) >= backoffMs(n, { baseMs: base, capMs: cap }, 1));
    }),
  );
  assert.equal(backoffMs(1, { baseMs: 100, capMs: 1000 }, 1), 100);
  assert.equal(backoffMs(3, { baseMs: 100, capMs: 1000 }, 1), 400);
  assert.equal(backoffMs(10, { baseMs: 100, capMs: 1000 }, 1), 1000);
});

test('endpoint URLs must be absolute http(s) without credentials', () => {
  assert.equal(endpointUrlProblem('https://example.com/hook'), null);
  assert.equal(endpointUrlProblem('http://127.0.0.1:9000/'), null);
  assert.match(endpointUrlProblem('not a url') ?? '', /absolute/);
  assert.match(endpointUrlProblem('ftp://example.com/') ?? '', /http/);
  assert.match(endpointUrlProblem('https://u:p@example.com/') ?? '', /password/);
});

test('the body has the Standard Webhooks type/timestamp/data shape', () => {
  const body = JSON.parse(webhookBody({ id: '7', type: 'decision.made', workflow: 'w', itemId: null, taskId: null, payload: { outcome: 1 }, createdAt: new Date(0) }));
  assert.deepEqual(body, { type: 'decision.made', timestamp: '1970-01-01T00:00:00.000Z', data: { eventId: '7', workflow: 'w', itemId: null, taskId: null, outcome: 1 } });
});
