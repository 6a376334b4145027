import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { evaluateRule, parseRule, type CompareOp, type Literal, type Rule, type RuleContext, type RulePath } from './rules.ts';

const ctx: RuleContext = {
  fields: { amount: 750, text: 'I want a refund now', tags: ['vip', 'new'], nested: { level: 3 }, segment: 'vip', nothing: null },
  metadata: { channel: 'email', country: 'FR', segment: 'standard', lang: 'fr', customer: { tier: 'gold' } },
  label: 'fraud',
  confidence: 0.55,
};

function rule(source: string): Rule {
  const r = parseRule(source);
  if (!r.ok) assert.fail(`${source}: ${r.error}`);
  return r.rule;
}

const run = (source: string, c: RuleContext = ctx): boolean => evaluateRule(rule(source), c);

function parseError(source: string): string {
  const r = parseRule(source);
  if (r.ok) assert.fail(`expected "${source}" not to parse`);
  return r.error;
}

test('the documented examples evaluate as intended', () => {
  assert.equal(run('amount > 500'), true);
  assert.equal(run('label in [fraud, legal]'), true);
  assert.equal(run('segment == "vip"'), true, 'a bare name looks in fields first');
  assert.equal(run(`metadata.channel == 'email' and confidence < 0.6`), true);
  assert.equal(run('not (country in ["US", "CA"])'), true, 'falls back to metadata');
  assert.equal(run('text contains "refund"'), true);
  assert.equal(run('tags contains "vip"'), true, 'contains on an array is membership');
});

test('comparisons', () => {
  const cases: Array<[string, boolean]> = [
    ['amount >= 750', true],
    ['amount > 750', false],
    ['amount < 1e3', true],
    ['amount <= -1', false],
    ['amount == 750', true],
    ['amount != 750', false],
    ['fields.nested.level == 3', true],
    ['metadata.customer.tier in [gold, platinum]', true],
    ['metadata.segment == "standard"', true],
    ['label not in [fraud]', false],
    ['label != "fraud"', false],
    ['confidence > .5', true],
    ['tags contains "old"', false],
    ['text contains "Refund"', false],
    ['nothing == null', true],
    ['lang >= "en"', true],
    ['items.0 == 1', false],
  ];
  for (const [source, expected] of cases) assert.equal(run(source), expected, source);
  assert.equal(run('items.0.sku == "A"', { ...ctx, fields: { items: [{ sku: 'A' }] } }), true);
});

test('boolean structure: and binds tighter than or; not and parentheses', () => {
  assert.equal(run('amount > 1000 and label == "fraud" or lang == "fr"'), true);
  assert.equal(run('amount > 1000 and (label == "fraud" or lang == "fr")'), false);
  assert.equal(run('lang == "fr" or amount > 1000 and label == "x"'), true);
  assert.equal(run('not not amount > 1'), true);
  assert.equal(run('not amount > 1 or amount > 1'), true);
  assert.deepEqual(rule('a == 1 or b == 2 and c == 3'), {
    kind: 'or',
    rules: [
      { kind: 'compare', path: { root: 'name', keys: ['a'] }, op: '==', value: 1 },
      {
        kind: 'and',
        rules: [
          { kind: 'compare', path: { root: 'name', keys: ['b'] }, op: '==', value: 2 },
          { kind: 'compare', path: { root: 'name', keys: ['c'] }, op: '==', value: 3 },
        ],
      },
    ],
  });
});

test('values: strings with escapes, literals, lists with bare words', () => {
  const c = { ...ctx, fields: { q: 'say "hi"\n', s: "it's", flag: true, dash: 'needs-review' } };
  assert.equal(run('q == "say \\"hi\\"\\n"', c), true);
  assert.equal(run("s == 'it\\'s'", c), true);
  assert.equal(run('s == "\\u0069t\'s"', c), true);
  assert.equal(run('flag == true', c), true);
  assert.equal(run('flag != false', c), true);
  assert.equal(run('dash in [needs-review, "other one", 3, null]', c), true);
  assert.equal(run('dash in []', c), false);
  assert.equal(run('dash not in []', c), true);
});

