// One small database interface, two drivers: embedded PGlite by default, a Postgres server with
// DATABASE_URL. Everything above this file speaks plain parametrised SQL and never asks which.
import { mkdirSync } from 'node:fs';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';

export type Row = Record<string, unknown>;

export interface Queryable {
  /**
   * Runs one parametrised statement. A `name` makes it a prepared statement on a Postgres
   * server (parsed and planned once per connection): for the hot path's fixed SQL only, and
   * not for statements whose plan should depend on their parameters.
   */
  query<T = Row>(sql: string, params?: readonly unknown[], name?: string): Promise<T[]>;
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /**
   * Connections of their own for taking items in (a submit's one write). Reviewers' claims and
   * answers queue for the main pool under load; a customer's message must not wait behind them.
   * The embedded database has one connection, and there this is the same as the Db.
   */
  readonly intake: Queryable;
  /**
   * Connections of their own for the claim statements (engine/claimBatch.ts), on which Postgres
   * always uses a statement's generic plan. The claim's `LIMIT` is a parameter, which a generic
   * plan prices at a tenth of the open tasks; with the choice left to Postgres, a claim went back
   * to being planned for every set whenever the queue's statistics moved (under bench scale, half
   * the claims on some connections, 0.4 ms of planning for a set of two that ran in 0.35 ms). The
   * generic plan is the one the claim is written for: the claim index, in its order. The embedded
   * database has one connection, and there this is the same as the Db.
   */
  readonly claims: Queryable;
  /** Runs fn in one transaction; commits if it resolves, rolls back if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * The embedded database only: an image of its data folder, which `loadDataDir` starts another
   * from (the tests start each fresh database from one image of a migrated one).
   */
  dumpDataDir?(): Promise<Blob>;
  /** Calls onPayload for each NOTIFY on the channel, from any process on the same database. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** postgres:// URL of a server; when absent, an embedded PGlite database. */
  url?: string | undefined;
  /** PGlite data folder; `memory://` for a throw-away database. */
  dataDir?: string | undefined;
  poolSize?: number | undefined;
  /** Connections of the intake pool (Db.intake) on a Postgres server; default 8. */
  intakePoolSize?: number | undefined;
  /** Embedded database only: start from this image of a data folder (Db.dumpDataDir) instead of an empty one. */
  loadDataDir?: Blob | undefined;
}

export async function openDb(options: OpenOptions): Promise<Db> {
  if (options.url) return openPostgres(options.url, options.poolSize ?? 10, options.intakePoolSize ?? 8);
  return openPglite(options.dataDir ?? './.tandem/data', options.loadDataDir);
}

async function openPglite(dataDir: string, loadDataDir: Blob | undefined): Promise<Db> {
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  const lite = await PGlite.create({ ...(dataDir.startsWith('memory://') ? {} : { dataDir }), ...(loadDataDir ? { loadDataDir } : {}) });
  const asQueryable = (q: Pick<PGlite, 'query'>): Queryable => ({
    async query<T = Row>(sql: string, params?: readonly unknown[]) {
      const res = await q.query(sql, params ? [...params] : undefined);
      return res.rows as T[];
    },
  });
  const base = asQueryable(lite);
  return {
    kind: 'pglite',
    query: base.query,
    intake: base,
    claims: base,
    transaction: (fn) => lite.transaction((tx) => fn(asQueryable(tx))),
    exec: async (sql) => {
      await lite.exec(sql);
    },
    listen: async (channel, onPayload) => {
      const unsubscribe = await lite.listen(channel, onPayload);
      return unsubscribe;
    },
    dumpDataDir: () => lite.dumpDataDir('none'),
    close: () => lite.close(),
  };
}

const ignoreError = () => {};

/**
 * Connections per process for the claim statements (Db.claims). A process serves one set of
 * claims at a time; the second connection takes the claims a set sends on alone.
 */
const claimPoolSize = 2;

/** How long a request waits to connect, or for a free connection of the pool, before it fails. */
const connectTimeoutMs = 10_000;

