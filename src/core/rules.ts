// Routing rules are written by workflow authors and stored with the workflow, so they must be
// safe to run on every item: a tiny expression language, parsed once into plain data and
// evaluated without eval, I/O or throwing. A rule that cannot be answered (missing field,
// mismatched types) simply does not match, so bad data routes like ordinary data.

export type Literal = string | number | boolean | null;

export type CompareOp = '>' | '>=' | '<' | '<=' | '==' | '!=' | 'in' | 'not in' | 'contains';

/**
 * Where a comparison reads its left side. `label` and `confidence` are the prediction's;
 * `fields` and `metadata` are the item's; `name` looks in fields first, then metadata.
 */
export interface RulePath {
  root: 'label' | 'confidence' | 'fields' | 'metadata' | 'name';
  keys: string[];
}

/** A parsed rule: plain data, so it can be stored, compared and sent as JSON. */
export type Rule =
  | { kind: 'and'; rules: Rule[] }
  | { kind: 'or'; rules: Rule[] }
  | { kind: 'not'; rule: Rule }
  | { kind: 'compare'; path: RulePath; op: CompareOp; value: Literal | Literal[] };

export interface RuleContext {
  fields: Record<string, unknown>;
  metadata: Record<string, unknown>;
  label: string | null;
  confidence: number | null;
}

export type ParseResult = { ok: true; rule: Rule } | { ok: false; error: string };

export const maxRuleLength = 500;
export const maxRuleDepth = 32;

// ---------------------------------------------------------------------------------------------
// Tokens

type Token =
  | { type: 'word'; text: string; col: number }
  | { type: 'string'; value: string; col: number }
  | { type: 'number'; value: number; col: number }
  | { type: 'punct'; text: string; col: number }
  | { type: 'end'; col: number };

class RuleSyntaxError extends Error {}

const fail = (message: string, col: number): never => {
  throw new RuleSyntaxError(`${message} at column ${col}`);
};

// Words carry dots so that `metadata.channel.name` and `items.0.sku` are one token; numbers are
// matched first when a token starts with a digit, so `0.6` stays a number.
const wordRe = /[\p{L}_][\p{L}\p{N}_-]*(?:\.[\p{L}\p{N}_-]+)*/uy;
const numberRe = /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const puncts = ['>=', '<=', '==', '!=', '>', '<', '(', ')', '[', ']', ','];
// The JSON escapes plus \', so any JSON string literal is also a rule string literal.
const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '/': '/', '\\': '\\', '"': '"', "'": "'" };

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i] as string;
    const col = i + 1;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '"' || ch === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        const c = src[j];
        if (c === undefined) return fail(`unterminated string`, col);
        if (c === ch) break;
        if (c === '\\') {
          const e = src[j + 1];
          if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(src.slice(j + 2, j + 6))) {
            value += String.fromCharCode(parseInt(src.slice(j + 2, j + 6), 16));
            j += 6;
            continue;
          }
          const mapped = e === undefined ? undefined : escapes[e];
          if (mapped === undefined) return fail(`unknown escape "\\${e ?? ''}"`, j + 1);
          value += mapped;
          j += 2;
          continue;
        }
        value += c;
        j++;
      }
      tokens.push({ type: 'string', value, col });
      i = j + 1;
      continue;
    }
    numberRe.lastIndex = i;
    const num = numberRe.exec(src);
    if (num) {
      const value = Number(num[0]);
      if (!Number.isFinite(value)) return fail(`number ${num[0]} is out of range`, col);
      tokens.push({ type: 'number', value, col });
      i += num[0].length;
      continue;
    }
    wordRe.lastIndex = i;
    const word = wordRe.exec(src);
    if (word) {
      tokens.push({ type: 'word', text: word[0], col });
      i += word[0].length;
      continue;
    }
    const p = puncts.find((q) => src.startsWith(q, i));
    if (p) {
      tokens.push({ type: 'punct', text: p, col });
      i += p.length;
      continue;
    }
    if (ch === '=') return fail(`unexpected "=" (did you mean "=="?)`, col);
    return fail(`unexpected character "${ch}"`, col);
  }
  tokens.push({ type: 'end', col: src.length + 1 });
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Parser: or → and → not → primary, with `and` binding tighter than `or`.

