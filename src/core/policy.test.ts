import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decideRoute, thresholdFor, type RouteInput } from './policy.ts';
import { parseRule } from './rules.ts';
import { compileRules, policySpec, type CompiledRule, type PolicySpec } from './workflow.ts';
import type { Prediction } from './types.ts';

const labels = ['billing', 'fraud', 'other'];

function predict(label: string | null, confidence: number | null, extra: Partial<Prediction> = {}): Prediction {
  return { labels: label ? { [label]: confidence ?? 0 } : {}, label, confidence, explanation: [], model: 'builtin:v1', ...extra };
}

function input(over: Partial<RouteInput> & { policy?: PolicySpec } = {}): RouteInput {
  const policy = over.policy ?? policySpec.parse({ threshold: 0.8 });
  return {
    policy,
    rules: compileRules(policy),
    labels,
    prediction: predict('billing', 0.9),
    fields: {},
    metadata: {},
    itemKey: 'item-1',
    ...over,
  };
}

test('a confident, known label with no rules is decided by the machine', () => {
  const r = decideRoute(input());
  assert.deepEqual(r, {
    route: 'auto',
    label: 'billing',
    confidence: 0.9,
    audit: false,
    reasons: [{ code: 'confident', label: 'billing', confidence: 0.9, threshold: 0.8 }],
    priority: 0,
    skills: [],
  });
});

test('the threshold is inclusive and per-label thresholds win', () => {
  assert.equal(decideRoute(input({ prediction: predict('billing', 0.8) })).route, 'auto');
  const policy = policySpec.parse({ threshold: 0.8, labelThresholds: { fraud: 0.99 } });
  const r = decideRoute(input({ policy, prediction: predict('fraud', 0.95) }));
  assert.equal(r.route, 'review');
  assert.deepEqual(r.reasons, [{ code: 'below_threshold', label: 'fraud', confidence: 0.95, threshold: 0.99 }]);
  assert.equal(thresholdFor(policy, 'fraud'), 0.99);
  assert.equal(thresholdFor(policy, 'billing'), 0.8);
  assert.equal(thresholdFor(policy, 'constructor'), 0.8, 'only own keys count');
});

test('no usable prediction goes to a person, with why', () => {
  const cases: Array<[Prediction | null, unknown]> = [
    [null, { code: 'no_model' }],
    [predict(null, null, { model: 'none' }), { code: 'no_model' }],
    [predict(null, null, { error: 'timeout after 2000 ms' }), { code: 'model_error', message: 'timeout after 2000 ms' }],
    [predict('billing', 0.99, { error: 'status 500' }), { code: 'model_error', message: 'status 500' }],
    [predict(null, null), { code: 'model_error', message: 'the model gave no label or confidence' }],
    [predict('billing', Number.NaN), { code: 'model_error', message: 'the model gave no label or confidence' }],
    [predict('spam', 0.99), { code: 'unknown_label', label: 'spam' }],
  ];
  for (const [prediction, reason] of cases) {
    const r = decideRoute(input({ prediction }));
    assert.equal(r.route, 'review');
    assert.equal(r.audit, false);
    assert.deepEqual(r.reasons, [reason]);
  }
  const free = decideRoute(input({ labels: [], prediction: predict('anything', 0.95) }));
  assert.equal(free.route, 'auto', 'with no labels to check, any label is accepted');
});