async function openPostgres(url: string, poolSize: number, intakePoolSize: number): Promise<Db> {
  // JIT compilation costs more than it saves on this workload's short statements (a claim over
  // many open tasks was planned expensive enough to be compiled on every call).
  // A server that cannot be reached fails a request within connectTimeoutMs (refused connections
  // fail at once), so that callers get a 503 rather than a hanging request.
  const newPool = (max: number, settings = '') => {
    const p = new pg.Pool({ connectionString: url, max, options: `-c jit=off${settings}`, connectionTimeoutMillis: connectTimeoutMs, keepAlive: true });
    // An idle client that loses its server must not take the process down; the next query reconnects.
    p.on('error', () => {});
    return p;
  };
  const queryOn = (p: pg.Pool) => async <T = Row>(sql: string, params?: readonly unknown[], name?: string): Promise<T[]> => {
    const res = name ? await p.query({ name, text: sql, values: params ? [...params] : [] }) : await p.query(sql, params ? [...params] : undefined);
    return res.rows as T[];
  };
  const pool = newPool(poolSize);
  const intakePool = newPool(intakePoolSize);
  const claimPool = newPool(claimPoolSize, ' -c plan_cache_mode=force_generic_plan');
  const query = queryOn(pool);
  await query('SELECT 1');
  // One connection per process LISTENs for every channel. If it drops (a server restart, a
  // terminated backend), it comes back by itself with backoff and LISTENs again; what was
  // notified meanwhile is lost, which is why waiters also re-read the database on a timer.
  const handlers = new Map<string, Set<(payload: string) => void>>();
  let listener: Promise<pg.Client> | null = null;
  let closed = false;
  const connectListener = async (): Promise<pg.Client> => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs, keepAlive: true });
    client.on('error', () => {});
    client.on('notification', (msg) => {
      for (const h of handlers.get(msg.channel) ?? []) h(msg.payload ?? '');
    });
    try {
      await client.connect();
      for (const channel of handlers.keys()) await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (err) {
      // Connected but could not LISTEN (a server still starting up): do not keep the half-made connection.
      await client.end().catch(() => {});
      throw err;
    }
    client.once('end', () => {
      listener = null;
      if (!closed) reconnect(250);
    });
    return client;
  };
  const reconnect = (delayMs: number) => {
    setTimeout(() => {
      if (closed || listener) return;
      listener = connectListener();
      listener.catch(() => {
        listener = null;
        reconnect(Math.min(delayMs * 2, 10_000));
      });
    }, delayMs).unref();
  };
  return {
    kind: 'postgres',
    query,
    intake: { query: queryOn(intakePool) },
    claims: { query: queryOn(claimPool) },
    transaction: async (fn) => {
      const client = await pool.connect();
      // The pool watches for errors only while a client is idle. One whose server goes away
      // between the statements of a transaction emits 'error', which unheard would end the process;
      // the next statement (or ROLLBACK) fails instead, and the caller gets that error.
      client.on('error', ignoreError);
      try {
        await client.query('BEGIN');
        const tx: Queryable = {
          async query<T = Row>(sql: string, params?: readonly unknown[], name?: string) {
            const res = name ? await client.query({ name, text: sql, values: params ? [...params] : [] }) : await client.query(sql, params ? [...params] : undefined);
            return res.rows as T[];
          },
        };
        const result = await fn(tx);
        await client.query('COMMIT');
        client.removeListener('error', ignoreError);
        client.release();
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        client.removeListener('error', ignoreError);
        // A client whose connection broke mid-transaction is not given back to the pool.
        client.release(err instanceof Error ? err : true);
        throw err;
      }
    },
    exec: async (sql) => {
      await pool.query(sql);
    },
    listen: async (channel, onPayload) => {
      let set = handlers.get(channel);
      if (!set) {
        set = new Set();
        handlers.set(channel, set);
        if (listener) await (await listener).query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      }
      // A new connection LISTENs to every channel in `handlers`, this one included.
      if (!listener) {
        const connecting = connectListener();
        listener = connecting;
        connecting.catch(() => {
          if (listener === connecting) listener = null;
        });
      }
      await listener;
      set.add(onPayload);
      return async () => {
        set.delete(onPayload);
      };
    },
    close: async () => {
      closed = true;
      const l = listener;
      listener = null;
      await l?.then((c) => c.end()).catch(() => {});
      await Promise.all([pool.end(), intakePool.end(), claimPool.end()]);
    },
  };
}
