// Real `tandem serve` child processes for multi-process and fault tests: started on a port of
// their own, healthy when /healthz says 200, stopped with a signal of the test's choosing, and
// restartable on the same port (as a load balancer's backend would come back).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { adminKey, freePort } from './harness.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export interface ServeProcess {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly proc: ChildProcess;
  /** The last lines the process wrote, for failure messages. */
  output(): string;
  alive(): boolean;
  /** Sends the signal and resolves with how the process ended. */
  stop(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Starts it again on the same port and database; resolves when healthy. */
  restart(): Promise<void>;
}

const all = new Set<ServeProcess>();
const killAll = () => {
  for (const s of all) if (s.alive()) s.proc.kill('SIGKILL');
};
process.once('exit', killAll);
// Interrupted (Ctrl-C, a runner's timeout): no server is left behind; then die of the same signal.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll();
    process.kill(process.pid, signal);
  });
}

export async function startServe(name: string, databaseUrl: string, env: Record<string, string> = {}): Promise<ServeProcess> {
  const port = await freePort();
  let proc!: ChildProcess;
  let tail = '';
  let exited!: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  let running = false;
  const launch = async () => {
    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      TANDEM_HOST: '127.0.0.1',
      TANDEM_ADMIN_KEY: adminKey,
      TANDEM_RATE_LIMIT: '10000000',
      TANDEM_TICK_MS: '200',
      ...env,
    };
    // The child is a server, not a test file: it must not report to this runner.
    delete childEnv.NODE_TEST_CONTEXT;
    proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--no-demo'], { cwd: repoRoot, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    running = true;
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-8000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        running = false;
        resolve({ code, signal });
      });
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (!running) throw new Error(`serve ${name} exited before it was healthy:\n${tail}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        await res.arrayBuffer();
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`serve ${name} did not answer /healthz within 60 s:\n${tail}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const s: ServeProcess = {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    get proc() {
      return proc;
    },
    output: () => tail,
    alive: () => running,
    async stop(signal) {
      if (running) proc.kill(signal);
      return exited;
    },
    async restart() {
      if (running) throw new Error(`serve ${name} is still running`);
      await launch();
    },
  };
  all.add(s);
  await launch();
  return s;
}

export async function stopAll(): Promise<void> {
  for (const s of all) {
    if (s.alive()) await s.stop('SIGKILL');
    all.delete(s);
  }
}
