// `bench scale`: one and then several `tandem serve` processes on one throw-away database of the
// Postgres server, under a mixed load (submits, reviewers claiming and answering, SSE clients),
// and graphile-worker doing the same queue work (add a job, complete it) on the same server in
// the same run: the peer whose throughput Tandem's claim+answer is measured against.
import { fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Logger, makeWorkerUtils, runMigrations, type WorkerUtils } from 'graphile-worker';
import pg from 'pg';
import { post, targetsFor, type Target } from './leanClient.ts';
import { SubmitterThread, type SubmitResults } from './submitter.ts';
import {
  adminKey, api, Cleanup, cpuShare, cpuSnapshot, createDatabase, ensureBuilt, fmt, must, percentile, progress,
  repo, rssSampler, sleep, sourceVersion, startServer, summariseProfile, withAdmin, withCleanup, type CpuShare, type CpuSnapshot, type ServerChild,
} from './rig.ts';
import type { ScaleOptions } from './scaleOptions.ts';
import { floorSchema } from './floorSchema.ts';
import { planUpkeep } from '../src/core/upkeep.ts';
import type { Queryable } from '../src/store/db.ts';
import { readTableStats, tidyTable } from '../src/store/upkeep.ts';

/** Open-loop submit rates, as shares of the peak measured in the same run. */
export const rateShares = [0.25, 0.5, 0.8] as const;
const closedWarmupSeconds = 2;
const openWarmupSeconds = 3;
const workflow = 'bench-review';
const goals = { ratio: 1, p99SubmitMs: 50 };

// ---------------------------------------------------------------------------------------------
// What the load generators record: one sample per request, by when it started and ended.

interface Sample {
  start: number;
  end: number;
}

interface Failure {
  kind: 'submit' | 'claim' | 'answer' | 'add';
  status: number;
  at: number;
  detail: string;
}

class Recorder {
  submit: Sample[] = [];
  claim: Sample[] = [];
  answer: Sample[] = [];
  /** claim start → answer end */
  pair: Sample[] = [];
  dry: number[] = [];
  failures: Failure[] = [];
  /** Answers the server accepted over the whole run, warm-ups included (checked against the database). */
  answered = 0;
  submitted = 0;
}

interface Window {
  start: number;
  end: number;
}

const inWindow = (w: Window) => (s: Sample) => s.start >= w.start && s.end <= w.end;

function latency(samples: Sample[], w: Window): { n: number; p50: number; p99: number } {
  const ms = samples.filter(inWindow(w)).map((s) => s.end - s.start).sort((a, b) => a - b);
  return { n: ms.length, p50: percentile(ms, 50), p99: percentile(ms, 99) };
}

// ---------------------------------------------------------------------------------------------
// HTTP load on the servers, through lean keep-alive clients (one set per server).

/**
 * Submits, each a new item with its own idempotency key, spread round-robin over the servers, from
 * a thread of their own (bench/submitter.ts); what it reports lands in `rec`.
 */
class Submitter {
  private thread: SubmitterThread;
  constructor(servers: ServerChild[], token: string, private rec: Recorder) {
    this.thread = new SubmitterThread(servers.map((s) => s.url), token, workflow, 1024, (submitted) => (rec.submitted = submitted));
  }

  /** Closed loop: `connections` submits in flight until `until`. */
  async closed(connections: number, until: number): Promise<void> {
    this.record(await this.thread.closed(connections, until));
  }

  /** Open loop at `rate` a second for `seconds` (no coordinated omission: latency counts from when each was due). */
  async open(rate: number, seconds: number): Promise<void> {
    this.record(await this.thread.open(rate, seconds));
  }

  async close(): Promise<void> {
    await this.thread.close();
  }

  private record(r: SubmitResults): void {
    for (const [start, end] of r.samples) this.rec.submit.push({ start, end });
    for (const f of r.failures) this.rec.failures.push({ kind: 'submit', ...f });
  }
}

/**
 * Reviewers, each a loop of claim → answer on its own server (round-robin), until stopped. With
 * `answerNext` an answer asks for the next task (`next`), as the workspace does, and a separate
 * claim is made only when the answer brought none; a pair is then one request.
 */