const keywords = new Set(['and', 'or', 'not', 'in', 'contains', 'true', 'false', 'null']);
const opList = '>, >=, <, <=, ==, !=, in, not in, contains';

function describe(t: Token): string {
  switch (t.type) {
    case 'end':
      return 'the end';
    case 'word':
    case 'punct':
      return `"${t.text}"`;
    case 'string':
      return JSON.stringify(t.value);
    case 'number':
      return String(t.value);
  }
}

function parseTokens(tokens: Token[]): Rule {
  let pos = 0;
  let depth = 0;
  const peek = (): Token => tokens[pos] as Token;
  const next = (): Token => tokens[pos++] as Token;
  const isWord = (t: Token, text: string): boolean => t.type === 'word' && t.text === text;
  const isPunct = (t: Token, text: string): boolean => t.type === 'punct' && t.text === text;

  const enter = (t: Token): void => {
    if (++depth > maxRuleDepth) fail(`nesting deeper than ${maxRuleDepth}`, t.col);
  };

  function parseOr(): Rule {
    const rules = [parseAnd()];
    while (isWord(peek(), 'or')) {
      next();
      rules.push(parseAnd());
    }
    return rules.length === 1 ? (rules[0] as Rule) : { kind: 'or', rules };
  }

  function parseAnd(): Rule {
    const rules = [parseNot()];
    while (isWord(peek(), 'and')) {
      next();
      rules.push(parseNot());
    }
    return rules.length === 1 ? (rules[0] as Rule) : { kind: 'and', rules };
  }

  function parseNot(): Rule {
    const t = peek();
    if (isWord(t, 'not')) {
      next();
      enter(t);
      const rule = parseNot();
      depth--;
      return { kind: 'not', rule };
    }
    if (isPunct(t, '(')) {
      next();
      enter(t);
      const rule = parseOr();
      const close = next();
      if (!isPunct(close, ')')) fail(`expected ")" or "and"/"or" but found ${describe(close)}`, close.col);
      depth--;
      return rule;
    }
    return parseComparison();
  }

  function parsePath(): RulePath {
    const t = next();
    if (t.type !== 'word' || keywords.has(t.text)) return fail(`expected a field name but found ${describe(t)}`, t.col);
    const [head, ...rest] = t.text.split('.') as [string, ...string[]];
    if (head === 'label' || head === 'confidence') {
      if (rest.length > 0) return fail(`"${head}" is the prediction's and has no parts; use fields.${t.text} for a field`, t.col);
      return { root: head, keys: [] };
    }
    if (head === 'fields' || head === 'metadata') {
      if (rest.length === 0) return fail(`expected a name after "${head}." (e.g. ${head}.amount)`, t.col + head.length);
      return { root: head, keys: rest };
    }
    return { root: 'name', keys: [head, ...rest] };
  }

  function parseOp(path: Token): CompareOp {
    const t = next();
    if (t.type === 'punct' && ['>', '>=', '<', '<=', '==', '!='].includes(t.text)) return t.text as CompareOp;
    if (isWord(t, 'in')) return 'in';
    if (isWord(t, 'contains')) return 'contains';
    if (isWord(t, 'not')) {
      const n = next();
      if (isWord(n, 'in')) return 'not in';
      return fail(`expected "in" after "not"`, n.col);
    }
    const name = path.type === 'word' ? path.text : '';
    return fail(`expected an operator (${opList}) after "${name}" but found ${describe(t)}`, t.col);
  }

  function parseScalar(after: string, inList: boolean): Literal {
    const t = next();
    if (t.type === 'string' || t.type === 'number') return t.value;
    if (t.type === 'word') {
      if (t.text === 'true') return true;
      if (t.text === 'false') return false;
      if (t.text === 'null') return null;
      if (inList) return t.text;
      return fail(`expected a value after "${after}" but found the bare word "${t.text}" (put text in quotes)`, t.col);
    }
    return fail(`expected a value after "${after}"`, t.col);
  }

  function parseList(after: string): Literal[] {
    const open = next();
    if (!isPunct(open, '[')) return fail(`expected a list like [a, b] after "${after}"`, open.col);
    const items: Literal[] = [];
    if (isPunct(peek(), ']')) {
      next();
      return items;
    }
    for (;;) {
      items.push(parseScalar(items.length === 0 ? '[' : ',', true));
      const sep = next();
      if (isPunct(sep, ']')) return items;
      if (!isPunct(sep, ',')) fail(`expected "," or "]" in list but found ${describe(sep)}`, sep.col);
    }
  }

  function parseComparison(): Rule {
    const pathToken = peek();
    const path = parsePath();
    const op = parseOp(pathToken);
    if (op === 'in' || op === 'not in') return { kind: 'compare', path, op, value: parseList(op) };
    const valueToken = peek();
    const value = parseScalar(op, false);
    const ordered = op === '>' || op === '>=' || op === '<' || op === '<=';
    if (ordered && typeof value !== 'number' && typeof value !== 'string') {
      fail(`expected a number or string after "${op}"`, valueToken.col);
    }
    if (op === 'contains' && value === null) fail(`expected a value after "contains"`, valueToken.col);
    return { kind: 'compare', path, op, value };
  }

  const rule = parseOr();
  const rest = peek();
  if (rest.type !== 'end') {
    const hint = isPunct(rest, ')') ? 'unmatched ")"' : `expected "and" or "or" but found ${describe(rest)}`;
    fail(hint, rest.col);
  }
  return rule;
}

