import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { estimateWait, waitText } from './handoffWait.ts';
import { erlangCPerformance } from './capacity.ts';

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

test('with a measured hand-off rate the wait is no less than the Erlang C mean wait', () => {
  // 50 an hour at 180 s on 3 agents: 2.5 erlangs, C(3, 2.5) ≈ 0.702 and a mean wait of about 253 s, though nobody waits ahead.
  const w = estimateWait({ queued: 1, meanHandleSeconds: 180, activeAgents: 3, arrivalsPerHour: 50 });
  const planned = erlangCPerformance(3, { arrivalsPerHour: 50, handleSeconds: 180 }, 0).expectedWaitSeconds;
  assert.equal(w.seconds, Math.ceil(planned));
  assert.ok(w.seconds > 245 && w.seconds < 260, `${w.seconds}`);
  assert.match(w.basis, /Erlang C/);
  // A long queue outweighs the steady-state figure, and past saturation only the queue counts.
  assert.equal(estimateWait({ queued: 41, meanHandleSeconds: 180, activeAgents: 3, arrivalsPerHour: 50 }).seconds, 2400);
  assert.equal(estimateWait({ queued: 3, meanHandleSeconds: 180, activeAgents: 1, arrivalsPerHour: 40 }).seconds, 360);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 3600 }), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 2000 }), (q, h, a, r) => {
      const measured = estimateWait({ queued: q, meanHandleSeconds: h, activeAgents: a, arrivalsPerHour: r }).seconds;
      assert.ok(measured >= estimateWait({ queued: q, meanHandleSeconds: h, activeAgents: a }).seconds);
      assert.ok(Number.isFinite(measured));
    }),
  );
});

test('the wait in words', () => {
  assert.equal(waitText(0), 'less than a minute');
  assert.equal(waitText(60), 'about 1 minute');
  assert.equal(waitText(400), 'about 7 minutes');
  assert.equal(waitText(7200), 'about 2 hours');
});
