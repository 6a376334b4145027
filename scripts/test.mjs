// Runs every *.test.ts under src/ and test/ with node's test runner (TypeScript through tsx).
// Extra arguments are passed on: `npm test -- --test-name-pattern=claim`, or file paths to run
// only those files.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function find(dir) {
  const out = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...find(path));
    else if (entry.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const args = process.argv.slice(2);
const files = args.filter((a) => a.endsWith('.ts'));
const flags = args.filter((a) => !a.endsWith('.ts'));
const targets = files.length > 0 ? files : [...find('src'), ...find('test')].sort();
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...flags, ...targets],
  { stdio: 'inherit', env: { ...process.env, TSX_TSCONFIG_PATH: 'tsconfig.json' } },
);
process.exit(result.status ?? 1);
