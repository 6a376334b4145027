import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  agentsNeeded, CapacityInputError, erlangAPerformance, erlangB, erlangC, erlangCPerformance, planCapacity, thresholdWhatIf, withShrinkage, type PlanInput,
} from './capacity.ts';

const close = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not within ${tolerance} of ${expected}`);

const plan = (o: Partial<PlanInput>): PlanInput => ({
  arrivalsPerHour: 200, handleSeconds: 180, serviceLevel: 0.8, withinSeconds: 20, automationRate: 0, shrinkage: 0, patienceSeconds: null, ...o,
});

// Call Centre Helper, "Erlang C Formula – Made Simple With an Easy Worked Example"
// (https://www.callcentrehelper.com/erlang-c-formula-example-121281.htm): 100 calls in 30 minutes,
// average handling time 180 s, 80 % answered within 20 s, shrinkage 30 %. The figures asserted
// are those the pyworkforce documentation publishes for that example
// (rodrigo-arenas/pyworkforce, docs/tutorials/erlangc_example.rst): raw_positions 14,
// positions 20, service_level 0.888, occupancy 0.714, waiting_probability 0.174.
test('Erlang C: the Call Centre Helper worked example (100 calls per half hour, AHT 180 s, 80/20, 30 % shrinkage)', () => {
  const p = planCapacity(plan({ arrivalsPerHour: 200, handleSeconds: 180, shrinkage: 0.3 }));
  assert.equal(p.model, 'erlang-c');
  assert.equal(p.traffic, 10, '10 erlangs');
  assert.equal(p.needed, 14, 'raw agents');
  assert.equal(p.reviewers, 20, 'with 30 % shrinkage');
  close(p.achieved.serviceLevel, 0.888, 0.0005, 'service level');
  close(p.achieved.occupancy, 0.714, 0.0005, 'occupancy');
  close(p.achieved.probabilityOfWaiting, 0.174, 0.0005, 'probability of waiting');
  // 13 agents fall just short: 79.6 %.
  const fewer = p.table.find((r) => r.agents === 13)!;
  assert.ok(fewer.serviceLevel < 0.8 && fewer.serviceLevel > 0.79, String(fewer.serviceLevel));
});

// The same example under Erlang A, as documented by pyworkforce (docs/guide/erlanga.md, exact
// from the birth-death chain): patience 5 min, 13 positions give service level 0.858, occupancy
// 0.750, abandonment 0.025, probability of waiting 0.226, ASA 0.125 min; and its regression
// test (pyworkforce/queuing/tests/test_abandonment.py) at 14 positions: waiting 0.14526,
// abandonment 0.013984, occupancy 0.704297, ASA 0.069919 min, service level 0.916792.
test('Erlang A: the same example with a 5-minute patience matches the published figures', () => {
  const load = { arrivalsPerHour: 200, handleSeconds: 180, patienceSeconds: 300 };
  const at13 = erlangAPerformance(13, load, 20);
  close(at13.serviceLevel, 0.858, 0.0005, 'service level at 13');
  close(at13.occupancy, 0.750, 0.0005, 'occupancy at 13');
  close(at13.abandonment!, 0.025, 0.0005, 'abandonment at 13');
  close(at13.probabilityOfWaiting, 0.226, 0.0005, 'waiting at 13');
  close(at13.expectedWaitSeconds, 0.125 * 60, 0.03, 'ASA at 13');
  const at14 = erlangAPerformance(14, load, 20);
  close(at14.probabilityOfWaiting, 0.14526, 0.000005, 'waiting at 14');
  close(at14.abandonment!, 0.013984, 0.0000005, 'abandonment at 14');
  close(at14.occupancy, 0.704297, 0.0000005, 'occupancy at 14');
  close(at14.expectedWaitSeconds / 60, 0.069919, 0.0000005, 'ASA at 14');
  close(at14.serviceLevel, 0.916792, 0.0000005, 'service level at 14');
  const p = planCapacity(plan({ patienceSeconds: 300, shrinkage: 0.3 }));
  assert.equal(p.model, 'erlang-a');
  assert.equal(p.needed, 13, 'abandonment lets one fewer person meet 80/20');
  assert.equal(p.reviewers, 19);
});

test('Erlang B and C agree with their textbook closed forms on small cases', () => {
  // One server: B = A / (1 + A), C = A (the M/M/1 probability of waiting).
  close(erlangB(1, 0.5), 0.5 / 1.5, 1e-15, 'B(1, 0.5)');
  close(erlangC(1, 0.5), 0.5, 1e-15, 'C(1, 0.5)');
  // Two servers, A = 1: B = (1/2) / (1 + 1 + 1/2) = 0.2; C = 2·0.2 / (2 − 1·0.8) = 1/3.
  close(erlangB(2, 1), 0.2, 1e-15, 'B(2, 1)');
  close(erlangC(2, 1), 1 / 3, 1e-15, 'C(2, 1)');
  // M/M/1 mean wait: ρ/(μ − λ) = 0.5 / (1/60 − 1/120) s = 60 s.
  close(erlangCPerformance(1, { arrivalsPerHour: 30, handleSeconds: 60 }, 0).expectedWaitSeconds, 60, 1e-9, 'M/M/1 wait');
});

test('hundreds of agents and heavy traffic compute without overflow', () => {
  // 48,000 arrivals an hour at 4 minutes: 3,200 erlangs. A^c / c! overflows doubles long before this.
  const p = planCapacity(plan({ arrivalsPerHour: 48_000, handleSeconds: 240 }));
  assert.ok(p.needed > 3200 && p.needed < 3300, String(p.needed));
  assert.ok(Number.isFinite(p.achieved.expectedWaitSeconds));
  assert.ok(p.achieved.serviceLevel >= 0.8);
  const below = erlangCPerformance(p.needed - 1, { arrivalsPerHour: 48_000, handleSeconds: 240 }, 20);
  assert.ok(below.serviceLevel < 0.8);
  const a = planCapacity(plan({ arrivalsPerHour: 12_000, handleSeconds: 120, patienceSeconds: 600 }));
  assert.ok(a.needed > 300 && a.needed < 420, String(a.needed));
  assert.ok(Number.isFinite(a.achieved.serviceLevel) && Number.isFinite(a.achieved.abandonment!));
});

test('overloaded Erlang C: every item waits and the wait is unbounded', () => {
  const p = erlangCPerformance(10, { arrivalsPerHour: 200, handleSeconds: 180 }, 20);
  assert.equal(p.probabilityOfWaiting, 1);
  assert.equal(p.expectedWaitSeconds, Infinity);
  assert.equal(p.serviceLevel, 0);
  // With patience the queue stays finite even so.
  const a = erlangAPerformance(8, { arrivalsPerHour: 200, handleSeconds: 180, patienceSeconds: 120 }, 20);
  assert.ok(Number.isFinite(a.expectedWaitSeconds) && a.abandonment! > 0.1);
  assert.ok(a.occupancy <= 1);
});

test('automation and shrinkage: people see only what the machine leaves, and are scheduled for their absence', () => {
  const all = planCapacity(plan({ arrivalsPerHour: 400 }));
  const half = planCapacity(plan({ arrivalsPerHour: 400, automationRate: 0.5 }));
  assert.equal(half.humanArrivalsPerHour, 200);
  assert.equal(half.needed, 14);
  assert.ok(all.needed > half.needed);
  assert.equal(withShrinkage(14, 0.3), 20);
  assert.equal(withShrinkage(14, 0), 14);
  assert.equal(withShrinkage(0, 0.5), 0);
  const none = planCapacity(plan({ automationRate: 1 }));
  assert.equal(none.needed, 0);
  assert.equal(none.reviewers, 0);
  assert.equal(none.achieved.serviceLevel, 1);
});

test('what-if over thresholds: more automation never needs more reviewers', () => {
  const rows = thresholdWhatIf(plan({ arrivalsPerHour: 600 }), [
    { threshold: 0.99, automationRate: 0.2, estimatedAccuracy: 0.99 },
    { threshold: 0.9, automationRate: 0.6, estimatedAccuracy: 0.97 },
    { threshold: 0.7, automationRate: 0.85, estimatedAccuracy: 0.93 },
  ]);
  assert.deepEqual(rows.map((r) => r.threshold), [0.99, 0.9, 0.7]);
  assert.ok(rows[0]!.needed > rows[1]!.needed && rows[1]!.needed > rows[2]!.needed, JSON.stringify(rows.map((r) => r.needed)));
  assert.equal(rows[1]!.needed, agentsNeeded({ arrivalsPerHour: 240, handleSeconds: 180, patienceSeconds: null }, 0.8, 20));
});

test('bad input is refused with a message', () => {
  for (const bad of [{ serviceLevel: 1 }, { serviceLevel: 0 }, { shrinkage: 1 }, { automationRate: 1.5 }, { handleSeconds: 0 }, { arrivalsPerHour: -1 }, { patienceSeconds: 0 }, { withinSeconds: Number.NaN }]) {
    assert.throws(() => planCapacity(plan(bad)), CapacityInputError, JSON.stringify(bad));
  }
});

const loads = fc.record({
  arrivalsPerHour: fc.double({ min: 1, max: 5000, noNaN: true }),
  handleSeconds: fc.double({ min: 5, max: 900, noNaN: true }),
  patienceSeconds: fc.option(fc.double({ min: 5, max: 3600, noNaN: true }), { nil: null }),
});

test('property: service level in [0, 1]; more agents never worse; more traffic never better', () => {
  fc.assert(
    fc.property(loads, fc.integer({ min: 1, max: 400 }), fc.double({ min: 0, max: 300, noNaN: true }), (load, agents, within) => {
      const p = erlangAPerformance(agents, load, within);
      const more = erlangAPerformance(agents + 1, load, within);
      const busier = erlangAPerformance(agents, { ...load, arrivalsPerHour: load.arrivalsPerHour * 1.2 }, within);
      for (const x of [p, more, busier]) {
        assert.ok(x.serviceLevel >= 0 && x.serviceLevel <= 1, JSON.stringify(x));
        assert.ok(x.probabilityOfWaiting >= 0 && x.probabilityOfWaiting <= 1);
        assert.ok(x.occupancy >= 0 && x.occupancy <= 1);
      }
      assert.ok(more.serviceLevel >= p.serviceLevel - 1e-9, `${more.serviceLevel} < ${p.serviceLevel}`);
      assert.ok(more.expectedWaitSeconds <= p.expectedWaitSeconds + 1e-9);
      assert.ok(busier.serviceLevel <= p.serviceLevel + 1e-9);
      // A longer target can only count more items as started in time.
      assert.ok(erlangAPerformance(agents, load, within + 10).serviceLevel >= p.serviceLevel - 1e-9);
    }),
    { numRuns: 150 },
  );
});

test('property: the agents needed meet the target and one fewer does not', () => {
  fc.assert(
    fc.property(loads, fc.double({ min: 0.5, max: 0.95, noNaN: true }), fc.integer({ min: 5, max: 120 }), (load, level, within) => {
      const n = agentsNeeded(load, level, within);
      assert.ok(erlangAPerformance(n, load, within).serviceLevel >= level);
      if (n > 1) assert.ok(erlangAPerformance(n - 1, load, within).serviceLevel < level);
    }),
    { numRuns: 100 },
  );
});

test('property: Erlang A tends to Erlang C as patience grows', () => {
  fc.assert(
    fc.property(fc.integer({ min: 2, max: 60 }), fc.double({ min: 0.3, max: 0.9, noNaN: true }), fc.double({ min: 10, max: 600, noNaN: true }), (agents, rho, handle) => {
      const load = { arrivalsPerHour: (rho * agents * 3600) / handle, handleSeconds: handle };
      const c = erlangCPerformance(agents, load, 20);
      const a = erlangAPerformance(agents, { ...load, patienceSeconds: handle * 1e6 }, 20);
      close(a.probabilityOfWaiting, c.probabilityOfWaiting, 1e-4, 'waiting');
      close(a.serviceLevel, c.serviceLevel, 1e-4, 'service level');
    }),
    { numRuns: 60 },
  );
});

test('Erlang C matches the textbook values', () => {
  // 2 erlangs on 3 servers: C = 4/9 (e.g. Kleinrock; the M/M/3 with ρ = 2/3).
  assert.ok(Math.abs(erlangC(3, 2) - 4 / 9) < 1e-12);
  // One server: C = ρ.
  assert.ok(Math.abs(erlangC(1, 0.7) - 0.7) < 1e-12);
  // The published table value for 10 erlangs on 12 agents: 0.4494 (Erlang C tables, 4 d.p.).
  assert.ok(Math.abs(erlangC(12, 10) - 0.4494) < 5e-5);
  // No steady state when the agents cannot keep up: everyone waits.
  assert.equal(erlangC(2, 2), 1);
});
