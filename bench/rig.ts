// The bench rig shared by `bench load` and `bench scale`: throw-away databases on the Postgres
// server at DATABASE_URL, `tandem serve` children, and what is read from /proc about them (RSS, CPU).
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createServer } from 'node:net';
import pg from 'pg';

export const repo = fileURLToPath(new URL('..', import.meta.url));
export const serverUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
export const adminKey = `tdm_key_bench_${randomBytes(12).toString('hex')}`;

export const progress = (line: string) => process.stderr.write(`[bench] ${line}\n`);

// ---------------------------------------------------------------------------------------------
// Cleanup that runs once, last-in first-out, whether the run ends, fails or is interrupted.

export class Cleanup {
  private steps: { what: string; fn: () => Promise<void> | void }[] = [];
  private running: Promise<void> | null = null;
  add(what: string, fn: () => Promise<void> | void): void {
    this.steps.push({ what, fn });
  }
  run(): Promise<void> {
    return (this.running ??= (async () => {
      for (const step of this.steps.reverse()) {
        try {
          await step.fn();
        } catch (err) {
          progress(`cleanup: ${step.what} failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    })());
  }
}

/**
 * Runs a bench with a Cleanup that runs at its end, on failure, on Ctrl-C or SIGTERM, and after an
 * uncaught exception. `onFailure` adds a note (e.g. a server's last output) printed if it fails.
 */
export async function withCleanup(run: (cleanup: Cleanup, onFailure: (note: () => string) => void) => Promise<number>): Promise<number> {
  const cleanup = new Cleanup();
  const notes: (() => string)[] = [];
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    progress(`${signal}: cleaning up`);
    void cleanup.run().finally(() => process.exit(130));
  };
  const onCrash = (err: unknown) => {
    progress(`crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    void cleanup.run().finally(() => process.exit(1));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('uncaughtException', onCrash);
  try {
    return await run(cleanup, (note) => notes.push(note));
  } catch (err) {
    if (interrupted) return 130;
    progress(`failed: ${err instanceof Error ? err.message : String(err)}`);
    for (const note of notes) progress(note());
    return 1;
  } finally {
    await cleanup.run();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('uncaughtException', onCrash);
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers

export function dbUrl(name: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: serverUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function createDatabase(cleanup: Cleanup, prefix: string): Promise<{ name: string; url: string }> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  cleanup.add(`drop database ${name}`, () => dropDatabase(name));
  return { name, url: dbUrl(name) };
}

export async function dropDatabase(name: string): Promise<void> {
  await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Runs a command to its end; rejects with its output when it fails. */
export function runCommand(cmd: string, args: string[], cleanup: Cleanup): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const take = (chunk: Buffer) => {
      out += chunk.toString();
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    cleanup.add(`stop ${cmd}`, () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}:\n${out.slice(-4000)}`))));
  });
}

// ---------------------------------------------------------------------------------------------
// Build, the scoring stand-in, the server child.

export function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (!entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** 'dist' when dist/ is (made) current, 'source' when the build fails and tsx must do. */
export async function ensureBuilt(cleanup: Cleanup): Promise<'dist' | 'source'> {
  const entry = join(repo, 'dist/cli/main.js');
  if (existsSync(entry) && statSync(entry).mtimeMs >= newestMtime(join(repo, 'src'))) return 'dist';
  progress('dist/ is missing or older than src/: npm run build');
  try {
    await runCommand('npm', ['run', 'build'], cleanup);
    return 'dist';
  } catch (err) {
    progress(`the build failed, running the server from sources instead:\n${err instanceof Error ? err.message : String(err)}`);
    return 'source';
  }
}

// The scoring stand-in runs in a worker thread so that answering the server's model calls does

export interface ServerChild {
  url: string;
  pid: number;
  /** The last few kB the server printed. */
  output(): string;
  stop(): Promise<void>;
}

export async function startServer(
  cleanup: Cleanup,
  o: { databaseUrl: string; poolSize: number; mode: 'dist' | 'source'; cpuProfDir: string | null; floor?: 'plain' | 'batched' | undefined },
): Promise<ServerChild> {
  const port = await freePort();
  const args = [
    // As `npm start` and the tandem command run it (README, "Running the server").
    '--max-semi-space-size=32',
    ...(o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`] : []),
    // bench scale --floor: the same environment, served by the bench's floor server instead.
    ...(o.floor ? ['--import', 'tsx', 'bench/floorServer.ts']
      : o.mode === 'dist' ? ['dist/cli/main.js', 'serve', '--no-demo']
      : ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--no-demo']),
  ];
  const child = spawn(process.execPath, args, {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      DATABASE_URL: o.databaseUrl,
      PORT: String(port),
      TANDEM_HOST: '127.0.0.1',
      TANDEM_ADMIN_KEY: adminKey,
      TANDEM_RATE_LIMIT: '100000000',
      TANDEM_POOL_SIZE: String(o.poolSize),
      ...(o.floor === 'batched' ? { FLOOR_BATCH: '1' } : {}),
    },
  });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-8000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    // A profiled server writes its profile on the way out: give it time before insisting.
    const done = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
    if (!done) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  cleanup.add('stop the server', stop);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the server exited during start-up:\n${tail}`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the server did not answer /healthz within 60 s:\n${tail}`);
    await sleep(100);
  }
  return { url, pid: child.pid!, output: () => tail, stop };
}

/** Samples a process's resident set from /proc while the runs go on. */
export function rssSampler(pid: number) {
  const read = (): number | null => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : null;
    } catch {
      return null;
    }
  };
  const idle = read() ?? Number.NaN;
  let max = idle;
  let phaseMax = idle;
  const timer = setInterval(() => {
    const v = read();
    if (v !== null) {
      max = Math.max(max, v);
      phaseMax = Math.max(phaseMax, v);
    }
  }, 200);
  timer.unref();
  return {
    idleMb: idle,
    maxMb: () => max,
    /** The largest sample since the last call. */
    phase: () => {
      const m = phaseMax;
      phaseMax = read() ?? 0;
      return m;
    },
    stop: () => clearInterval(timer),
  };
}

/** CPU seconds used so far by the server, by all Postgres processes, and by this process. */
export interface CpuSnapshot {
  wall: number;
  server: number;
  postgres: number;
  bench: number;
  /** Machine-wide CPU seconds from /proc/stat: busy (not idle nor iowait), and all. */
  machineBusy: number;
  machineAll: number;
  /**
   * Seconds spent runnable but waiting for a CPU, from /proc/<pid>/schedstat, by process id: of the
   * servers' main threads (their event loops) and of the Postgres processes. By id, so that a
   * backend that ends within a window does not take its whole past off the sum. Null where not
   * read: no server given, or a kernel without schedstat.
   */
  serverWaits: ReadonlyMap<number, number> | null;
  postgresWaits: ReadonlyMap<number, number> | null;
}

const ticksPerSecond = 100; // USER_HZ on Linux

/** utime + stime, plus cutime + cstime: the children it has reaped (the postmaster reaps ended backends). */
export function cpuOfStat(stat: string): number {
  // Fields after the ")" that closes the command name, from the 3rd field of stat(5) on.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / ticksPerSecond;
}

/** Records the run-queue wait of a process's main thread in seconds (schedstat's second field, in ns). */
function addWait(waits: Map<number, number> | null, pid: string): void {
  if (!waits) return;
  try {
    const wait = Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/)[1]);
    if (Number.isFinite(wait)) waits.set(Number(pid), wait / 1e9);
  } catch {
    // the process has ended
  }
}

/** Kernels built without CONFIG_SCHEDSTATS have no schedstat files. */
const hasSchedstat = existsSync('/proc/self/schedstat');

/** `serverPids`: the processes counted as "server" (their CPU is summed); -1 for none. */
export function cpuSnapshot(serverPids: number | readonly number[]): CpuSnapshot {
  const servers = new Set(typeof serverPids === 'number' ? [serverPids] : serverPids);
  let server = 0;
  let postgres = 0;
  const serverWaits = hasSchedstat && !servers.has(-1) ? new Map<number, number>() : null;
  const postgresWaits = hasSchedstat ? new Map<number, number>() : null;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (servers.has(Number(entry))) {
        server += cpuOfStat(stat);
        addWait(serverWaits, entry);
      } else if (stat.includes(' (postgres) ')) {
        postgres += cpuOfStat(stat);
        addWait(postgresWaits, entry);
      }
    } catch {
      // the process ended between listing and reading
    }
  }
  // cpu  user nice system idle iowait irq softirq steal …
  const all = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = all.reduce((a, b) => a + b, 0);
  const idle = (all[3] ?? 0) + (all[4] ?? 0);
  return {
    wall: performance.now() / 1000, server, postgres, bench: cpuOfStat(readFileSync('/proc/self/stat', 'utf8')),
    machineBusy: (total - idle) / ticksPerSecond, machineAll: total / ticksPerSecond, serverWaits, postgresWaits,
  };
}

