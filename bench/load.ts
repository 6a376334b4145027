// `bench load`: a real `tandem serve` child on a throw-away Postgres database, loaded over
// loopback HTTP, with pgbench TPC-B measured on the same server in the same run so that the
// figures can be read relative to what this machine's Postgres can do at all.
import { randomBytes } from 'node:crypto';
import { readdirSync, statSync, mkdirSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import autocannon from 'autocannon';
import pg from 'pg';
import { LeanClient } from './leanClient.ts';
import {
  adminKey, api, Cleanup, cpuShare, cpuSnapshot, createDatabase, dropDatabase, ensureBuilt, fmt, must, percentile, progress,
  rssSampler, runCommand, withCleanup, sleep, sourceVersion, startServer, summariseProfile, withAdmin, type CpuShare, type CpuSnapshot,
} from './rig.ts';

export interface LoadOptions {
  seconds: number;
  connections: number;
  reviewers: number;
  poolSize: number;
  fromSource: boolean;
  cpuProfDir: string | null;
}

const warmupSeconds = 2;
const rateWarmupSeconds = 3;
const pgbenchClients = 8;
const pgbenchScale = 10;
// The goals of the load issue, printed next to the figures.
const goals = { autoVsPgbench: 0.5, p99AtRateMs: 50, rssMb: 300 };

// ---------------------------------------------------------------------------------------------
// pgbench: TPC-B on the same Postgres server, the yardstick for the figures below.

interface PgbenchResult {
  tps: number;
  latencyMs: number;
  clients: number;
  threads: number;
  scale: number;
  seconds: number;
  /** server is 0 here; bench is the pgbench client. */
  cpu: CpuShare;
}

async function runPgbench(cleanup: Cleanup, seconds: number): Promise<PgbenchResult> {
  const db = await createDatabase(cleanup, 'tandem_bench_pgb');
  const threads = Math.max(1, Math.min(availableParallelism(), pgbenchClients));
  progress(`pgbench: initialising scale ${pgbenchScale} in ${db.name}`);
  await runCommand('pgbench', ['-i', '-q', '-s', String(pgbenchScale), db.url], cleanup);
  progress(`pgbench: TPC-B, ${pgbenchClients} clients, ${threads} threads, ${seconds} s`);
  const cpuStart = cpuSnapshot(-1);
  const out = await runCommand('pgbench', ['-c', String(pgbenchClients), '-j', String(threads), '-T', String(seconds), db.url], cleanup);
  const cpu = cpuShare(cpuStart, cpuSnapshot(-1));
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(out) ?? /tps = ([\d.]+)/.exec(out);
  const latency = /latency average = ([\d.]+) ms/.exec(out);
  if (!tps) throw new Error(`could not read tps from pgbench:\n${out}`);
  // Free the disk and the buffers before Tandem is measured; its dirty pages are flushed now, not
  // by a checkpoint in the middle of the Tandem runs.
  await dropDatabase(db.name);
  await withAdmin((c) => c.query('CHECKPOINT')).catch(() => {});
  return { tps: Number(tps[1]), latencyMs: latency ? Number(latency[1]) : Number.NaN, clients: pgbenchClients, threads, scale: pgbenchScale, seconds, cpu };
}

// not share an event loop with autocannon.
const scorerSource = `
const { parentPort } = require('node:worker_threads');
const http = require('node:http');
const body = JSON.stringify({ labels: { ok: 0.97, bad: 0.03 }, explanation: ['bench stand-in'] });
const server = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
`;

async function startScorer(cleanup: Cleanup): Promise<string> {
  const worker = new Worker(scorerSource, { eval: true, execArgv: [] });
  cleanup.add('stop the scoring stand-in', async () => {
    await worker.terminate();
  });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (p: number) => resolve(p));
    worker.once('error', reject);
  });
  return `http://127.0.0.1:${port}/score`;
}

// ---------------------------------------------------------------------------------------------
// Submit runs with autocannon

interface SubmitFigures {
  itemsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  ok: number;
  failed: number;
  seconds: number;
  cpu: CpuShare;
  /** Open-loop run only: p99 of each measured second by when requests were due, median and worst. */
  perSecondP99Ms?: { median: number; worst: number; underGoal: number; seconds: number };
}