function startReviewers(targets: Target[], tokens: string[], rec: Recorder, answerNext: boolean): { pause: (on: boolean) => void; stop: () => Promise<void> } {
  let stopping = false;
  let paused = false;
  const claimBody = JSON.stringify({ workflow });
  type Held = { id: string; assignment: number };
  const loop = async (token: string, t: Target) => {
    let held: Held | null = null;
    while (!stopping) {
      if (paused) {
        await sleep(50);
        continue;
      }
      const t0 = performance.now();
      let task: Held | null = held;
      held = null;
      let t1 = t0;
      if (!task) {
        const claim = await post(t.client, t.host, '/v1/tasks/claim', token, claimBody);
        t1 = performance.now();
        if (claim.status === 204) {
          rec.dry.push(t1);
          await sleep(20);
          continue;
        }
        if (claim.status !== 200) {
          rec.failures.push({ kind: 'claim', status: claim.status, at: t1, detail: claim.body.toString().slice(0, 200) });
          await sleep(20);
          continue;
        }
        rec.claim.push({ start: t0, end: t1 });
        task = (JSON.parse(claim.body.toString()) as { task: Held }).task;
      }
      const body = { assignment: task.assignment, label: 'ok', ...(answerNext ? { next: { workflow } } : {}) };
      const ans = await post(t.client, t.host, `/v1/tasks/${task.id}/answer`, token, JSON.stringify(body));
      const t2 = performance.now();
      if (ans.status !== 200) {
        rec.failures.push({ kind: 'answer', status: ans.status, at: t2, detail: ans.body.toString().slice(0, 200) });
        continue;
      }
      rec.answered += 1;
      rec.answer.push({ start: t1, end: t2 });
      rec.pair.push({ start: t0, end: t2 });
      if (answerNext) held = (JSON.parse(ans.body.toString()) as { next?: { task: Held } | null }).next?.task ?? null;
    }
  };
  const running = tokens.map((token, i) => loop(token, targets[i % targets.length]!));
  return {
    pause: (on) => {
      paused = on;
    },
    stop: async () => {
      stopping = true;
      await Promise.race([Promise.all(running), sleep(30_000)]);
    },
  };
}

/** SSE clients on /v1/events/stream: the times of the events each received. */
function startSseClients(servers: ServerChild[], tokens: string[], count: number): { events: number[][]; stop: () => void } {
  const events: number[][] = [];
  const requests: ClientRequest[] = [];
  for (let i = 0; i < count; i++) {
    const got: number[] = [];
    events.push(got);
    const u = new URL(`${servers[i % servers.length]!.url}/v1/events/stream`);
    const req = httpRequest(u, { headers: { authorization: `Bearer ${tokens[i % tokens.length]}` }, agent: false }, (res) => {
      let buffered = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        const frames = buffered.split('\n\n');
        buffered = frames.pop() ?? '';
        for (const f of frames) if (f.startsWith('event: ')) got.push(performance.now());
      });
    });
    req.on('error', () => {});
    req.end();
    requests.push(req);
  }
  return { events, stop: () => requests.forEach((r) => r.destroy()) };
}

// ---------------------------------------------------------------------------------------------
// Phases

interface Phase {
  name: string;
  /** Submits (items) or adds (jobs) per second asked of an open-loop phase; null for the closed-loop peak. */
  rate: number | null;
  window: Window;
  cpu: CpuShare;
}

/**
 * What the Postgres server wrote in a window: WAL, and the checkpoints it started and finished.
 * A checkpoint's closing flush of the files it wrote took 0.3–0.5 s in this bench's windows, and
 * commits beside one were slow (bench/README.md); how often one comes depends on the WAL written
 * (max_wal_size).
 */
interface DbWork {
  walMbPerSec: number;
  checkpointsStarted: number;
  /** Time checkpoints spent flushing files to disk within the window (pg_stat_bgwriter.checkpoint_sync_time). */
  checkpointSyncMs: number;
}

interface DbSnapshot { at: number; walBytes: number; checkpoints: number; syncMs: number }

/** Null where the server lacks these views (before Postgres 14; from 17 the counts moved to pg_stat_checkpointer). */
async function dbSnapshot(): Promise<DbSnapshot | null> {
  try {
    const r = await withAdmin((c) => c.query<{ wal: string; checkpoints: string; sync_ms: number }>(
      `SELECT (SELECT wal_bytes FROM pg_stat_wal)::text AS wal, (checkpoints_timed + checkpoints_req)::text AS checkpoints,
              checkpoint_sync_time::float8 AS sync_ms FROM pg_stat_bgwriter`,
    ));
    const row = r.rows[0]!;
    return { at: performance.now(), walBytes: Number(row.wal), checkpoints: Number(row.checkpoints), syncMs: row.sync_ms };
  } catch {
    return null;
  }
}

function dbWork(a: DbSnapshot | null, b: DbSnapshot | null): DbWork | null {
  if (!a || !b) return null;
  return {
    walMbPerSec: (b.walBytes - a.walBytes) / 1e6 / ((b.at - a.at) / 1000),
    checkpointsStarted: b.checkpoints - a.checkpoints,
    checkpointSyncMs: b.syncMs - a.syncMs,
  };
}

/** Snapshots the CPU and the server's writes at the window's start and end while `body` runs. */
async function measured(pids: number[], warmupSeconds: number, seconds: number, body: (w: Window) => Promise<void>): Promise<{ window: Window; cpu: CpuShare; db: DbWork | null }> {
  const start = performance.now() + warmupSeconds * 1000;
  const window = { start, end: start + seconds * 1000 };
  let a: CpuSnapshot | null = null;
  let b: CpuSnapshot | null = null;
  let dbA: Promise<DbSnapshot | null> = Promise.resolve(null);
  let dbB: Promise<DbSnapshot | null> = Promise.resolve(null);
  const marks = [
    setTimeout(() => {
      a = cpuSnapshot(pids);
      dbA = dbSnapshot();
    }, warmupSeconds * 1000),
    setTimeout(() => {
      b = cpuSnapshot(pids);
      dbB = dbSnapshot();
    }, (warmupSeconds + seconds) * 1000),
  ];
  try {
    await body(window);
  } finally {
    marks.forEach(clearTimeout);
  }
  const end = cpuSnapshot(pids);
  return { window, cpu: cpuShare(a ?? end, b ?? end), db: dbWork(await dbA, await dbB) };
}

