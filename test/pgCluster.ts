// A throw-away PostgreSQL cluster for fault tests: initdb in a temporary folder, its own free
// port, its unix socket inside that folder, fsync off (a server crash, unlike a machine crash,
// loses nothing with it; synchronous_commit stays on, since an immediate stop would lose commits
// already acknowledged). Tests stop, restart and constrain this
// cluster only; the machine's own PostgreSQL is never touched. Removed on cleanup, and also when
// the test process exits without cleaning up (a failed assertion, an uncaught error).
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { freePort } from './harness.ts';

export interface Cluster {
  readonly port: number;
  readonly dir: string;
  /** postgres:// URL of a database on this cluster (TCP, 127.0.0.1). */
  url(database?: string): string;
  /**
   * Starts the server. `maxFileBytes` caps the size of any one file the server writes
   * (RLIMIT_FSIZE): a table that grows past it fails like a full disk (SQLSTATE 53100).
   */
  start(options?: { maxFileBytes?: number }): void;
  /** `fast` rolls back open transactions and disconnects; `immediate` is a crash (recovery on start). */
  stop(mode?: 'smart' | 'fast' | 'immediate'): void;
  restart(mode?: 'fast' | 'immediate', options?: { maxFileBytes?: number }): void;
  createDatabase(name: string): Promise<string>;
  /** One statement as the superuser on the `postgres` database. */
  sql(statement: string): Promise<void>;
  /** Stops the server (immediately) and deletes the folder. */
  remove(): void;
}

const live = new Set<Cluster>();
const removeAll = () => {
  for (const c of live) c.remove();
};
process.once('exit', removeAll);
// Interrupted (Ctrl-C, a runner's timeout): clean up, then die of the same signal.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    removeAll();
    process.kill(process.pid, signal);
  });
}

/** Where initdb and pg_ctl are: TANDEM_PG_BIN, else Debian's newest /usr/lib/postgresql/N/bin, else the PATH. */
function binDir(): string {
  if (process.env.TANDEM_PG_BIN) return process.env.TANDEM_PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (newest) return join(root, newest, 'bin');
  const onPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (onPath.status === 0 && onPath.stdout.trim()) return dirname(onPath.stdout.trim());
  throw new Error(`no PostgreSQL server binaries (initdb, pg_ctl): set TANDEM_PG_BIN, or install them (Debian: postgresql, under ${root}/*/bin)`);
}

/** PostgreSQL refuses to run as root: then its commands run as the `postgres` OS user. */
const asRoot = process.getuid?.() === 0;
let pgUid: number | null = null;
let pgGid: number | null = null;
if (asRoot) {
  const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (id.status !== 0) throw new Error('running as root, and there is no `postgres` OS user to run a test cluster as');
  pgUid = Number(id.stdout.trim());
  pgGid = Number(gid.stdout.trim());
}

function run(command: string, args: string[], maxFileBytes?: number): void {
  const limited = maxFileBytes === undefined ? [command, ...args] : ['prlimit', `--fsize=${maxFileBytes}`, command, ...args];
  const [file, ...rest] = asRoot ? ['runuser', '-u', 'postgres', '--', ...limited] : limited;
  const res = spawnSync(file!, rest, { encoding: 'utf8', timeout: 60_000 });
  if (res.status !== 0) throw new Error(`${limited.join(' ')} failed (${res.status ?? res.signal}):\n${res.stdout}\n${res.stderr}`);
}

/** A new cluster, started (with `maxFileBytes`, see Cluster.start). */
export async function createCluster(options: { maxFileBytes?: number } = {}): Promise<Cluster> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'tandem-pg-'));
  if (asRoot) chownSync(dir, pgUid!, pgGid!);
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const port = await freePort();
  // 1 MB WAL segments: a file-size cap (see start) above 1 MB then never hits the WAL itself.
  run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '--no-instructions', '-E', 'UTF8', '--wal-segsize=1']);
  const serverOptions = [`-p ${port}`, `-k ${dir}`, '-c listen_addresses=127.0.0.1', '-c fsync=off', '-c full_page_writes=off', '-c max_connections=200'].join(' ');
  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const ctl = (args: string[], maxFileBytes?: number) => run(join(bin, 'pg_ctl'), ['-D', data, '-w', '-t', '30', ...args], maxFileBytes);
  let running = false;
  let removed = false;
  const sql = async (statement: string, database = 'postgres') => {
    const c = new pg.Client({ connectionString: url(database) });
    await c.connect();
    try {
      await c.query(statement);
    } finally {
      await c.end();
    }
  };
  const cluster: Cluster = {
    port,
    dir,
    url,
    start(options = {}) {
      ctl(['-l', log, '-o', serverOptions, 'start'], options.maxFileBytes);
      running = true;
    },
    stop(mode = 'fast') {
      ctl(['-m', mode, 'stop']);
      running = false;
    },
    restart(mode = 'fast', options = {}) {
      // stop + start rather than `pg_ctl restart`, so that the new server gets the log file and limits.
      cluster.stop(mode);
      cluster.start(options);
    },
    async createDatabase(name) {
      await sql(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      return url(name);
    },
    sql: (statement) => sql(statement),
    remove() {
      if (removed) return;
      removed = true;
      live.delete(cluster);
      if (running) {
        try {
          ctl(['-m', 'immediate', 'stop']);
        } catch {
          // already gone; the folder goes anyway
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  live.add(cluster);
  cluster.start(options);
  return cluster;
}
