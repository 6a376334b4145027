import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { automationBias, type ModeDecision } from './automationBias.ts';
import { seededRandom } from './estimate.ts';
import type { Measured } from './measured.ts';

const close = (a: number, b: number, tol: number, msg?: string): void => assert.ok(Math.abs(a - b) <= tol, `${msg ?? ''} ${a} vs ${b}`);

function value<T extends object>(m: Measured<T>): T {
  assert.equal(m.kind, 'ok', JSON.stringify(m));
  return m as T;
}

function decisions(mode: 'blind' | 'shown', stratum: string, agreed: number, n: number): ModeDecision[] {
  return Array.from({ length: n }, (_, i) => ({ mode, stratum, agreed: i < agreed }));
}

test('one stratum: the difference is Newcombe\'s interval (Newcombe 1998b, Table II, example a: 56/70 − 48/80 → 0.0524 to 0.3339)', () => {
  const r = value(automationBias([...decisions('shown', 'all', 56, 70), ...decisions('blind', 'all', 48, 80)]));
  close(r.difference.estimate, 0.2, 1e-12);
  close(r.difference.lower, 0.0524, 5e-5);
  close(r.difference.upper, 0.3339, 5e-5);
  assert.equal(r.shown.n, 70);
  assert.equal(r.blind.n, 80);
  assert.equal(r.test.test, 'two-proportion-z');
  assert.equal(r.flag, 'more-agreement-when-shown');
  assert.equal(r.strata, 1);
});

test('several strata: the test is Cochran–Mantel–Haenszel (R mantelhaen.test "Rabbits" example: p = 0.04747)', () => {
  // Shown mode in the role of "no delay", agreement in the role of "cured".
  const strata: Array<[number, number, number, number]> = [
    [0, 6, 0, 5],
    [3, 3, 0, 6],
    [6, 0, 2, 4],
    [5, 1, 6, 0],
    [2, 0, 5, 0],
  ];
  const rows = strata.flatMap(([a, b, c, d], s) => [...decisions('shown', `s${s}`, a, a + b), ...decisions('blind', `s${s}`, c, c + d)]);
  const r = value(automationBias(rows));
  assert.equal(r.test.test, 'cochran-mantel-haenszel');
  close(r.test.p, 0.04747, 5e-6);
  assert.equal(r.strata, 5);
});

test('a mode that got easier items is not mistaken for automation bias', () => {
  const random = seededRandom(4);
  const rows: ModeDecision[] = [];
  for (let i = 0; i < 3000; i++) {
    const mode = random() < 0.5 ? 'shown' : 'blind';
    // Shown mode mostly sees confident items, on which everyone agrees with the machine more.
    const confident = random() < (mode === 'shown' ? 0.8 : 0.2);
    rows.push({ mode, stratum: confident ? 'high' : 'low', agreed: random() < (confident ? 0.95 : 0.6) });
  }
  const r = value(automationBias(rows));
  assert.ok(r.difference.lower > 0.1, 'the raw rates differ a lot');
  assert.equal(r.flag, null, `p = ${r.test.p}`);
});

test('too few decisions in a mode, or strata seen in one mode only, say so', () => {
  assert.deepEqual(automationBias([...decisions('shown', 'x', 5, 9), ...decisions('blind', 'x', 5, 50)]), {
    kind: 'insufficient',
    n: 9,
    needed: 10,
    message: 'not enough data (n = 9, needs 10)',
  });
  assert.equal(automationBias([...decisions('shown', 'x', 30, 50), ...decisions('blind', 'y', 30, 50)]).kind, 'insufficient');
  assert.throws(() => automationBias([], { alpha: 0 }), RangeError);
});

test('property: the difference lies in its interval and flips sign when the modes swap', () => {
  fc.assert(
    fc.property(fc.integer({ min: 10, max: 80 }), fc.integer({ min: 10, max: 80 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (ns, nb, ps, pb) => {
      const rows = [...decisions('shown', 'x', Math.round(ns * ps), ns), ...decisions('blind', 'x', Math.round(nb * pb), nb)];
      const swapped = rows.map((r) => ({ ...r, mode: r.mode === 'shown' ? ('blind' as const) : ('shown' as const) }));
      const a = value(automationBias(rows));
      const b = value(automationBias(swapped));
      assert.ok(a.difference.lower <= a.difference.estimate + 1e-12 && a.difference.estimate <= a.difference.upper + 1e-12);
      close(a.difference.estimate, -b.difference.estimate, 1e-12);
      close(a.test.p, b.test.p, 1e-9);
    }),
    { numRuns: 100 },
  );
});