function ticker(label: () => string): () => void {
  const t = setInterval(() => progress(label()), 1000);
  return () => clearInterval(t);
}

// ---------------------------------------------------------------------------------------------
// Tandem

interface TandemPhase {
  name: string;
  rate: number | null;
  submitsPerSec: number;
  submit: { p50: number; p99: number };
  claim: { p50: number; p99: number };
  answer: { p50: number; p99: number };
  pairsPerSec: number;
  dry: number;
  failures: number;
  openTasksAtStart: number;
  sseEventsPerClientPerSec: number;
  sseQuietestClientEvents: number;
  cpu: CpuShare;
  db: DbWork | null;
}

interface TandemRun {
  /** `floor`, `floor-batched`: the bench's floor server (bench/floorServer.ts) took Tandem's place. */
  system: System;
  processes: number;
  peakItemsPerSec: number;
  phases: TandemPhase[];
  rss: { idleMb: number; maxMb: number }[];
  failures: Failure[];
  check: { answersAccepted: number; answersInDb: number; submitsAccepted: number; itemsInDb: number; ok: boolean };
  profile: string | null;
}

/** The workflow, a service key and the reviewers, each signed in on the process they will work on. */
async function tandemPeople(o: ScaleOptions, servers: ServerChild[]): Promise<{ serviceKey: string; tokens: string[] }> {
  const base = servers[0]!.url;
  await must(api(base, adminKey, 'POST', '/v1/workflows', { name: workflow, labels: ['ok', 'bad'], model: { type: 'none' } }), `create ${workflow}`, [201]);
  const { key: serviceKey } = await must(api<{ key: string }>(base, adminKey, 'POST', '/v1/keys', { name: 'bench submitter', role: 'service', workflows: [workflow] }), 'create a service key', [201]);
  const password = `bench-${randomBytes(8).toString('hex')}`;
  const tokens: string[] = [];
  for (let i = 0; i < o.reviewers; i++) {
    const email = `reviewer${i}@bench.invalid`;
    await must(api(base, adminKey, 'POST', '/v1/reviewers', { email, workflows: [workflow], password }), `add ${email}`, [201]);
    // Signed in on the server it will work on: a session must hold on every process.
    const s = await must(api<{ token: string }>(servers[i % servers.length]!.url, '', 'POST', '/v1/sessions', { email, password }), `sign in ${email}`, [201]);
    tokens.push(s.token);
  }
  return { serviceKey, tokens };
}

/** The floor server's reviewers: a reviewer's token is its id (bench/floorServer.ts). */
async function floorPeople(peek: pg.Client, reviewers: number): Promise<{ serviceKey: string; tokens: string[] }> {
  const tokens = Array.from({ length: reviewers }, () => randomUUID());
  await peek.query('INSERT INTO reviewers (id) SELECT unnest($1::uuid[])', [tokens]);
  return { serviceKey: 'service', tokens };
}

type System = 'tandem' | 'floor' | 'floor-batched';

/**
 * `rates`: the open-loop submit rates to use instead of shares of this run's own peak. The floors
 * take Tandem's, as the peer does, so that their pairs/s are read under the same inflow.
 */
