// `npm run bench -- <name> [options]`: benchmarks print figures; they never pass or fail CI.
import { parseArgs } from 'node:util';
import { runLoad, type LoadOptions } from './load.ts';
import { parseScaleOptions } from './scaleOptions.ts';
import { benchRoutingCommand } from '../src/cli/benchRouting.ts';
import { UsageError } from '../src/cli/flags.ts';
import { benchSentiment } from './sentiment.ts';
import { benchReplies } from './replies.ts';
import { benchSignals } from './signals.ts';

const usage = `usage: npm run bench -- <benchmark> [options]

benchmarks:
  load    HTTP load against a 'tandem serve' child on a throw-away database of the Postgres
          server at DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test): automatic
          submits, review submits, claim+answer pairs, server RSS, and pgbench TPC-B for scale.
  scale   one and then two 'tandem serve' processes on one throw-away database of the Postgres
          server at DATABASE_URL under a mixed load (submits at the peak and at 25, 50 and 80 % of
          it, reviewers claiming and answering, SSE clients), and graphile-worker doing the same
          queue work (add + complete one job per task) on the same server in the same run.
  routing the feedback loop on a labelled data set: the same as \`tandem bench routing\`
          (--train FILE --test FILE …; run \`npm run bench -- routing --help\`).
  sentiment the customer-sentiment scorers (npm lexicon scorers, the built-in classifier) on
          the UCI Sentiment Labelled Sentences, and the share of routine Banking77 queries
          each calls upset (--banking FILE --upset-below X).
  signals the share of routine customer messages (Banking77) that each conversation signal
          (upset, risk words, request for a person) would take from the bot (--file FILE…).
  replies the built-in reply drafter with a simulated agent: draft acceptance, edits and
          rewrites, and the automatic-send trade-off at confidence cuts (--train FILE --test FILE
          --replies FILE --seed N; Banking77 with one written reply per intent by default).

options (load):
  --seconds N       length of each measured run (default 10)
  --connections N   HTTP connections for the submit runs (default 32)
  --reviewers N     concurrent reviewers for claim+answer (default 32)
  --pool N          TANDEM_POOL_SIZE of the server (default 16)
  --source          run the server from TypeScript sources (tsx) instead of dist/
  --cpu-prof DIR    run the server under node --cpu-prof, write the profile to DIR and print
                    its hotspots

options (scale):
  --seconds N       length of each measured window (default 8; a run takes about 9 minutes)
  --reviewers N     reviewers claiming and answering, spread over the processes; also the
                    graphile-worker concurrency (default 64)
  --processes LIST  process counts to measure, comma-separated (default 1,2)
  --sse N           SSE clients on /v1/events/stream (default 8)
  --connections N   connections of the closed-loop run that finds the peak (default 32)
  --pool N          TANDEM_POOL_SIZE of each server (default 16)
  --no-peer         leave graphile-worker out
  --floor           also measure bench/floorServer.ts, twice: the least an HTTP claim+answer
                    service can do on this machine (one SQL statement per request, no
                    framework), then the same with claims and answers batched per process
  --source, --cpu-prof DIR   as for load (one profile folder per process count)
`;

function whole(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    process.stderr.write(`--${name} must be a whole number from ${min} to ${max}, not "${raw}"\n`);
    process.exit(2);
  }
  return n;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === 'load') {
    let values;
    try {
      ({ values } = parseArgs({
        args: rest,
        options: {
          seconds: { type: 'string' },
          connections: { type: 'string' },
          reviewers: { type: 'string' },
          pool: { type: 'string' },
          source: { type: 'boolean' },
          'cpu-prof': { type: 'string' },
        },
        strict: true,
      }));
    } catch (err) {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${usage}`);
      return 2;
    }
    const options: LoadOptions = {
      seconds: whole('seconds', values.seconds, 10, 1, 3600),
      connections: whole('connections', values.connections, 32, 1, 1000),
      reviewers: whole('reviewers', values.reviewers, 32, 1, 500),
      poolSize: whole('pool', values.pool, 16, 1, 1000),
      fromSource: values.source ?? false,
      cpuProfDir: values['cpu-prof'] ?? null,
    };
    return runLoad(options);
  }
  if (name === 'scale') {
    let options;
    try {
      options = parseScaleOptions(rest);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      process.stderr.write(`${err.message}\n\n${usage}`);
      return 2;
    }
    // Loaded only now: a bad flag is refused without loading graphile-worker, pg and the rest.
    const { runScale } = await import('./scale.ts');
    return runScale(options);
  }
  if (name === 'routing') {
    try {
      return await benchRoutingCommand(rest);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
  }
  if (name === 'sentiment') return benchSentiment(rest);
  if (name === 'replies') return benchReplies(rest);
  if (name === 'signals') return benchSignals(rest);
  if (name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(usage);
    return 0;
  }
  process.stderr.write(name ? `unknown benchmark "${name}"\n\n${usage}` : usage);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