test('missing paths and type mismatches never match and never throw', () => {
  assert.equal(run('missing > 1'), false);
  assert.equal(run('missing == null'), false);
  assert.equal(run('missing != 1'), true, '!= on a missing path is true');
  assert.equal(run('missing in [a]'), false);
  assert.equal(run('missing not in [a]'), true);
  assert.equal(run('missing contains "a"'), false);
  assert.equal(run('text > 5'), false);
  assert.equal(run('amount > "5"'), false);
  assert.equal(run('amount contains 7'), false);
  assert.equal(run('tags == "vip"'), false);
  assert.equal(run('nested in [a]'), false);
  assert.equal(run('amount.deeper == 1'), false);
  assert.equal(run('constructor == 1'), false, 'the prototype is not reachable');
  assert.equal(run('fields.__proto__ != 1'), true);
  const noModel = { ...ctx, label: null, confidence: null };
  assert.equal(run('confidence < 0.6', noModel), false);
  assert.equal(run('label == null', noModel), true);
  assert.equal(run('label in [fraud]', noModel), false);
});

test('parse errors name the problem and the column', () => {
  assert.equal(parseError('amount > '), 'expected a value after ">" at column 10');
  assert.equal(parseError('amount >'), 'expected a value after ">" at column 9');
  assert.match(parseError('segment == vip'), /bare word "vip".*column 12/);
  assert.match(parseError('amount = 5'), /did you mean "=="\?.*column 8/);
  assert.match(parseError('amount 5'), /expected an operator .* after "amount" .*column 8/);
  assert.match(parseError('label in fraud'), /expected a list .*column 10/);
  assert.match(parseError('label in [a b]'), /expected "," or "]" .*column 13/);
  assert.match(parseError('(amount > 1'), /expected "\)".*column 12/);
  assert.match(parseError('amount > 1)'), /unmatched "\)" at column 11/);
  assert.match(parseError('amount > 1 amount'), /expected "and" or "or" .*column 12/);
  assert.match(parseError('x == "abc'), /unterminated string at column 6/);
  assert.match(parseError('x == "a\\q"'), /unknown escape "\\q" at column 8/);
  assert.match(parseError('x > null'), /number or string .*column 5/);
  assert.match(parseError('and > 1'), /expected a field name .*column 1/);
  assert.match(parseError('label.x == 1'), /fields\.label\.x/);
  assert.match(parseError('metadata == 1'), /expected a name after "metadata\."/);
  assert.match(parseError('x not 1'), /expected "in" after "not" at column 7/);
  assert.match(parseError('x == 1e999'), /out of range/);
  assert.match(parseError('x # 1'), /unexpected character "#" at column 3/);
  assert.equal(parseError('   '), 'rule is empty');
});

test('length and nesting are bounded with an error, not a stack overflow', () => {
  assert.match(parseError(`x == "${'a'.repeat(500)}"`), /longer than 500/);
  const deep = (n: number): string => `${'('.repeat(n)}x == 1${')'.repeat(n)}`;
  assert.equal(parseRule(deep(32)).ok, true);
  assert.match(parseError(deep(33)), /nesting deeper than 32 at column 33/);
  assert.match(parseError(`${'not '.repeat(40)}x == 1`), /nesting deeper than 32/);
  const wide = Array.from({ length: 40 }, (_, i) => `x == ${i}`).join(' or ');
  assert.equal(parseRule(wide).ok, true, 'long and/or chains are flat, not deep');
});

// --- properties -------------------------------------------------------------------------------

// Prints an AST back to source, so that parse(print(ast)) can be checked against ast.
function print(r: Rule): string {
  switch (r.kind) {
    case 'and':
    case 'or':
      return r.rules.map((x) => `(${print(x)})`).join(` ${r.kind} `);
    case 'not':
      return `not (${print(r.rule)})`;
    case 'compare': {
      const path = r.path.root === 'name' ? r.path.keys.join('.') : [r.path.root, ...r.path.keys].join('.');
      const lit = (v: Literal): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));
      const value = Array.isArray(r.value) ? `[${r.value.map(lit).join(', ')}]` : lit(r.value);
      return `${path} ${r.op} ${value}`;
    }
  }
}

// Nesting as the parser counts it: print() adds parentheses and `not` adds a level.
const depth = (r: Rule): number =>
  r.kind === 'compare' ? 0 : r.kind === 'not' ? 2 + depth(r.rule) : 1 + Math.max(...r.rules.map(depth));