async function runTandem(o: ScaleOptions, n: number, mode: 'dist' | 'source', system: System = 'tandem', rates: readonly number[] | null = null): Promise<TandemRun> {
  const cleanup = new Cleanup();
  const floor = system !== 'tandem';
  const label = system;
  try {
    const db = await createDatabase(cleanup, floor ? 'tandem_bench_floor' : 'tandem_bench_scale');
    const peek = new pg.Client({ connectionString: db.url });
    await peek.connect();
    cleanup.add('close the bench database client', () => peek.end());
    if (floor) await peek.query(floorSchema);
    const profDir = o.cpuProfDir ? join(o.cpuProfDir, `${label}-${n}p`) : null;
    if (profDir) mkdirSync(profDir, { recursive: true });
    const startedAt = Date.now();
    // The first server applies the migrations; the others then start on a database that has them.
    const servers: ServerChild[] = [];
    for (let i = 0; i < n; i++) {
      progress(`${label}, ${n} process${n > 1 ? 'es' : ''}: starting server ${i + 1} (${floor ? 'bench/floorServer.ts' : mode}) on ${db.name}, pool ${o.poolSize}`);
      servers.push(await startServer(cleanup, { databaseUrl: db.url, poolSize: o.poolSize, mode, cpuProfDir: profDir, floor: floor ? (system === 'floor' ? 'plain' : 'batched') : undefined }));
    }
    const pids = servers.map((s) => s.pid);
    const rss = servers.map((s) => rssSampler(s.pid));
    cleanup.add('stop the RSS samplers', () => rss.forEach((r) => r.stop()));
    const { serviceKey, tokens } = floor ? await floorPeople(peek, o.reviewers) : await tandemPeople(o, servers);

    const rec = new Recorder();
    const submitter = new Submitter(servers, serviceKey, rec);
    cleanup.add('stop the submitter thread', () => submitter.close());
    const sse = startSseClients(servers, tokens, o.sse);
    cleanup.add('close the SSE clients', () => sse.stop());
    const openTasks = async () => Number((await peek.query<{ n: string }>(`SELECT count(*) AS n FROM tasks WHERE status = 'open'`)).rows[0]!.n);

    // The queue is filled before the reviewers start, deep enough that the peak phase does not run
    // dry: reviewers who answer 1,000 pairs/s would otherwise empty it while submits refill it.
    const fill = Math.max(1000, 1000 * (closedWarmupSeconds + o.seconds));
    progress(`${label}, ${n}p: submitting ${fill} items to fill the queue`);
    const fillDeadline = performance.now() + 60_000;
    while ((await openTasks()) < fill && performance.now() < fillDeadline) await submitter.closed(o.connections, performance.now() + 500);
    const reviewers = startReviewers(targetsFor(servers.map((s) => s.url), Math.ceil(o.reviewers / n)), tokens, rec, system === 'tandem' && !o.separateClaims);
    cleanup.add('stop the reviewers', () => reviewers.stop());

    const phases: TandemPhase[] = [];
    const stopTicker = ticker(() => `${label}, ${n}p: ${rec.submitted} submitted, ${rec.answered} answered, ${rec.failures.length} failures`);
    try {
      const phase = async (name: string, rate: number | null, load: (w: Window) => Promise<void>, warm: number) => {
        const openTasksAtStart = await openTasks();
        progress(`${label}, ${n}p: ${name}`);
        const m = await measured(pids, warm, o.seconds, load);
        const sec = o.seconds;
        const submits = latency(rec.submit, m.window);
        const sseCounts = sse.events.map((e) => e.filter((t) => t >= m.window.start && t <= m.window.end).length);
        const p: TandemPhase = {
          name, rate,
          submitsPerSec: submits.n / sec,
          submit: submits,
          claim: latency(rec.claim, m.window),
          answer: latency(rec.answer, m.window),
          pairsPerSec: rec.pair.filter(inWindow(m.window)).length / sec,
          dry: rec.dry.filter((t) => t >= m.window.start && t <= m.window.end).length,
          failures: rec.failures.filter((f) => f.at >= m.window.start && f.at <= m.window.end).length,
          openTasksAtStart,
          sseEventsPerClientPerSec: sseCounts.length ? sseCounts.reduce((a, b) => a + b, 0) / sseCounts.length / sec : Number.NaN,
          sseQuietestClientEvents: sseCounts.length ? Math.min(...sseCounts) : Number.NaN,
          cpu: m.cpu,
          db: m.db,
        };
        phases.push(p);
        return p;
      };
      const peak = await phase(`peak: closed loop, ${o.connections} connections`, null, (w) => submitter.closed(o.connections, w.end), closedWarmupSeconds);
      for (const [i, share] of rateShares.entries()) {
        const rate = rates?.[i] ?? Math.max(1, Math.round(share * peak.submitsPerSec));
        // Below the peak the reviewers may answer faster than items arrive: the queue is topped up
        // first, with the reviewers paused (not measured), so that it does not run dry in the phase.
        const need = Math.max(1000, Math.ceil(1.5 * Math.max(...phases.map((ph) => ph.pairsPerSec)) * (openWarmupSeconds + o.seconds)));
        const deadline = performance.now() + 30_000;
        if ((await openTasks()) < need) {
          reviewers.pause(true);
          while ((await openTasks()) < need && performance.now() < deadline) await submitter.closed(o.connections, performance.now() + 500);
          reviewers.pause(false);
        }
        await phase(`${Math.round(share * 100)} % of peak: open loop at ${rate}/s${rates ? ' (Tandem\'s rate)' : ''}`, rate, () => submitter.open(rate, openWarmupSeconds + o.seconds), openWarmupSeconds);
      }
    } finally {
      stopTicker();
    }
    await reviewers.stop();
    sse.stop();

    // Nothing lost, nothing twice: every accepted answer and submit is in the database, once.
    const answersInDb = Number((await peek.query<{ n: string }>('SELECT count(*) AS n FROM answers')).rows[0]!.n);
    const itemsInDb = Number((await peek.query<{ n: string }>('SELECT count(*) AS n FROM items')).rows[0]!.n);
    const failedSubmits = rec.failures.filter((f) => f.kind === 'submit').length;
    const check = {
      answersAccepted: rec.answered, answersInDb, submitsAccepted: rec.submitted, itemsInDb,
      // A submit that failed on the client side may still have been written: allow for those only.
      ok: answersInDb === rec.answered && itemsInDb >= rec.submitted && itemsInDb <= rec.submitted + failedSubmits,
    };
    const rssOut = rss.map((r) => ({ idleMb: r.idleMb, maxMb: r.maxMb() }));
    rss.forEach((r) => r.stop());
    await peek.end().catch(() => {});
    for (const s of servers) await s.stop();
    let profile: string | null = null;
    if (profDir) {
      const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(profDir, f)).filter((f) => statSync(f).mtimeMs >= startedAt);
      const main = files.sort((a, b) => statSync(b).size - statSync(a).size)[0];
      if (main) profile = `CPU profile of the largest server (${n}p): ${main}\n${summariseProfile(main)}`;
    }
    return { system, processes: n, peakItemsPerSec: phases[0]!.submitsPerSec, phases, rss: rssOut, failures: rec.failures, check, profile };
  } finally {
    await cleanup.run();
  }
}

