import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerFor, databaseTrouble } from './problem.ts';

const withCode = (code: string, message = 'server said no') => Object.assign(new Error(message), { code });

test('database SQLSTATEs that are the server\'s trouble become 503 problems with Retry-After', () => {
  const cases: [string, RegExp, number][] = [
    ['08006', /not reachable/, 2],
    ['08001', /not reachable/, 2],
    ['57P01', /restarting or shutting down/, 2],
    ['57P02', /restarting or shutting down/, 2],
    ['57P03', /restarting or shutting down/, 2],
    ['25006', /read-only/, 30],
    ['53100', /out of disk space/, 30],
    ['53200', /out of memory/, 5],
    ['53300', /too many connections/, 5],
    ['ECONNREFUSED', /not reachable/, 2],
  ];
  for (const [code, detail, seconds] of cases) {
    const { problem, retryAfterSeconds } = answerFor(withCode(code), '/v1/x');
    assert.equal(problem.status, 503, code);
    assert.match(problem.detail, detail, code);
    assert.equal(retryAfterSeconds, seconds, code);
    assert.doesNotMatch(JSON.stringify(problem), /server said no|at .*\.ts/, 'nothing of the internals');
  }
});

test('node-postgres connection losses without a code are 503; other database errors stay 500 with no retry', () => {
  assert.equal(databaseTrouble(new Error('Connection terminated unexpectedly'))?.retryAfterSeconds, 2);
  assert.equal(databaseTrouble(new Error('timeout exceeded when trying to connect'))?.retryAfterSeconds, 2);
  assert.equal(databaseTrouble(new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')]))?.retryAfterSeconds, 2);
  for (const code of ['23505', '42P01', '22P02', '40001', '5300']) {
    assert.equal(databaseTrouble(withCode(code)), null, code);
    const { problem, retryAfterSeconds } = answerFor(withCode(code), '/v1/x');
    assert.equal(problem.status, 500, code);
    assert.equal(retryAfterSeconds, null);
  }
  assert.equal(databaseTrouble(null), null);
  assert.equal(databaseTrouble('08006'), null);
});