function submitBody(n: number): string {
  return JSON.stringify({
    text: `Order ${n} arrived damaged, the box was crushed and the screen is cracked. Please send a replacement.`,
    metadata: { channel: 'email', segment: n % 3 === 0 ? 'enterprise' : 'consumer', amount: n % 500 },
  });
}

async function submitRun(o: {
  label: string;
  base: string;
  token: string;
  workflow: string;
  seconds: number;
  connections: number;
  serverPid: number;
}): Promise<SubmitFigures> {
  const run = randomBytes(4).toString('hex');
  const cpuStart = cpuSnapshot(o.serverPid);
  let n = 0;
  let second = 0;
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${o.base}/v1/workflows/${o.workflow}/items`,
        connections: o.connections,
        duration: o.seconds,
        requests: [
          {
            method: 'POST',
            // Each submit is a new item with its own idempotency key, as a well-behaved client sends.
            setupRequest: (req) => {
              n += 1;
              return {
                ...req,
                headers: {
                  authorization: `Bearer ${o.token}`,
                  'content-type': 'application/json',
                  'idempotency-key': `${run}-${n}`,
                },
                body: submitBody(n),
              };
            },
          },
        ],
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
    let sent = 0;
    instance.on('tick', () => {
      second += 1;
      if (second > o.seconds) return;
      progress(`${o.label}: ${second}/${o.seconds} s, ${n - sent} requests sent`);
      sent = n;
    });
  });
  const cpu = cpuShare(cpuStart, cpuSnapshot(o.serverPid));
  const ok = r['2xx'];
  const failed = r.non2xx + r.errors + r.timeouts;
  return {
    cpu,
    itemsPerSec: ok / r.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    p999Ms: r.latency.p99_9,
    maxMs: r.latency.max,
    ok,
    failed,
    seconds: r.duration,
  };
}

/**
 * Submits at a steady rate, open loop: request i is due at start + i/rate whether or not earlier
 * ones have been answered, and its latency counts from when it was due, so a slow server cannot
 * hide its queue (no coordinated omission). autocannon's overallRate is not used here: each of its
 * connections sends its whole per-second quota back to back and then waits for the next second,
 * which makes bursts, not a rate. The first seconds are a warm-up, not measured: the client opens its
 * connections then, and the backlog that makes drains slowly when the rate is near capacity.
 */
async function fixedRateRun(o: { label: string; base: string; token: string; workflow: string; rate: number; seconds: number; serverPid: number }): Promise<SubmitFigures> {
  const url = new URL(`${o.base}/v1/workflows/${o.workflow}/items`);
  const client = new LeanClient(url.hostname, Number(url.port), 1024);
  const head = `POST ${url.pathname} HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${o.token}\r\ncontent-type: application/json\r\n`;
  const run = randomBytes(4).toString('hex');
  const warm = rateWarmupSeconds;
  const total = Math.max(1, Math.round(o.rate * (warm + o.seconds)));
  const firstMeasured = Math.round(o.rate * warm);
  const latencies: number[] = [];
  const bySecond: number[][] = [];
  let measuredDone = 0;
  let failed = 0;
  let sent = 0;
  let done = 0;
  let last = 0;
  let cpuStart = cpuSnapshot(o.serverPid);
  const start = performance.now() + 10;
  let ticker: NodeJS.Timeout | undefined;
  let giveUp: NodeJS.Timeout | undefined;
  const mark = setTimeout(() => (cpuStart = cpuSnapshot(o.serverPid)), 10 + warm * 1000);
  try {
    await new Promise<void>((resolve) => {
      const finish = () => {
        done += 1;
        if (done === total) resolve();
      };
      const send = (i: number) => {
        const due = start + (i * 1000) / o.rate;
        const body = submitBody(i);
        const bytes = Buffer.from(`${head}idempotency-key: ${run}-${i}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
        client.request(bytes, (status) => {
          const now = performance.now();
          if (i >= firstMeasured) {
            last = now;
            measuredDone += 1;
            if (status >= 200 && status < 300) {
              latencies.push(now - due);
              const bucket = Math.floor((due - start) / 1000) - warm;
              (bySecond[bucket] ??= []).push(now - due);
            } else failed += 1;
          }
          finish();
        });
      };
      const pump = () => {
        const due = Math.min(total, Math.floor(((performance.now() - start) * o.rate) / 1000) + 1);
        while (sent < due) send(sent++);
        if (sent < total) setTimeout(pump, 1);
      };
      let second = 0;
      let seen = 0;
      ticker = setInterval(() => {
        second += 1;
        const recent = latencies.slice(seen).sort((x, y) => x - y);
        seen = latencies.length;
        const phase = second <= warm ? 'warm-up' : second <= warm + o.seconds ? `${second - warm}/${o.seconds} s` : 'draining';
        progress(`${o.label}: ${phase}, ${sent} sent, ${done} answered; this second p50 ${fmt(percentile(recent, 50))} ms, p99 ${fmt(percentile(recent, 99))} ms`);
      }, 1000);
      setTimeout(pump, 10);
      // A server that stops answering must not hang the bench: what is still out counts as failed.
      giveUp = setTimeout(() => {
        failed += total - done;
        resolve();
      }, (warm + o.seconds + 30) * 1000);
    });
  } finally {
    clearInterval(ticker);
    clearTimeout(mark);
    clearTimeout(giveUp);
    client.close();
  }
  const cpu = cpuShare(cpuStart, cpuSnapshot(o.serverPid));
  latencies.sort((a, b) => a - b);
  const seconds = (last - start) / 1000 - warm;
  const secondP99s = bySecond.filter((b) => b && b.length > 0).map((b) => percentile(b.sort((x, y) => x - y), 99));
  const sortedP99s = [...secondP99s].sort((a, b) => a - b);
  return {
    cpu,
    perSecondP99Ms: {
      median: percentile(sortedP99s, 50),
      worst: sortedP99s[sortedP99s.length - 1] ?? Number.NaN,
      underGoal: secondP99s.filter((v) => v < goals.p99AtRateMs).length,
      seconds: secondP99s.length,
    },
    itemsPerSec: measuredDone > 0 ? latencies.length / seconds : 0,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    p999Ms: percentile(latencies, 99.9),
    maxMs: latencies[latencies.length - 1] ?? Number.NaN,
    ok: latencies.length,
    failed,
    seconds,
  };
}

