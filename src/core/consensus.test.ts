import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { estimatedVoteWeight, MAX_ESTIMATED_WEIGHT, sameOutcome, settleConsensus, settleWeightedConsensus, voteWeight } from './consensus.ts';
import type { Outcome } from './types.ts';

const label = (l: string): Outcome => ({ type: 'label', label: l });
const approve: Outcome = { type: 'approve', verdict: 'approve' };
const reject: Outcome = { type: 'approve', verdict: 'reject' };
const edit = (edited: Record<string, unknown>): Outcome => ({ type: 'approve', verdict: 'edit', edited });

test('sameOutcome compares by label, verdict, edited payload and text', () => {
  assert.equal(sameOutcome(label('a'), label('a')), true);
  assert.equal(sameOutcome(label('a'), label('b')), false);
  assert.equal(sameOutcome(approve, approve), true);
  assert.equal(sameOutcome(approve, reject), false);
  assert.equal(sameOutcome(edit({ a: 1, b: { c: [1, 2], d: 'x' } }), edit({ b: { d: 'x', c: [1, 2] }, a: 1 })), true, 'key order does not matter');
  assert.equal(sameOutcome(edit({ a: [1, 2] }), edit({ a: [2, 1] })), false, 'array order does');
  assert.equal(sameOutcome(edit({ a: 1 }), edit({ a: '1' })), false);
  assert.equal(sameOutcome(edit({}), approve), false);
  assert.equal(sameOutcome({ type: 'text', text: 'hi' }, { type: 'text', text: 'hi' }), true);
  assert.equal(sameOutcome({ type: 'text', text: 'hi' }, { type: 'text', text: 'hi ' }), false);
  assert.equal(sameOutcome({ type: 'text', text: 'approve' }, label('approve')), false);
  assert.equal(sameOutcome(label('edit:{}'), edit({})), false);
});

test('pending until enough answers', () => {
  assert.deepEqual(settleConsensus([], 1, 'majority'), { status: 'pending' });
  assert.deepEqual(settleConsensus([label('a'), label('a')], 3, 'majority'), { status: 'pending' });
});

test('majority and unanimity', () => {
  const two = [label('a'), label('a'), label('b')];
  assert.deepEqual(settleConsensus(two, 3, 'majority'), { status: 'agreed', outcome: label('a'), votes: 2 });
  assert.deepEqual(settleConsensus(two, 3, 'unanimous'), {
    status: 'disagreed',
    tally: [
      { outcome: label('a'), votes: 2 },
      { outcome: label('b'), votes: 1 },
    ],
  });
  assert.deepEqual(settleConsensus([approve, reject], 2, 'majority').status, 'disagreed', 'a tie is no majority');
  assert.deepEqual(settleConsensus([reject, reject], 2, 'unanimous'), { status: 'agreed', outcome: reject, votes: 2 });
  assert.deepEqual(settleConsensus([label('x')], 1, 'unanimous'), { status: 'agreed', outcome: label('x'), votes: 1 });
  const spread = [label('a'), label('b'), label('c'), label('a')];
  assert.equal(settleConsensus(spread, 4, 'majority').status, 'disagreed', '2 of 4 is not more than half');
});

test('late extra answers count, so two outcomes never both have a majority', () => {
  assert.equal(settleConsensus([label('a'), label('b')], 1, 'majority').status, 'disagreed');
  assert.deepEqual(settleConsensus([label('a'), label('b'), label('b')], 1, 'majority'), { status: 'agreed', outcome: label('b'), votes: 2 });
});

// --- properties -------------------------------------------------------------------------------

const outcome: fc.Arbitrary<Outcome> = fc.oneof(
  fc.constantFrom('a', 'b', 'c').map(label),
  fc.constantFrom(approve, reject),
  fc.constantFrom({ x: 1, y: 2 }, { y: 2, x: 1 }, { x: 2 }).map((e) => edit({ ...e })),
  fc.constantFrom('yes', 'no').map((text): Outcome => ({ type: 'text', text })),
);
const votes = fc.array(outcome, { minLength: 1, maxLength: 9 }).chain((answers) =>
  fc.record({ answers: fc.constant(answers), needed: fc.integer({ min: 1, max: answers.length }), rule: fc.constantFrom('majority' as const, 'unanimous' as const) }),
);