// ---------------------------------------------------------------------------------------------
// The peer: graphile-worker

interface PeerPhase {
  name: string;
  rate: number | null;
  addsPerSec: number;
  add: { p50: number; p99: number };
  jobsPerSec: number;
  queuedAtStart: number;
  /** Jobs waiting at the end of the window: 0 means the queue ran dry and jobs/s is what came in, not what the workers can do. */
  queuedAtEnd: number;
  failures: number;
  cpu: CpuShare;
  db: DbWork | null;
}

interface PeerRun {
  processes: number;
  concurrency: number[];
  poolSize: number[];
  adderPool: number;
  phases: PeerPhase[];
  rss: { idleMb: number; maxMb: number }[];
  failures: Failure[];
  version: string;
  /** VACUUM and ANALYZE runs of the peer's table upkeep (startPeerUpkeep). */
  upkeepRuns: number;
}

/**
 * Table upkeep for the peer, by Tandem's own rule and statements (src/core/upkeep.ts,
 * src/store/upkeep.ts) on its schedule (2 s). graphile-worker leaves its tables to autovacuum,
 * and autovacuum is off on this workplace's Postgres servers, the bench machine's included:
 * every job leaves dead row versions in its job table, and without a VACUUM its workers would
 * step over more of them with every job. Tandem vacuums its own tables
 * (src/engine/upkeep.ts); the peer gets the same, so that neither is measured on a bloated table.
 */
async function startPeerUpkeep(cleanup: Cleanup, databaseUrl: string): Promise<{ runs: () => number }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  client.on('error', () => {});
  const db: Queryable = { query: async <T,>(sql: string, params?: readonly unknown[]) => (await client.query(sql, params ? [...params] : undefined)).rows as T[] };
  let stopped = false;
  let runs = 0;
  const pass = async () => {
    for (const step of planUpkeep(await readTableStats(db, null, 'graphile_worker'))) {
      if (stopped) return;
      await tidyTable(db, step.table, step, 'graphile_worker');
      runs += 1;
    }
  };
  const loop = (async () => {
    while (!stopped) {
      await pass().catch(() => {});
      await sleep(2000);
    }
  })();
  cleanup.add('stop the peer\'s table upkeep', async () => {
    stopped = true;
    await loop;
    await client.end();
  });
  return { runs: () => runs };
}

async function startPeerWorker(cleanup: Cleanup, databaseUrl: string, concurrency: number, poolSize: number): Promise<{ pid: number; alive: () => boolean; stop: () => Promise<void> }> {
  const child = fork(join(repo, 'bench/peerWorker.ts'), [], {
    cwd: repo,
    // The same Node flags as a `tandem serve` child.
    execArgv: ['--max-semi-space-size=32', '--import', 'tsx'],
    env: { ...process.env, PEER_DATABASE_URL: databaseUrl, PEER_CONCURRENCY: String(concurrency), PEER_POOL_SIZE: String(poolSize), NO_LOG_SUCCESS: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    if (!(await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]))) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  cleanup.add('stop a graphile-worker child', stop);
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`the graphile-worker child exited with ${code} during start-up`)));
  });
  return { pid: child.pid!, alive: () => child.exitCode === null && child.signalCode === null, stop };
}