test('rules add reasons, raise the route, and carry priority and skills', () => {
  const policy = policySpec.parse({
    threshold: 0.5,
    rules: [
      'amount > 500',
      { when: 'label == "fraud"', action: 'escalate', name: 'fraud to leads', priority: 10, skills: ['risk', 'fr'] },
      { when: 'metadata.lang == "fr"', priority: 3, skills: ['fr'] },
      { when: 'amount > 1000000', action: 'escalate', priority: 99 },
    ],
  });
  const r = decideRoute(input({ policy, prediction: predict('fraud', 0.4), fields: { amount: 700 }, metadata: { lang: 'fr' } }));
  assert.deepEqual(r, {
    route: 'escalate',
    label: 'fraud',
    confidence: 0.4,
    audit: false,
    reasons: [
      { code: 'below_threshold', label: 'fraud', confidence: 0.4, threshold: 0.5 },
      { code: 'rule', rule: 'amount > 500', name: 'amount > 500', action: 'review' },
      { code: 'rule', rule: 'label == "fraud"', name: 'fraud to leads', action: 'escalate' },
      { code: 'rule', rule: 'metadata.lang == "fr"', name: 'metadata.lang == "fr"', action: 'review' },
    ],
    priority: 10,
    skills: ['fr', 'risk'],
  });
  const review = decideRoute(input({ policy, prediction: predict('billing', 0.9), fields: { amount: 700 } }));
  assert.equal(review.route, 'review', 'a matching review rule overrides a confident prediction');
  assert.equal(review.reasons[0]?.code, 'confident');
  const negative = policySpec.parse({ rules: [{ when: 'amount > 1', priority: -5 }] });
  assert.equal(decideRoute(input({ policy: negative, fields: { amount: 2 } })).priority, -5);
});

test('audit sampling applies to automatic decisions only', () => {
  const always = policySpec.parse({ threshold: 0.8, auditRate: 1, rules: ['amount > 1'] });
  const auto = decideRoute(input({ policy: always }));
  assert.equal(auto.audit, true);
  assert.deepEqual(auto.reasons.at(-1), { code: 'audit_sample', rate: 1 });
  const reviewed = decideRoute(input({ policy: always, fields: { amount: 5 } }));
  assert.equal(reviewed.audit, false);
  assert.ok(!reviewed.reasons.some((x) => x.code === 'audit_sample'));
});

// --- properties -------------------------------------------------------------------------------

interface RuleSpec {
  over: number;
  action: 'review' | 'escalate';
  priority: number;
  skills: string[];
}

function compile(specs: RuleSpec[]): CompiledRule[] {
  return specs.map((s, i) => {
    const source = `amount > ${s.over}`;
    const parsed = parseRule(source);
    assert.ok(parsed.ok);
    return { source, name: `r${i}`, action: s.action, priority: s.priority, skills: s.skills, rule: parsed.rule };
  });
}

const unit = fc.double({ min: 0, max: 1, noNaN: true });
const prediction: fc.Arbitrary<Prediction | null> = fc.oneof(
  fc.constant(null),
  fc.constant(predict(null, null, { model: 'none' })),
  fc.string().map((error) => predict('billing', 0.99, { error })),
  fc.tuple(fc.constantFrom(...labels, 'unknown'), unit).map(([l, c]) => predict(l, c)),
  fc.tuple(fc.constantFrom(...labels), unit).map(([l, c]) => predict(l, c)),
);
const arb = fc.record({
  threshold: unit,
  labelThresholds: fc.dictionary(fc.constantFrom(...labels), unit),
  auditRate: unit,
  seed: fc.string({ maxLength: 10 }),
  itemKey: fc.string({ maxLength: 20 }),
  prediction,
  amount: fc.integer({ min: 0, max: 100 }),
  rules: fc.array(
    fc.record({
      over: fc.integer({ min: 0, max: 100 }),
      action: fc.constantFrom('review' as const, 'escalate' as const),
      priority: fc.integer({ min: -10, max: 10 }),
      skills: fc.array(fc.constantFrom('fr', 'risk', 'vip'), { maxLength: 2 }),
    }),
    { maxLength: 4 },
  ),
});
type Case = typeof arb extends fc.Arbitrary<infer T> ? T : never;

function toInput(c: Case): RouteInput {
  const policy: PolicySpec = { threshold: c.threshold, labelThresholds: c.labelThresholds, rules: [], minCoverage: 0.6, auditRate: c.auditRate, seed: c.seed };
  return { policy, rules: compile(c.rules), labels, prediction: c.prediction, fields: { amount: c.amount }, metadata: {}, itemKey: c.itemKey };
}