export function parseRule(source: string): ParseResult {
  if (source.length > maxRuleLength) return { ok: false, error: `rule is longer than ${maxRuleLength} characters` };
  if (source.trim() === '') return { ok: false, error: 'rule is empty' };
  try {
    return { ok: true, rule: parseTokens(tokenize(source)) };
  } catch (e) {
    if (e instanceof RuleSyntaxError) return { ok: false, error: e.message };
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation

// A distinct marker, because a present `null` and an absent field must answer `== null` differently.
const missing: unique symbol = Symbol('missing');
type Resolved = unknown;

// Own properties only: a rule must not reach `constructor` or `__proto__` through the prototype.
function walk(root: unknown, keys: string[]): Resolved {
  let cur: unknown = root;
  for (const k of keys) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, k)) return missing;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur === undefined ? missing : cur;
}

function resolve(path: RulePath, ctx: RuleContext): Resolved {
  switch (path.root) {
    case 'label':
      return ctx.label;
    case 'confidence':
      return ctx.confidence;
    case 'fields':
      return walk(ctx.fields, path.keys);
    case 'metadata':
      return walk(ctx.metadata, path.keys);
    case 'name': {
      const f = walk(ctx.fields, path.keys);
      return f === missing ? walk(ctx.metadata, path.keys) : f;
    }
  }
}

const isScalar = (v: unknown): v is Literal =>
  v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

function ordered(a: unknown, b: Literal, op: '>' | '>=' | '<' | '<='): boolean {
  const comparable = (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string');
  if (!comparable) return false;
  const x = a as number | string;
  const y = b as number | string;
  switch (op) {
    case '>':
      return x > y;
    case '>=':
      return x >= y;
    case '<':
      return x < y;
    case '<=':
      return x <= y;
  }
}

function compare(actual: Resolved, op: CompareOp, value: Literal | Literal[]): boolean {
  // `!=` and `not in` are the negations of `==` and `in`, so a missing path satisfies them.
  if (op === '!=') return !compare(actual, '==', value);
  if (op === 'not in') return !compare(actual, 'in', value);
  if (actual === missing) return false;
  switch (op) {
    case '==':
      return isScalar(actual) && actual === value;
    case 'in':
      return Array.isArray(value) && isScalar(actual) && value.includes(actual);
    case 'contains':
      if (typeof actual === 'string') return typeof value === 'string' && actual.includes(value);
      if (Array.isArray(actual)) return actual.some((x) => isScalar(x) && x === value);
      return false;
    default:
      return !Array.isArray(value) && ordered(actual, value, op);
  }
}

export function evaluateRule(rule: Rule, ctx: RuleContext): boolean {
  switch (rule.kind) {
    case 'and':
      return rule.rules.every((r) => evaluateRule(r, ctx));
    case 'or':
      return rule.rules.some((r) => evaluateRule(r, ctx));
    case 'not':
      return !evaluateRule(rule.rule, ctx);
    case 'compare':
      return compare(resolve(rule.path, ctx), rule.op, rule.value);
  }
}
