// `npm run bench -- scale`: its options are checked before any server starts, and a bad flag
// stops it with a message that names the flag (the bench itself is not run by the tests).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { parseScaleOptions } from '../bench/scaleOptions.ts';
import { UsageError } from '../src/cli/flags.ts';

test('scale bench: defaults', () => {
  const o = parseScaleOptions([]);
  assert.deepEqual(o, { seconds: 8, reviewers: 64, processes: [1, 2], sse: 8, connections: 32, poolSize: 16, fromSource: false, cpuProfDir: null, peer: true, floor: false, separateClaims: false });
});

test('scale bench: options are read', () => {
  const o = parseScaleOptions(['--seconds', '3', '--reviewers', '16', '--processes', '2, 3', '--sse', '0', '--no-peer', '--floor', '--cpu-prof', '/tmp/p', '--separate-claims']);
  assert.equal(o.seconds, 3);
  assert.equal(o.reviewers, 16);
  assert.deepEqual(o.processes, [2, 3]);
  assert.equal(o.sse, 0);
  assert.equal(o.peer, false);
  assert.equal(o.floor, true);
  assert.equal(o.cpuProfDir, '/tmp/p');
  assert.equal(o.separateClaims, true);
});

test('scale bench: bad flags are refused with a message naming them', () => {
  const refused = (args: string[], pattern: RegExp) =>
    assert.throws(() => parseScaleOptions(args), (err: unknown) => err instanceof UsageError && pattern.test(err.message), `${args.join(' ')} should be refused`);
  refused(['--bogus'], /bogus/);
  refused(['--seconds'], /--seconds/);
  refused(['--seconds', '0'], /--seconds must be a whole number from 1/);
  refused(['--seconds', 'ten'], /--seconds .* not "ten"/);
  refused(['--seconds', '2.5'], /--seconds/);
  refused(['--reviewers', '-4'], /--reviewers/);
  refused(['--processes', '1,0'], /--processes/);
  refused(['--processes', '1,,2'], /--processes/);
  refused(['--processes', '2,2'], /twice/);
  refused(['--processes', '4', '--reviewers', '3'], /at least the largest --processes/);
  refused(['--cpu-prof', ''], /--cpu-prof needs a folder/);
  refused(['extra'], /extra/);
});

test('scale bench: the command exits 2 with the message and the usage on a bad flag', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/main.ts', 'scale', '--seconds', 'x'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--seconds must be a whole number/);
  assert.match(r.stderr, /usage: npm run bench/);
  assert.equal(r.stdout, '');
});
