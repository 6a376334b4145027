// `bench scale`'s submitter, on a thread of its own. The bench's main thread also runs 64
// reviewers and the SSE clients: with the submits on the same event loop, a submit was sent late
// and its response read late whenever that loop was busy with the reviewers' responses (its delay
// had a p99 of 5–10 ms and peaks of 20–77 ms), and the submit latency counted that as the
// server's. graphile-worker's adds run on a loop with nothing else on it, so this is also what
// makes the two comparable. Times cross the threads as epoch milliseconds (timeOrigin + now).
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { post, targetsFor } from './leanClient.ts';
import { sleep } from './rig.ts';

export interface SubmitFailure {
  status: number;
  /** performance.now() of the thread that reads it */
  at: number;
  detail: string;
}

export interface SubmitResults {
  /** [start, end] per accepted submit, in performance.now() of the thread that reads them */
  samples: [number, number][];
  failures: SubmitFailure[];
}

interface Setup {
  role: 'bench-submitter';
  urls: string[];
  token: string;
  workflow: string;
  socketsEach: number;
}

type Command = { kind: 'closed'; connections: number; untilEpoch: number } | { kind: 'open'; rate: number; seconds: number };

type Report =
  | { kind: 'progress'; submitted: number }
  | { kind: 'done'; submitted: number; samples: Float64Array; failures: { status: number; atEpoch: number; detail: string }[] };

const epoch = (now: number) => performance.timeOrigin + now;
const local = (epochMs: number) => epochMs - performance.timeOrigin;

/**
 * The main thread's handle on the submitter thread: one command at a time. `onCount` hears the
 * number of submits the servers accepted so far, over the whole run, twice a second and at the end
 * of each command.
 */
export class SubmitterThread {
  private worker: Worker;
  private pending: { resolve: (r: SubmitResults) => void; reject: (e: unknown) => void } | null = null;

  constructor(urls: string[], token: string, workflow: string, socketsEach: number, onCount: (submitted: number) => void) {
    const setup: Setup = { role: 'bench-submitter', urls, token, workflow, socketsEach };
    // A worker does not take the main thread's `--import tsx` for its own entry, so it registers tsx
    // itself before loading this file.
    const entry = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(import.meta.url)}); })`;
    this.worker = new Worker(entry, { eval: true, workerData: setup });
    this.worker.on('message', (r: Report) => {
      onCount(r.submitted);
      if (r.kind !== 'done') return;
      const samples: [number, number][] = [];
      for (let i = 0; i < r.samples.length; i += 2) samples.push([local(r.samples[i]!), local(r.samples[i + 1]!)]);
      const p = this.pending;
      this.pending = null;
      p?.resolve({ samples, failures: r.failures.map((f) => ({ status: f.status, at: local(f.atEpoch), detail: f.detail })) });
    });
    const fail = (err: unknown) => {
      const p = this.pending;
      this.pending = null;
      p?.reject(err);
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the submitter thread exited (${code})`)));
  }

  /** Closed loop: `connections` submits in flight until `until` (performance.now() of this thread). */
  closed(connections: number, until: number): Promise<SubmitResults> {
    return this.run({ kind: 'closed', connections, untilEpoch: epoch(until) });
  }

  /** Open loop: submit i is due at start + i/rate whether or not earlier ones were answered (no coordinated omission). */
  open(rate: number, seconds: number): Promise<SubmitResults> {
    return this.run({ kind: 'open', rate, seconds });
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }

  private run(command: Command): Promise<SubmitResults> {
    if (this.pending) return Promise.reject(new Error('the submitter thread is busy'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(command);
    });
  }
}

function submitBody(n: number): string {
  return JSON.stringify({
    text: `Order ${n} arrived damaged, the box was crushed and the screen is cracked. Please send a replacement.`,
    metadata: { channel: 'email', segment: n % 3 === 0 ? 'enterprise' : 'consumer', amount: n % 500 },
  });
}

/** The thread: each submit a new item with its own idempotency key, round-robin over the servers. */
function serve(setup: Setup): void {
  const port = parentPort!;
  const targets = targetsFor(setup.urls, setup.socketsEach);
  const run = randomBytes(4).toString('hex');
  const path = `/v1/workflows/${setup.workflow}/items`;
  let n = 0;
  let submitted = 0;
  let samples: number[] = [];
  let failures: { status: number; atEpoch: number; detail: string }[] = [];

  /** One submit; its latency counts from `due` (open loop) or from when it was sent. */
  const one = async (due = performance.now()): Promise<void> => {
    const i = n++;
    const t = targets[i % targets.length]!;
    const r = await post(t.client, t.host, path, setup.token, submitBody(i), `idempotency-key: ${run}-${i}\r\n`);
    const end = performance.now();
    if (r.status >= 200 && r.status < 300) {
      submitted += 1;
      samples.push(epoch(due), epoch(end));
    } else failures.push({ status: r.status, atEpoch: epoch(end), detail: r.body.toString().slice(0, 200) });
  };

  const closed = async (connections: number, until: number) => {
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (performance.now() < until) await one();
      }),
    );
  };

  const open = async (rate: number, seconds: number) => {
    const start = performance.now() + 5;
    const total = Math.round(rate * seconds);
    const out: Promise<void>[] = [];
    let sent = 0;
    await new Promise<void>((resolve) => {
      const pump = () => {
        const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
        while (sent < due) {
          out.push(one(start + (sent * 1000) / rate));
          sent += 1;
        }
        if (sent < total) setTimeout(pump, 1);
        else resolve();
      };
      setTimeout(pump, 5);
    });
    // A server that stops answering must not hang the bench; what is still out then is counted missing.
    await Promise.race([Promise.all(out), sleep(30_000)]);
  };

  const progress = setInterval(() => port.postMessage({ kind: 'progress', submitted } satisfies Report), 500);
  progress.unref();
  port.on('message', (c: Command) => {
    const work = c.kind === 'closed' ? closed(c.connections, local(c.untilEpoch)) : open(c.rate, c.seconds);
    void work.then(() => {
      const report: Report = { kind: 'done', submitted, samples: Float64Array.from(samples), failures };
      samples = [];
      failures = [];
      port.postMessage(report, [report.samples.buffer as ArrayBuffer]);
    });
  });
}

if (!isMainThread && (workerData as Partial<Setup> | null)?.role === 'bench-submitter') serve(workerData as Setup);
