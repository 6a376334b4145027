import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { estimateWait, waitText } from './handoffWait.ts';

test('the wait is the customers ahead times the handle time, shared among the agents', () => {
  assert.equal(estimateWait({ queued: 1, meanHandleSeconds: 180, activeAgents: 1 }).seconds, 0);
  assert.equal(estimateWait({ queued: 5, meanHandleSeconds: 180, activeAgents: 2 }).seconds, 360);
  assert.equal(estimateWait({ queued: 3, meanHandleSeconds: 100, activeAgents: 0 }).activeAgents, 1, 'no agent seen lately still counts as one');
  assert.match(estimateWait({ queued: 2, meanHandleSeconds: 60, activeAgents: 1 }).basis, /^estimate/);
});

test('the wait never falls as the queue grows or rises as agents join', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 1, max: 3600 }), fc.integer({ min: 1, max: 50 }), (q, h, a) => {
      const w = estimateWait({ queued: q, meanHandleSeconds: h, activeAgents: a }).seconds;
      assert.ok(w >= 0);
      assert.ok(estimateWait({ queued: q + 1, meanHandleSeconds: h, activeAgents: a }).seconds >= w);
      assert.ok(estimateWait({ queued: q, meanHandleSeconds: h, activeAgents: a + 1 }).seconds <= w);
    }),
  );
});

test('the wait in words', () => {
  assert.equal(waitText(0), 'less than a minute');
  assert.equal(waitText(60), 'about 1 minute');
  assert.equal(waitText(400), 'about 7 minutes');
  assert.equal(waitText(7200), 'about 2 hours');
});