test('property: the order of answers does not matter', () => {
  fc.assert(
    fc.property(
      votes.chain((v) => fc.record({ v: fc.constant(v), shuffled: fc.shuffledSubarray(v.answers, { minLength: v.answers.length }) })),
      ({ v, shuffled }) => {
        const a = settleConsensus(v.answers, v.needed, v.rule);
        const b = settleConsensus(shuffled, v.needed, v.rule);
        assert.equal(a.status, b.status);
        if (a.status === 'agreed' && b.status === 'agreed') {
          assert.ok(sameOutcome(a.outcome, b.outcome));
          assert.equal(a.votes, b.votes);
        }
        if (a.status === 'disagreed' && b.status === 'disagreed') {
          assert.equal(a.tally.length, b.tally.length);
          a.tally.forEach((t, i) => {
            assert.ok(sameOutcome(t.outcome, b.tally[i]!.outcome));
            assert.equal(t.votes, b.tally[i]!.votes);
          });
        }
      },
    ),
    { numRuns: 500 },
  );
});

test('property: unanimous agreement implies majority agreement on the same outcome', () => {
  fc.assert(
    fc.property(votes, ({ answers, needed }) => {
      const u = settleConsensus(answers, needed, 'unanimous');
      if (u.status !== 'agreed') return;
      const m = settleConsensus(answers, needed, 'majority');
      assert.equal(m.status, 'agreed');
      if (m.status === 'agreed') assert.ok(sameOutcome(m.outcome, u.outcome));
    }),
    { numRuns: 500 },
  );
});

test('property: with one answer needed, one answer always agrees', () => {
  fc.assert(
    fc.property(outcome, fc.constantFrom('majority' as const, 'unanimous' as const), (o, rule) => {
      assert.deepEqual(settleConsensus([o], 1, rule), { status: 'agreed', outcome: o, votes: 1 });
    }),
  );
});

test('property: a tally counts every answer once, most votes first', () => {
  fc.assert(
    fc.property(votes, ({ answers, needed, rule }) => {
      const r = settleConsensus(answers, needed, rule);
      if (r.status === 'agreed') {
        assert.equal(r.votes, answers.filter((a) => sameOutcome(a, r.outcome)).length);
        if (rule === 'majority') assert.ok(r.votes * 2 > answers.length);
        else assert.equal(r.votes, answers.length);
      }
      if (r.status !== 'disagreed') return;
      assert.equal(r.tally.reduce((s, t) => s + t.votes, 0), answers.length);
      for (let i = 1; i < r.tally.length; i++) assert.ok(r.tally[i - 1]!.votes >= r.tally[i]!.votes);
      for (const t of r.tally) assert.equal(t.votes, answers.filter((a) => sameOutcome(a, t.outcome)).length);
    }),
    { numRuns: 500 },
  );
});

test('voteWeight: chance-level reviewers weigh nothing, better ones more, smoothed towards the average', () => {
  // 4 labels: chance is 1/4; p = (0 + 1) / (2 + 2) = 0.25 exactly gives log(0.25 · 3 / 0.75) = 0.
  assert.equal(voteWeight(0, 2, 4), 0);
  assert.equal(voteWeight(0, 50, 4), 0, 'worse than chance is clamped to 0');
  assert.ok(Math.abs(voteWeight(8, 8, 2) - Math.log(9)) < 1e-12, 'p = 0.9, two labels: log(0.9 / 0.1)');
  assert.ok(voteWeight(18, 20, 4) > voteWeight(9, 10, 4), 'more evidence of the same accuracy weighs more');
  assert.throws(() => voteWeight(3, 2, 4), RangeError);
  assert.throws(() => voteWeight(1, 2, 1), RangeError);
});