// ---------------------------------------------------------------------------------------------
// Claim + answer pairs with concurrent reviewers

interface PairFigures {
  pairsPerSec: number;
  cpu: CpuShare;
  p50Ms: number;
  p99Ms: number;
  pairs: number;
  dry: number;
  failed: number;
  reviewers: number;
}

async function claimAnswerRun(base: string, tokens: string[], workflow: string, seconds: number, serverPid: number): Promise<PairFigures> {
  const start = performance.now();
  const windowStart = start + warmupSeconds * 1000;
  const windowEnd = windowStart + seconds * 1000;
  let cpuStart = cpuSnapshot(serverPid);
  let cpuEnd: CpuSnapshot | null = null;
  const marks = [
    setTimeout(() => (cpuStart = cpuSnapshot(serverPid)), warmupSeconds * 1000),
    setTimeout(() => (cpuEnd = cpuSnapshot(serverPid)), (warmupSeconds + seconds) * 1000),
  ];
  const latencies: number[] = [];
  let dry = 0;
  let failed = 0;
  const post = async (token: string, path: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, text };
  };
  const reviewer = async (token: string) => {
    while (performance.now() < windowEnd) {
      const t0 = performance.now();
      const claim = await post(token, '/v1/tasks/claim', { workflow });
      if (claim.status === 204) {
        if (t0 >= windowStart) dry += 1;
        await sleep(20);
        continue;
      }
      if (claim.status !== 200) {
        failed += 1;
        await sleep(20);
        continue;
      }
      const { task } = JSON.parse(claim.text) as { task: { id: string; assignment: number } };
      const ans = await post(token, `/v1/tasks/${task.id}/answer`, { assignment: task.assignment, label: 'ok' });
      const t1 = performance.now();
      if (ans.status !== 200) {
        failed += 1;
        continue;
      }
      if (t0 >= windowStart && t1 <= windowEnd) latencies.push(t1 - t0);
    }
  };
  const ticker = setInterval(() => {
    const now = performance.now();
    if (now > windowEnd + 500) return;
    const label = now < windowStart ? 'warm-up' : `${Math.min(seconds, Math.round((now - windowStart) / 1000))}/${seconds} s`;
    progress(`claim+answer: ${label}, ${latencies.length} pairs so far`);
  }, 1000);
  try {
    await Promise.all(tokens.map(reviewer));
  } finally {
    clearInterval(ticker);
    marks.forEach(clearTimeout);
  }
  latencies.sort((a, b) => a - b);
  return {
    pairsPerSec: latencies.length / seconds,
    cpu: cpuShare(cpuStart, cpuEnd ?? cpuSnapshot(serverPid)),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    pairs: latencies.length,
    dry,
    failed,
    reviewers: tokens.length,
  };
}