async function runPeer(o: ScaleOptions, n: number, tandem: TandemRun): Promise<PeerRun> {
  const cleanup = new Cleanup();
  try {
    const db = await createDatabase(cleanup, 'tandem_bench_gw');
    const logger = new Logger(() => (level, message) => {
      if (level === 'error') progress(`graphile-worker: ${message}`);
    });
    await runMigrations({ connectionString: db.url, logger });
    const upkeep = await startPeerUpkeep(cleanup, db.url);
    // As many connections for the adds as a Tandem server has for everything (max_connections is
    // shared with whatever else runs on this Postgres server).
    const adderPool = o.poolSize;
    const adders = new pg.Pool({ connectionString: db.url, max: adderPool });
    // The database is dropped WITH (FORCE) at the end: a connection it ends is no failure then.
    adders.on('error', () => {});
    adders.on('connect', (client) => client.on('error', () => {}));
    cleanup.add('close the adders\' pool', () => adders.end());
    const utils: WorkerUtils = await makeWorkerUtils({ pgPool: adders, logger });
    cleanup.add('release the graphile-worker utils', () => utils.release());
    const peek = new pg.Client({ connectionString: db.url });
    await peek.connect();
    cleanup.add('close the peer database client', () => peek.end());

    // The reviewers' number is the peer's total concurrency, split over its processes like theirs;
    // each worker process gets the pool a Tandem server gets (graphile-worker recommends
    // concurrency + 2, which 64 reviewers over 100 max_connections do not leave room for).
    const concurrency = Array.from({ length: n }, (_, i) => Math.floor(o.reviewers / n) + (i < o.reviewers % n ? 1 : 0));
    const poolSize = concurrency.map(() => o.poolSize);
    progress(`graphile-worker, ${n}p: starting ${n} worker process${n > 1 ? 'es' : ''}, concurrency ${concurrency.join('+')}`);
    const workers = [];
    for (let i = 0; i < n; i++) workers.push(await startPeerWorker(cleanup, db.url, concurrency[i]!, poolSize[i]!));
    const pids = workers.map((w) => w.pid);
    const rss = pids.map((pid) => rssSampler(pid));
    cleanup.add('stop the peer RSS samplers', () => rss.forEach((r) => r.stop()));

    const rec = new Recorder();
    let added = 0;
    const addOne = async (due = performance.now()) => {
      try {
        await utils.addJob('noop', { n: added });
        added += 1;
        rec.submit.push({ start: due, end: performance.now() });
      } catch (err) {
        rec.failures.push({ kind: 'add', status: 0, at: performance.now(), detail: err instanceof Error ? err.message : String(err) });
      }
    };
    const queued = async () => Number((await peek.query<{ n: string }>('SELECT count(*) AS n FROM graphile_worker._private_jobs')).rows[0]!.n);
    // Fill the queue to the depth Tandem's had at the same point, in batches (setup, not measured).
    const topUp = async (depth: number) => {
      let missing = depth - (await queued());
      while (missing > 0) {
        const batch = Math.min(missing, 2000);
        await utils.addJobs(Array.from({ length: batch }, (_, i) => ({ identifier: 'noop', payload: { fill: i } })));
        missing -= batch;
      }
    };
    const phases: PeerPhase[] = [];
    const stopTicker = ticker(() => `graphile-worker, ${n}p: ${added} added`);
    try {
      for (const t of tandem.phases) {
        // At least Tandem's depth, and enough that the workers cannot empty the queue within the
        // phase (the first phase assumes up to 2000 jobs/s): what is measured is what they can do.
        const warmup = t.rate === null ? closedWarmupSeconds : openWarmupSeconds;
        const fastest = Math.max(2000, ...phases.map((ph) => 2 * ph.jobsPerSec));
        await topUp(Math.max(t.openTasksAtStart, Math.ceil(fastest * (warmup + o.seconds))));
        progress(`graphile-worker, ${n}p: ${t.name}${t.rate === null ? '' : ' (Tandem\'s rate)'}`);
        let atStart = { added: 0, queued: 0 };
        let atEnd = { added: 0, queued: 0 };
        const snap = async () => {
          const a = added;
          return { added: a, queued: await queued() };
        };
        const warm = t.rate === null ? closedWarmupSeconds : openWarmupSeconds;
        const marks: Promise<void>[] = [];
        const m = await measured(pids, warm, o.seconds, async (w) => {
          const at = (time: number, fn: () => Promise<void>) =>
            marks.push(new Promise<void>((resolve) => setTimeout(() => void fn().then(resolve, resolve), Math.max(0, time - performance.now()))));
          at(w.start, async () => void (atStart = await snap()));
          at(w.end, async () => void (atEnd = await snap()));
          if (t.rate === null) {
            await Promise.all(Array.from({ length: o.connections }, async () => {
              while (performance.now() < w.end) await addOne();
            }));
          } else {
            const rate = t.rate;
            const total = Math.round(rate * (warm + o.seconds));
            const start = performance.now() + 5;
            const out: Promise<void>[] = [];
            let sent = 0;
            await new Promise<void>((resolve) => {
              const pump = () => {
                const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
                while (sent < due) out.push(addOne(start + (sent++ * 1000) / rate));
                if (sent < total) setTimeout(pump, 1);
                else resolve();
              };
              setTimeout(pump, 5);
            });
            await Promise.race([Promise.all(out), sleep(30_000)]);
          }
          await Promise.all(marks);
        });
        if (!workers.every((w) => w.alive())) throw new Error('a graphile-worker process died during the run (its output is above)');
        const adds = latency(rec.submit, m.window);
        const completed = atEnd.added - atStart.added - (atEnd.queued - atStart.queued);
        phases.push({
          name: t.name, rate: t.rate,
          addsPerSec: adds.n / o.seconds,
          add: adds,
          jobsPerSec: completed / o.seconds,
          queuedAtStart: atStart.queued,
          queuedAtEnd: atEnd.queued,
          failures: rec.failures.filter((f) => f.at >= m.window.start && f.at <= m.window.end).length,
          cpu: m.cpu,
          db: m.db,
        });
      }
    } finally {
      stopTicker();
    }
    const rssOut = rss.map((r) => ({ idleMb: r.idleMb, maxMb: r.maxMb() }));
    for (const w of workers) await w.stop();
    const version = (JSON.parse(readFileSync(join(repo, 'node_modules/graphile-worker/package.json'), 'utf8')) as { version: string }).version;
    return { processes: n, concurrency, poolSize, adderPool, phases, rss: rssOut, failures: rec.failures, version, upkeepRuns: upkeep.runs() };
  } finally {
    await cleanup.run();
  }
}

// ---------------------------------------------------------------------------------------------
// The run