const key = fc.stringMatching(/^[a-z_][a-z0-9_]{0,6}$/).filter((k) => !['and', 'or', 'not', 'in', 'contains', 'true', 'false', 'null', 'label', 'confidence', 'fields', 'metadata'].includes(k));
const scalar = fc.oneof(
  fc.string({ maxLength: 8, unit: 'binary' }),
  fc.integer({ min: -1000, max: 1000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).map((d) => (Object.is(d, -0) ? 0 : d)),
  fc.boolean(),
  fc.constant(null),
);
const path: fc.Arbitrary<RulePath> = fc.oneof(
  fc.constantFrom('label' as const, 'confidence' as const).map((root): RulePath => ({ root, keys: [] })),
  fc.record({ root: fc.constantFrom('fields' as const, 'metadata' as const, 'name' as const), keys: fc.array(key, { minLength: 1, maxLength: 3 }) }),
);
const compare: fc.Arbitrary<Rule> = fc.oneof(
  fc.record({ kind: fc.constant('compare' as const), path, op: fc.constantFrom<CompareOp>('in', 'not in'), value: fc.array(scalar, { maxLength: 3 }) }),
  fc.record({ kind: fc.constant('compare' as const), path, op: fc.constantFrom<CompareOp>('==', '!=', 'contains'), value: scalar.filter((v) => v !== null) }),
  fc.record({ kind: fc.constant('compare' as const), path, op: fc.constantFrom<CompareOp>('>', '>=', '<', '<='), value: fc.oneof(fc.string({ maxLength: 8 }), fc.integer()) }),
);
const ruleArb: fc.Arbitrary<Rule> = fc.letrec<{ rule: Rule }>((tie) => ({
  rule: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    compare,
    fc.record({ kind: fc.constant('not' as const), rule: tie('rule') }),
    fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), rules: fc.array(tie('rule'), { minLength: 2, maxLength: 3 }) }),
  ),
})).rule;

test('property: printing a rule and parsing it back gives the same rule', () => {
  fc.assert(
    fc.property(ruleArb, (r) => {
      const source = print(r);
      fc.pre(source.length <= 500 && depth(r) <= 32);
      const parsed = parseRule(source);
      assert.ok(parsed.ok, `${source}: ${parsed.ok ? '' : parsed.error}`);
      // fast-check builds null-prototype records; the parser builds plain objects.
      assert.deepEqual(parsed.rule, JSON.parse(JSON.stringify(r)));
    }),
    { numRuns: 300 },
  );
});

test('property: parseRule never throws, and any rule evaluates without throwing', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 600 }), (s) => {
      const r = parseRule(s);
      assert.equal(typeof r.ok, 'boolean');
      if (!r.ok) assert.match(r.error, /column \d+|empty|longer/);
    }),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(
      ruleArb,
      fc.dictionary(key, fc.jsonValue()),
      fc.dictionary(key, fc.jsonValue()),
      fc.option(fc.string()),
      fc.option(fc.double()),
      (r, fields, metadata, label, confidence) => {
        const c = { fields, metadata, label, confidence };
        assert.equal(typeof evaluateRule(r, c), 'boolean');
        assert.equal(evaluateRule({ kind: 'not', rule: r }, c), !evaluateRule(r, c));
      },
    ),
    { numRuns: 300 },
  );
});

test('property: != is the negation of ==, and not in of in', () => {
  fc.assert(
    fc.property(fc.dictionary(key, fc.jsonValue()), key, scalar, fc.array(scalar, { maxLength: 3 }), (fields, k, v, list) => {
      const c = { fields, metadata: {}, label: null, confidence: null };
      const p = { root: 'fields' as const, keys: [k] };
      const eq = evaluateRule({ kind: 'compare', path: p, op: '==', value: v }, c);
      assert.equal(evaluateRule({ kind: 'compare', path: p, op: '!=', value: v }, c), !eq);
      const inn = evaluateRule({ kind: 'compare', path: p, op: 'in', value: list }, c);
      assert.equal(evaluateRule({ kind: 'compare', path: p, op: 'not in', value: list }, c), !inn);
    }),
  );
});
