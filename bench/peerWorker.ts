// The peer of `bench scale`: one graphile-worker pool as its own process, as a `tandem serve` is,
// working a no-op task so that what is measured is the queue (fetch a job, complete it) and
// nothing else. Started by bench/scale.ts with IPC; it says "ready" when its pool runs, and
// stops on "stop" or SIGTERM.
import { Logger, run } from 'graphile-worker';
import pg from 'pg';

const connectionString = process.env.PEER_DATABASE_URL;
const concurrency = Number(process.env.PEER_CONCURRENCY);
const maxPoolSize = Number(process.env.PEER_POOL_SIZE);
if (!connectionString || !Number.isInteger(concurrency) || !Number.isInteger(maxPoolSize)) {
  process.stderr.write('peerWorker: PEER_DATABASE_URL, PEER_CONCURRENCY and PEER_POOL_SIZE must be set\n');
  process.exit(2);
}

// Only errors: a log line per job would measure the console, not the queue.
const logger = new Logger(() => (level, message) => {
  if (level === 'error') process.stderr.write(`peerWorker: ${message}\n`);
});

// Our own pool, so that a connection error is reported (and retried by graphile-worker) rather
// than crashing the process as an unhandled 'error' event.
const pool = new pg.Pool({ connectionString, max: maxPoolSize });
pool.on('error', (err) => process.stderr.write(`peerWorker: pool: ${err.message}\n`));
pool.on('connect', (client) => client.on('error', (err) => process.stderr.write(`peerWorker: client: ${err.message}\n`)));

const runner = await run({
  pgPool: pool,
  concurrency,
  noHandleSignals: true,
  logger,
  taskList: { noop: async () => {} },
});

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await runner.stop();
  await pool.end();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('message', (m) => {
  if (m === 'stop') void stop();
});
process.send?.('ready');