/** Share of one CPU each side used between two snapshots, in per cent. */
export interface CpuShare {
  serverPct: number;
  postgresPct: number;
  benchPct: number;
  /** Everything else that kept a CPU busy: kernel networking, and any other program on the machine. */
  otherPct: number;
  /** Share of all the machine's CPU time that was busy. */
  machineBusyPct: number;
  /**
   * Milliseconds a second that a server's main thread waited for a CPU while it had work (the mean
   * over the servers), and that all Postgres processes together waited; null where not read.
   * A Postgres backend that ended within the window is left out of it.
   */
  serverWaitMsPerSec: number | null;
  postgresWaitMsPerSec: number | null;
}

/**
 * Milliseconds a second of wait added between two snapshots by the processes alive at the second
 * (one that started in between counts from zero), summed, or divided among them with `mean`.
 */
function waitMsPerSec(a: ReadonlyMap<number, number> | null, b: ReadonlyMap<number, number> | null, wall: number, mean: boolean): number | null {
  if (!a || !b) return null;
  let sum = 0;
  for (const [pid, w] of b) sum += w - (a.get(pid) ?? 0);
  return Math.round((1000 * sum) / wall / (mean ? Math.max(1, b.size) : 1));
}

export function cpuShare(a: CpuSnapshot, b: CpuSnapshot): CpuShare {
  const wall = b.wall - a.wall;
  const pct = (x: number) => Math.round((100 * x) / wall);
  const server = b.server - a.server;
  const postgres = b.postgres - a.postgres;
  const bench = b.bench - a.bench;
  const busy = b.machineBusy - a.machineBusy;
  return {
    serverPct: pct(server),
    postgresPct: pct(postgres),
    benchPct: pct(bench),
    otherPct: Math.max(0, pct(busy - server - postgres - bench)),
    machineBusyPct: Math.round((100 * busy) / Math.max(1e-9, b.machineAll - a.machineAll)),
    serverWaitMsPerSec: waitMsPerSec(a.serverWaits, b.serverWaits, wall, true),
    postgresWaitMsPerSec: waitMsPerSec(a.postgresWaits, b.postgresWaits, wall, false),
  };
}