test('weighted consensus: an accurate reviewer outweighs two poor ones; zero weights fall back to counting', () => {
  const votes = [
    { outcome: label('a'), weight: 3 },
    { outcome: label('b'), weight: 1 },
    { outcome: label('b'), weight: 1 },
  ];
  assert.deepEqual(settleWeightedConsensus(votes, 3, 'majority'), { status: 'agreed', outcome: label('a'), votes: 1 });
  assert.deepEqual(settleWeightedConsensus(votes.map((v) => ({ ...v, weight: 0 })), 3, 'majority'), { status: 'agreed', outcome: label('b'), votes: 2 });
  assert.equal(settleWeightedConsensus(votes, 3, 'unanimous').status, 'disagreed');
  assert.deepEqual(settleWeightedConsensus(votes.slice(0, 2), 3, 'majority'), { status: 'pending' });
  assert.equal(settleWeightedConsensus([{ outcome: label('a'), weight: 1 }, { outcome: label('b'), weight: 1 }], 2, 'majority').status, 'disagreed');
});

test('property: equal positive weights settle exactly as unweighted consensus', () => {
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 0, maxLength: 9 }),
      fc.integer({ min: 1, max: 9 }),
      fc.double({ min: 0.01, max: 10, noNaN: true }),
      fc.constantFrom('majority' as const, 'unanimous' as const),
      (labels, needed, w, rule) => {
        const outcomes = labels.map(label);
        assert.deepEqual(settleWeightedConsensus(outcomes.map((outcome) => ({ outcome, weight: w })), needed, rule), settleConsensus(outcomes, needed, rule));
      },
    ),
  );
});

test('estimatedVoteWeight: log-likelihood ratio of the answer from the confusion matrix', () => {
  // Accuracy 0.9 with errors spread over 3 others: the same as voteWeight's log(0.9 · 3 / 0.1).
  const uniform = [
    [0.9, 0.1 / 3, 0.1 / 3, 0.1 / 3],
    [0.1 / 3, 0.9, 0.1 / 3, 0.1 / 3],
    [0.1 / 3, 0.1 / 3, 0.9, 0.1 / 3],
    [0.1 / 3, 0.1 / 3, 0.1 / 3, 0.9],
  ];
  for (let l = 0; l < 4; l++) assert.ok(Math.abs(estimatedVoteWeight(uniform, l) - Math.log(27)) < 1e-12);
  // Someone who always answers the first label: their answer says nothing.
  assert.equal(estimatedVoteWeight([[1, 0], [1, 0]], 0), 0);
  // Two labels: the Dawid–Skene log-likelihood ratio log(P(a | truth a) / P(a | truth b)).
  assert.ok(Math.abs(estimatedVoteWeight([[0.8, 0.2], [0.4, 0.6]], 0) - Math.log(0.8 / 0.4)) < 1e-12);
  assert.ok(Math.abs(estimatedVoteWeight([[0.8, 0.2], [0.4, 0.6]], 1) - Math.log(0.6 / 0.2)) < 1e-12);
  assert.equal(estimatedVoteWeight([[0.2, 0.8], [0.9, 0.1]], 0), 0, 'worse than chance is clamped to 0');
  assert.equal(estimatedVoteWeight([[1, 0], [0, 1]], 1), MAX_ESTIMATED_WEIGHT);
  assert.throws(() => estimatedVoteWeight([[1]], 0), RangeError);
  assert.throws(() => estimatedVoteWeight(uniform, 4), RangeError);
  assert.throws(() => estimatedVoteWeight([[0.5, 0.5], [0.5]], 0), RangeError);
});

test('property: estimatedVoteWeight is 0 to MAX, agrees with voteWeight on uniform errors, and grows with the diagonal', () => {
  fc.assert(
    fc.property(fc.integer({ min: 2, max: 6 }), fc.double({ min: 0.001, max: 0.999, noNaN: true }), fc.nat(), (k, p, at) => {
      const m = Array.from({ length: k }, (_, t) => Array.from({ length: k }, (_, l) => (t === l ? p : (1 - p) / (k - 1))));
      const l = at % k;
      const w = estimatedVoteWeight(m, l);
      assert.ok(w >= 0 && w <= MAX_ESTIMATED_WEIGHT);
      assert.ok(Math.abs(w - Math.max(0, Math.log((p * (k - 1)) / (1 - p)))) < 1e-9);
      const sharper = m.map((row, t) => (t === l ? row.map((x, c) => (c === l ? x + (1 - x) / 2 : x / 2)) : row));
      assert.ok(estimatedVoteWeight(sharper, l) >= w - 1e-12);
    }),
  );
});