test('property: auto iff the prediction is usable, confident and no rule matched; escalate iff an escalate rule matched', () => {
  fc.assert(
    fc.property(arb, (c) => {
      const r = decideRoute(toInput(c));
      const p = c.prediction;
      const usable = p !== null && p.model !== 'none' && p.error === undefined && p.label !== null && p.confidence !== null && labels.includes(p.label);
      const confident = usable && p.confidence! >= (c.labelThresholds[p.label!] ?? c.threshold);
      const matched = c.rules.filter((x) => c.amount > x.over);
      assert.equal(r.route === 'auto', confident && matched.length === 0);
      assert.equal(r.route === 'escalate', matched.some((x) => x.action === 'escalate'));
      assert.equal(r.priority, matched.length ? Math.max(...matched.map((x) => x.priority)) : 0);
      assert.deepEqual(r.skills, [...new Set(matched.flatMap((x) => x.skills))].sort());
      assert.equal(r.reasons.filter((x) => x.code === 'rule').length, matched.length);
      assert.equal(r.label, p?.label ?? null);
      assert.equal(r.confidence, p?.confidence ?? null);
    }),
    { numRuns: 500 },
  );
});

test('property: raising thresholds never turns a person-routed item into an automatic one', () => {
  fc.assert(
    fc.property(arb, unit, (c, raise) => {
      const lower = decideRoute(toInput(c));
      const up = (t: number): number => Math.min(1, t + raise);
      const labelThresholds = Object.fromEntries(Object.entries(c.labelThresholds).map(([k, v]) => [k, up(v)]));
      const higher = decideRoute(toInput({ ...c, threshold: up(c.threshold), labelThresholds }));
      if (lower.route !== 'auto') assert.notEqual(higher.route, 'auto');
    }),
    { numRuns: 500 },
  );
});

test('property: audit only for auto; rate 0 never, rate 1 always; deterministic', () => {
  fc.assert(
    fc.property(arb, (c) => {
      const r = decideRoute(toInput(c));
      if (r.audit) assert.equal(r.route, 'auto');
      assert.equal(r.audit, r.reasons.some((x) => x.code === 'audit_sample'));
      assert.equal(decideRoute(toInput({ ...c, auditRate: 0 })).audit, false);
      const all = decideRoute(toInput({ ...c, auditRate: 1 }));
      assert.equal(all.audit, all.route === 'auto');
      assert.deepEqual(decideRoute(toInput(c)), r);
    }),
    { numRuns: 500 },
  );
});

test('property: the share of audited items is close to the audit rate', () => {
  fc.assert(
    fc.property(unit, fc.string({ maxLength: 10 }), (auditRate, seed) => {
      const policy: PolicySpec = { threshold: 0.5, labelThresholds: {}, rules: [], minCoverage: 0.6, auditRate, seed };
      const n = 2000;
      let audited = 0;
      for (let i = 0; i < n; i++) {
        if (decideRoute({ policy, rules: [], labels, prediction: predict('billing', 0.9), fields: {}, metadata: {}, itemKey: `item-${i}` }).audit) audited++;
      }
      // Binomial standard deviation at n = 2000 is at most 0.011; 0.05 is over four of them.
      assert.ok(Math.abs(audited / n - auditRate) < 0.05, `rate ${auditRate}, share ${audited / n}`);
    }),
    { numRuns: 50 },
  );
});

test('an item whose words the model mostly never saw goes to people, however confident the model is', () => {
  const policy: PolicySpec = { threshold: 0.5, labelThresholds: {}, rules: [], minCoverage: 0.6, auditRate: 0, seed: 's' };
  const base = { policy, rules: [], labels, fields: {}, metadata: {}, itemKey: 'k' };
  const foreign = decideRoute({ ...base, prediction: { ...predict('billing', 0.99), coverage: 0.15 } });
  assert.equal(foreign.route, 'review');
  assert.deepEqual(foreign.reasons, [{ code: 'out_of_scope', coverage: 0.15, minCoverage: 0.6 }]);
  const familiar = decideRoute({ ...base, prediction: { ...predict('billing', 0.99), coverage: 0.9 } });
  assert.equal(familiar.route, 'auto');
});