export function runScale(o: ScaleOptions): Promise<number> {
  return withCleanup(async (cleanup) => {
    const machine = {
      nproc: availableParallelism(),
      cpu: cpus()[0]?.model.trim() ?? 'unknown',
      memGb: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      postgres: await withAdmin(async (c) => (await c.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v),
    };
    const source = sourceVersion();
    progress(`machine: ${machine.nproc} CPUs (${machine.cpu}), node ${machine.node}, Postgres ${machine.postgres}`);
    const mode = o.fromSource ? 'source' : await ensureBuilt(cleanup);
    const runs: { tandem: TandemRun; floors: TandemRun[]; peer: PeerRun | null }[] = [];
    for (const n of o.processes) {
      const tandem = await runTandem(o, n, mode);
      await withAdmin((c) => c.query('CHECKPOINT')).catch(() => {});
      const floors: TandemRun[] = [];
      for (const system of o.floor ? (['floor', 'floor-batched'] as const) : []) {
        floors.push(await runTandem(o, n, mode, system, tandem.phases.flatMap((ph) => (ph.rate === null ? [] : [ph.rate]))));
        await withAdmin((c) => c.query('CHECKPOINT')).catch(() => {});
      }
      const peer = o.peer ? await runPeer(o, n, tandem) : null;
      await withAdmin((c) => c.query('CHECKPOINT')).catch(() => {});
      runs.push({ tandem, floors, peer });
    }
    process.stdout.write(report(o, machine, source, mode, runs));
    return 0;
  });
}

function report(
  o: ScaleOptions,
  machine: { nproc: number; cpu: string; memGb: number; node: string; postgres: string },
  source: string,
  mode: string,
  runs: { tandem: TandemRun; floors: TandemRun[]; peer: PeerRun | null }[],
): string {
  const table = (rows: string[][]) => {
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
  };
  const cpu = (c: CpuShare) => `${c.serverPct}/${c.postgresPct}/${c.benchPct}/${c.otherPct} ${c.machineBusyPct}%`;
  const ms = (l: { p50: number; p99: number }) => `${fmt(l.p50, 1)}/${fmt(l.p99, 1)}`;
  const wal = (d: DbWork | null) => (d ? fmt(d.walMbPerSec, 1) : '?');
  const waits = (c: CpuShare) => `${c.serverWaitMsPerSec ?? '?'}/${c.postgresWaitMsPerSec ?? '?'}`;
  const checkpoints = (d: DbWork | null) => (d ? `${d.checkpointsStarted}/${fmt(d.checkpointSyncMs)}` : '?');
  const out: string[] = [
    '',
    `machine: ${machine.nproc} CPUs (${machine.cpu}), ${machine.memGb} GB, node ${machine.node}, Postgres ${machine.postgres}`,
    `source ${source}, server from ${mode}, pool ${o.poolSize}, ${o.seconds} s windows, ${o.reviewers} reviewers, ${o.sse} SSE clients, peak with ${o.connections} connections`,
    `latencies are p50/p99 in ms; CPU is % of one core over the window: server (Tandem processes or graphile-worker children) / all postgres / this bench / other, then machine busy`,
    `wait: ms a second that a server's main thread (the mean over the processes) / all postgres processes together were ready to run but waited for a CPU (/proc/<pid>/schedstat)`,
    `WAL: MB/s the Postgres server wrote; ckpt: checkpoints started / ms they spent flushing data files within the window (a flush can hold commits back); ? where the server does not report them`,
    o.separateClaims
      ? `reviewers: claim, then answer, two requests per pair (--separate-claims)`
      : `reviewers: Tandem's take the next task with each answer ("next", as the workspace does), so "claim" counts only claims made alone and "answer" includes the next claim; the floors' claim, then answer`,
  ];
  const goalLines: string[] = [];
  const summary: unknown[] = [];
  const systemTable = (t: TandemRun) => {
    out.push(table([
      [t.system === 'tandem' ? 'Tandem' : `${t.system} (bench/floorServer.ts)`, 'items/s', 'submit', 'claim', 'answer', 'pairs/s', 'dry', 'errors', 'SSE ev/s', 'CPU', 'wait', 'WAL', 'ckpt'],
      ...t.phases.map((ph) => [
        ph.name, fmt(ph.submitsPerSec), ms(ph.submit), ms(ph.claim), ms(ph.answer), fmt(ph.pairsPerSec), String(ph.dry), String(ph.failures),
        `${fmt(ph.sseEventsPerClientPerSec, 1)}`, cpu(ph.cpu), waits(ph.cpu), wal(ph.db), checkpoints(ph.db),
      ]),
    ]));
    for (const ph of t.phases.filter((x) => x.dry > 0)) out.push(`note: claims found the queue empty ${ph.dry} times in "${ph.name}": its pairs/s is partly limited by the inflow`);
    out.push(`RSS per process: ${t.rss.map((r, i) => `#${i + 1} idle ${fmt(r.idleMb)} MB, max ${fmt(r.maxMb)} MB`).join('; ')}`);
    out.push(`check: ${t.check.answersAccepted} answers accepted, ${t.check.answersInDb} in the database; ${t.check.submitsAccepted} submits accepted, ${t.check.itemsInDb} items in the database: ${t.check.ok ? 'consistent' : 'NOT consistent'}`);
    const errs = new Map<string, number>();
    for (const f of t.failures) errs.set(`${f.kind} ${f.status}: ${f.detail.slice(0, 120)}`, (errs.get(`${f.kind} ${f.status}: ${f.detail.slice(0, 120)}`) ?? 0) + 1);
    for (const [k, v] of [...errs.entries()].slice(0, 5)) out.push(`  error ×${v}  ${k}`);
  };
  const pairsOver = (t: TandemRun) => t.phases.reduce((s, ph) => s + ph.pairsPerSec, 0);
  for (const { tandem: t, floors, peer: p } of runs) {
    out.push('', `== ${t.processes} process${t.processes > 1 ? 'es' : ''} ==`, '');
    systemTable(t);
    for (const f of floors) {
      out.push('');
      systemTable(f);
      out.push(`${f.system} / Tandem pairs, all four windows: ${fmt(pairsOver(f) / pairsOver(t), 2)} (at Tandem's open-loop submit rates; its peak is its own)`);
    }
    const at80 = t.phases.find((ph) => ph.name.startsWith('80 %'));
    const tandemPairs = pairsOver(t);
    let ratio = Number.NaN;
    if (p) {
      out.push('');
      out.push(table([
        [`graphile-worker ${p.version}`, 'adds/s', 'add', 'jobs/s', 'queued', 'errors', 'ratio', 'CPU', 'wait', 'WAL', 'ckpt'],
        ...p.phases.map((ph, i) => [ph.name, fmt(ph.addsPerSec), ms(ph.add), fmt(ph.jobsPerSec), `${ph.queuedAtStart}→${ph.queuedAtEnd}`, String(ph.failures), fmt(t.phases[i]!.pairsPerSec / ph.jobsPerSec, 2), cpu(ph.cpu), waits(ph.cpu), wal(ph.db), checkpoints(ph.db)]),
      ]));
      for (const ph of p.phases.filter((x) => x.queuedAtEnd === 0)) out.push(`note: the peer's queue ran dry in "${ph.name}": its jobs/s there is the inflow, not what the workers can do`);
      out.push(`concurrency ${p.concurrency.join('+')}, worker pool ${p.poolSize.join('+')} connections, adds one by one (addJob) from this process on ${p.adderPool} connections, queue topped up to Tandem's depth before each phase, ${p.upkeepRuns} VACUUM/ANALYZE runs of table upkeep (Tandem's rule)`);
      out.push(`RSS per worker process: ${p.rss.map((r, i) => `#${i + 1} idle ${fmt(r.idleMb)} MB, max ${fmt(r.maxMb)} MB`).join('; ')}`);
      const peerJobs = p.phases.reduce((s, ph) => s + ph.jobsPerSec, 0);
      ratio = tandemPairs / peerJobs;
      out.push(`ratio Tandem claim+answer pairs / graphile-worker jobs, all four windows: ${fmt(ratio, 2)}`);
      for (const f of floors) out.push(`ratio ${f.system} claim+answer pairs / graphile-worker jobs, all four windows: ${fmt(pairsOver(f) / peerJobs, 2)}`);
    }
    const errors = t.failures.length + (p?.failures.length ?? 0);
    goalLines.push(
      `  ${t.processes}p  claim+answer / graphile-worker jobs >= ${goals.ratio}   ${fmt(ratio, 2)}   ${p ? (ratio >= goals.ratio ? 'met' : 'NOT met') : 'not measured (--no-peer)'}`,
      `  ${t.processes}p  p99 submit at 80 % of peak < ${goals.p99SubmitMs} ms   ${fmt(at80?.submit.p99 ?? Number.NaN, 1)} ms   ${at80 && at80.submit.p99 < goals.p99SubmitMs && at80.submitsPerSec >= 0.95 * (at80.rate ?? 0) ? 'met' : 'NOT met'}${at80?.db && at80.db.checkpointSyncMs > 0 ? ` (a checkpoint flushed files for ${fmt(at80.db.checkpointSyncMs)} ms in the window)` : ''}`,
      `  ${t.processes}p  no errors   ${errors} (${t.failures.length} Tandem, ${p?.failures.length ?? 0} peer), check ${t.check.ok ? 'consistent' : 'NOT consistent'}   ${errors === 0 && t.check.ok ? 'met' : 'NOT met'}`,
    );
    summary.push({
      processes: t.processes,
      tandem: { ...t, failures: t.failures.length, profile: undefined },
      floors: floors.map((f) => ({ ...f, failures: f.failures.length, profile: undefined })),
      peer: p ? { ...p, failures: p.failures.length } : null,
      ratio,
    });
  }
  out.push('', 'goals:', ...goalLines, '');
  const json = JSON.stringify({ bench: 'scale', at: new Date().toISOString(), machine, source, options: o, runs: summary });
  const profiles = runs.map((r) => r.tandem.profile).filter((x): x is string => x !== null);
  return `${out.join('\n')}\n${json}\n${profiles.map((p) => `\n${p}\n`).join('')}`;
}
