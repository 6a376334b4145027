// The options of `npm run bench -- scale`, read from the command line and checked here, so that a
// bad flag stops the bench with a clear message before it starts any server.
import { parseFlags, UsageError } from '../src/cli/flags.ts';

export interface ScaleOptions {
  /** Length of each measured window. */
  seconds: number;
  /** Reviewers claiming and answering; also the peer's total concurrency. */
  reviewers: number;
  /** The process counts to measure, in order (default 1 and 2). */
  processes: number[];
  /** SSE clients on /v1/events/stream, spread over the processes. */
  sse: number;
  /** Connections of the closed-loop submit run that finds the peak. */
  connections: number;
  /** TANDEM_POOL_SIZE of each server. */
  poolSize: number;
  fromSource: boolean;
  cpuProfDir: string | null;
  /** Measure graphile-worker too (the default); --no-peer leaves it out. */
  peer: boolean;
  /** Also measure bench/floorServer.ts: the least any HTTP claim+answer service can do here. */
  floor: boolean;
  /**
   * Tandem's reviewers claim with a request of its own after each answer, instead of taking the
   * next task with the answer (`next`), as the workspace does. The floors always claim separately.
   */
  separateClaims: boolean;
}

function whole(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, not "${raw}"`);
  return n;
}

export function parseScaleOptions(args: string[]): ScaleOptions {
  const values = parseFlags(args, {
    seconds: { type: 'string' },
    reviewers: { type: 'string' },
    processes: { type: 'string' },
    sse: { type: 'string' },
    connections: { type: 'string' },
    pool: { type: 'string' },
    source: { type: 'boolean' },
    'cpu-prof': { type: 'string' },
    'no-peer': { type: 'boolean' },
    floor: { type: 'boolean' },
    'separate-claims': { type: 'boolean' },
  });
  const processes = (values.processes ?? '1,2').split(',').map((p) => whole('processes', p.trim(), 1, 1, 8));
  if (new Set(processes).size !== processes.length) throw new UsageError(`--processes names a count twice: "${values.processes}"`);
  const reviewers = whole('reviewers', values.reviewers, 64, 1, 500);
  if (reviewers < Math.max(...processes)) throw new UsageError(`--reviewers (${reviewers}) must be at least the largest --processes count (${Math.max(...processes)}): each process gets reviewers`);
  const cpuProfDir = values['cpu-prof'] ?? null;
  if (cpuProfDir !== null && cpuProfDir.trim() === '') throw new UsageError('--cpu-prof needs a folder');
  return {
    seconds: whole('seconds', values.seconds, 8, 1, 600),
    reviewers,
    processes,
    sse: whole('sse', values.sse, 8, 0, 1000),
    connections: whole('connections', values.connections, 32, 1, 1000),
    poolSize: whole('pool', values.pool, 16, 1, 1000),
    fromSource: values.source ?? false,
    cpuProfDir,
    peer: !(values['no-peer'] ?? false),
    floor: values.floor ?? false,
    separateClaims: values['separate-claims'] ?? false,
  };
}