// ---------------------------------------------------------------------------------------------
// Talking to the server

export async function api<T>(base: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

export async function must<T>(p: Promise<{ status: number; body: T }>, what: string, ok: number[]): Promise<T> {
  const r = await p;
  if (!ok.includes(r.status)) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

// ---------------------------------------------------------------------------------------------
// CPU profile summary

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export function summariseProfile(file: string, top = 20): string {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const shortUrl = (url: string) => {
    const nm = url.lastIndexOf('node_modules/');
    if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
    const local = url.startsWith('file://') ? relative(repo, fileURLToPath(url)) : url;
    return local;
  };
  const key = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'}  ${shortUrl(n.callFrame.url)}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`;
  const area = (n: ProfileNode) => {
    const url = n.callFrame.url;
    if (!url) return n.callFrame.functionName || '(native)';
    const nm = url.lastIndexOf('node_modules/');
    if (nm >= 0) {
      const parts = url.slice(nm + 'node_modules/'.length).split('/');
      return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
    }
    if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
    return shortUrl(url);
  };
  const self = new Map<string, number>();
  const areas = new Map<string, number>();
  const inclusive = new Map<string, number>();
  // The profiler samples wall time: on a busy machine the thread is often descheduled inside a
  // socket write that woke Postgres or the client, and those samples say "no CPU", not "slow code".
  const socketWrites = new Set(['writev', 'writeBuffer', 'writeUtf8String', 'writeLatin1String']);
  let total = 0;
  let writing = 0;
  prof.samples.forEach((id, i) => {
    const dt = prof.timeDeltas[i] ?? 0;
    const node = byId.get(id);
    if (!node || node.callFrame.functionName === '(idle)') return;
    if (socketWrites.has(node.callFrame.functionName)) {
      writing += dt;
      return;
    }
    total += dt;
    self.set(key(node), (self.get(key(node)) ?? 0) + dt);
    areas.set(area(node), (areas.get(area(node)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)!;
      const url = n.callFrame.url;
      if (!url.startsWith('file://') || url.includes('/node_modules/')) continue;
      const k = key(n);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
    }
  });
  const pct = (v: number) => `${((100 * v) / total).toFixed(1).padStart(5)} %`;
  const list = (m: Map<string, number>, n: number) =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `  ${pct(v)}  ${k}`).join('\n');
  return [
    `time in the profile: ${(total / 1e6).toFixed(1)} s running, ${(writing / 1e6).toFixed(1)} s in socket writes (mostly waiting for a CPU; left out below), idle excluded`,
    `self time by function:`,
    list(self, top),
    `self time by package / file:`,
    list(areas, top),
    `inclusive time of Tandem's own functions (socket writes left out):`,
    list(inclusive, top),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// The run

/** The commit measured, marked +dirty when src/ has changes not committed. */
export function sourceVersion(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', 'src'], { cwd: repo, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${commit}+dirty` : commit;
  } catch {
    return 'unknown';
  }
}

export const fmt = (v: number, digits = 0) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