export function runLoad(o: LoadOptions): Promise<number> {
  return withCleanup(async (cleanup, onFailure) => {
    const machine = {
      nproc: availableParallelism(),
      cpu: cpus()[0]?.model.trim() ?? 'unknown',
      memGb: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      postgres: await withAdmin(async (c) => (await c.query<{ v: string }>('SELECT current_setting(\'server_version\') AS v')).rows[0]!.v),
    };
    const source = sourceVersion();
    progress(`machine: ${machine.nproc} CPUs (${machine.cpu}), node ${machine.node}, Postgres ${machine.postgres}`);

    // pgbench first, with nothing else running, then the database it used is gone again.
    const pgb = await runPgbench(cleanup, o.seconds);
    progress(`pgbench: ${fmt(pgb.tps, 1)} tps`);

    const mode = o.fromSource ? 'source' : await ensureBuilt(cleanup);
    const benchDb = await createDatabase(cleanup, 'tandem_bench');
    const scorerUrl = await startScorer(cleanup);
    if (o.cpuProfDir) mkdirSync(o.cpuProfDir, { recursive: true });
    progress(`starting tandem serve (${mode}) on ${benchDb.name}, pool ${o.poolSize}`);
    const serverStartedAt = Date.now();
    const server = await startServer(cleanup, { databaseUrl: benchDb.url, poolSize: o.poolSize, mode, cpuProfDir: o.cpuProfDir });
    onFailure(() => `the server's last output:\n${server.output()}`);
    const rss = rssSampler(server.pid);
    cleanup.add('stop the RSS sampler', () => rss.stop());
    const peek = new pg.Client({ connectionString: benchDb.url });
    await peek.connect();
    cleanup.add('close the bench database client', () => peek.end());

    // Workflows, a service key for the submitters, reviewers for the queue.
    const base = server.url;
    await must(api(base, adminKey, 'POST', '/v1/workflows', {
      name: 'bench-auto', labels: ['ok', 'bad'], model: { type: 'http', url: scorerUrl, timeoutMs: 5000 }, policy: { threshold: 0.9 },
    }), 'create bench-auto', [201]);
    await must(api(base, adminKey, 'POST', '/v1/workflows', { name: 'bench-review', labels: ['ok', 'bad'], model: { type: 'none' } }), 'create bench-review', [201]);
    const { key: serviceKey } = await must(
      api<{ key: string }>(base, adminKey, 'POST', '/v1/keys', { name: 'bench submitter', role: 'service', workflows: ['bench-auto', 'bench-review'] }),
      'create a service key', [201],
    );
    const password = `bench-${randomBytes(8).toString('hex')}`;
    const tokens: string[] = [];
    for (let i = 0; i < o.reviewers; i++) {
      const email = `reviewer${i}@bench.invalid`;
      await must(api(base, adminKey, 'POST', '/v1/reviewers', { email, workflows: ['bench-review'], password }), `add ${email}`, [201]);
      const s = await must(api<{ token: string }>(base, '', 'POST', '/v1/sessions', { email, password }), `sign in ${email}`, [201]);
      tokens.push(s.token);
    }
    rss.phase();

    // (a) automatic path at full speed, then at half pgbench's rate.
    progress(`auto path: ${warmupSeconds} s warm-up`);
    await submitRun({ label: 'auto warm-up', base, token: serviceKey, workflow: 'bench-auto', seconds: warmupSeconds, connections: o.connections, serverPid: server.pid });
    const auto = await submitRun({ label: 'auto max', base, token: serviceKey, workflow: 'bench-auto', seconds: o.seconds, connections: o.connections, serverPid: server.pid });
    const autoRss = rss.phase();
    const routes = (await peek.query<{ route: string; n: string }>(
      `SELECT route->>'route' AS route, count(*) AS n FROM items WHERE workflow = 'bench-auto' GROUP BY 1`,
    )).rows;
    const autoRouted = Number(routes.find((r) => r.route === 'auto')?.n ?? 0);
    const autoTotal = routes.reduce((s, r) => s + Number(r.n), 0);
    if (autoRouted !== autoTotal) progress(`warning: only ${autoRouted} of ${autoTotal} bench-auto items were routed auto (is the scoring stand-in answering?)`);
    const rate = Math.max(1, Math.round(0.5 * pgb.tps));
    progress(`auto path at a fixed ${rate} items/s (0.5 x pgbench tps)`);
    const atRate = await fixedRateRun({ label: `auto @${rate}/s`, base, token: serviceKey, workflow: 'bench-auto', rate, seconds: o.seconds, serverPid: server.pid });
    const atRateRss = rss.phase();

    // (b) review path; it also fills the queue for (c).
    await submitRun({ label: 'review warm-up', base, token: serviceKey, workflow: 'bench-review', seconds: warmupSeconds, connections: o.connections, serverPid: server.pid });
    const review = await submitRun({ label: 'review max', base, token: serviceKey, workflow: 'bench-review', seconds: o.seconds, connections: o.connections, serverPid: server.pid });
    const reviewRss = rss.phase();
    const open = Number((await peek.query<{ n: string }>(`SELECT count(*) AS n FROM tasks WHERE workflow = 'bench-review' AND status = 'open'`)).rows[0]!.n);
    progress(`review queue holds ${open} open tasks`);

    // (c) claim + answer pairs.
    const pairs = await claimAnswerRun(base, tokens, 'bench-review', o.seconds, server.pid);
    const pairsRss = rss.phase();
    if (pairs.dry > 0) progress(`warning: the queue ran dry ${pairs.dry} times; pairs/s is limited by the pre-filled queue`);

    const rssMax = rss.maxMb();
    rss.stop();
    await peek.end().catch(() => {});
    await server.stop();

    const ratio = auto.itemsPerSec / pgb.tps;
    const result = {
      bench: 'load',
      at: new Date().toISOString(),
      machine,
      source,
      options: { seconds: o.seconds, connections: o.connections, reviewers: o.reviewers, poolSize: o.poolSize, server: mode, idempotencyKeys: true },
      pgbench: pgb,
      auto: { ...auto, routedAuto: autoRouted, routedTotal: autoTotal },
      autoAtRate: { targetRate: rate, openLoop: true, ...atRate },
      review: { ...review, openTasksAfter: open },
      claimAnswer: pairs,
      rss: { idleMb: rss.idleMb, maxMb: rssMax, autoMb: autoRss, autoAtRateMb: atRateRss, reviewMb: reviewRss, claimAnswerMb: pairsRss },
      ratio,
      goals: {
        autoVsPgbench: { goal: `>= ${goals.autoVsPgbench}`, value: ratio, met: ratio >= goals.autoVsPgbench },
        p99AtRate: { goal: `< ${goals.p99AtRateMs} ms`, value: atRate.p99Ms, met: atRate.p99Ms < goals.p99AtRateMs && atRate.itemsPerSec >= 0.95 * rate },
        rss: { goal: `< ${goals.rssMb} MB`, value: rssMax, met: rssMax < goals.rssMb },
      },
    };

    const cpuCell = (c: CpuShare) => `${c.serverPct}/${c.postgresPct}/${c.benchPct}/${c.otherPct}   ${c.machineBusyPct} %`;
    const rows: string[][] = [
      ['what', 'rate', 'p50 ms', 'p99 ms', 'CPU % server/pg/bench/other   busy'],
      [`pgbench TPC-B (-c ${pgb.clients} -j ${pgb.threads}, scale ${pgb.scale})`, `${fmt(pgb.tps, 0)} tps`, `avg ${fmt(pgb.latencyMs, 1)}`, '', cpuCell(pgb.cpu)],
      [`(a) auto submit, max (${o.connections} conns)`, `${fmt(auto.itemsPerSec)} items/s`, fmt(auto.p50Ms, 1), fmt(auto.p99Ms, 1), cpuCell(auto.cpu)],
      [`(a) auto submit at ${rate}/s (0.5 x pgbench, open loop)`, `${fmt(atRate.itemsPerSec)} items/s`, fmt(atRate.p50Ms, 1), fmt(atRate.p99Ms, 1), cpuCell(atRate.cpu)],
      [`(b) review submit, max (${o.connections} conns)`, `${fmt(review.itemsPerSec)} items/s`, fmt(review.p50Ms, 1), fmt(review.p99Ms, 1), cpuCell(review.cpu)],
      [`(c) claim+answer, ${pairs.reviewers} reviewers`, `${fmt(pairs.pairsPerSec)} pairs/s`, fmt(pairs.p50Ms, 1), fmt(pairs.p99Ms, 1), cpuCell(pairs.cpu)],
    ];
    const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
    const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('   ');
    const out: string[] = [
      '',
      `machine: ${machine.nproc} CPUs (${machine.cpu}), ${machine.memGb} GB, node ${machine.node}, Postgres ${machine.postgres}`,
      `source ${result.source}, server from ${mode}, pool ${o.poolSize}, ${o.seconds} s runs`,
      '',
      line(rows[0]!),
      ...rows.slice(1).map(line),
      '',
      `CPU: per cent of one core over the measured window (${machine.nproc} cores = ${100 * machine.nproc} %); bench is this process with its scoring stand-in (the pgbench client on the pgbench row);`,
      `     other = kernel time not charged to a process plus any other program running; busy = share of all cores not idle`,
      ...(rate > auto.itemsPerSec ? [`note: ${rate}/s is above the maximum measured in (a): the open-loop run is an overload test and its latency is queueing`] : []),
      `open-loop run, p99 of each second: median ${fmt(atRate.perSecondP99Ms?.median ?? Number.NaN, 1)} ms, worst ${fmt(atRate.perSecondP99Ms?.worst ?? Number.NaN, 1)} ms; ${atRate.perSecondP99Ms?.underGoal ?? 0} of ${atRate.perSecondP99Ms?.seconds ?? 0} seconds under ${goals.p99AtRateMs} ms`,
      `(d) server RSS: idle ${fmt(rss.idleMb)} MB, max ${fmt(rssMax)} MB`,
      `(e) auto items/s / pgbench tps = ${fmt(ratio, 2)}`,
      `failed requests: auto ${auto.failed}, auto@rate ${atRate.failed}, review ${review.failed}, claim+answer ${pairs.failed}; dry claims ${pairs.dry}`,
      '',
      'goals:',
      `  auto submits >= ${goals.autoVsPgbench} x pgbench tps   ${fmt(ratio, 2)}   ${result.goals.autoVsPgbench.met ? 'met' : 'NOT met'}`,
      `  p99 < ${goals.p99AtRateMs} ms at ${rate}/s          ${fmt(atRate.p99Ms, 1)} ms   ${result.goals.p99AtRate.met ? 'met' : 'NOT met'}`,
      `  RSS < ${goals.rssMb} MB                    ${fmt(rssMax)} MB   ${result.goals.rss.met ? 'met' : 'NOT met'}`,
      '',
    ];
    process.stdout.write(`${out.join('\n')}\n${JSON.stringify(result)}\n`);

    if (o.cpuProfDir) {
      // The main thread's profile is the big one; a loader worker (tsx) writes a small one too.
      const files = readdirSync(o.cpuProfDir)
        .filter((f) => f.endsWith('.cpuprofile'))
        .map((f) => join(o.cpuProfDir!, f))
        .filter((f) => statSync(f).mtimeMs >= serverStartedAt);
      const main = files.sort((a, b) => statSync(b).size - statSync(a).size)[0];
      if (main) process.stdout.write(`\nCPU profile of the server: ${main}\n${summariseProfile(main)}\n`);
      else progress('no CPU profile was written');
    }
    return 0;
  });
}
