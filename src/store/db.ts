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
  /** Runs fn in one transaction; commits if it resolves, rolls back if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
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
}

export async function openDb(options: OpenOptions): Promise<Db> {
  if (options.url) return openPostgres(options.url, options.poolSize ?? 10);
  return openPglite(options.dataDir ?? './.tandem/data');
}

async function openPglite(dataDir: string): Promise<Db> {
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  const lite = await PGlite.create(dataDir.startsWith('memory://') ? undefined : dataDir);
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
    transaction: (fn) => lite.transaction((tx) => fn(asQueryable(tx))),
    exec: async (sql) => {
      await lite.exec(sql);
    },
    listen: async (channel, onPayload) => {
      const unsubscribe = await lite.listen(channel, onPayload);
      return unsubscribe;
    },
    close: () => lite.close(),
  };
}

const ignoreError = () => {};

/** How long a request waits to connect, or for a free connection of the pool, before it fails. */
const connectTimeoutMs = 10_000;

async function openPostgres(url: string, poolSize: number): Promise<Db> {
  // JIT compilation costs more than it saves on this workload's short statements (a claim over
  // many open tasks was planned expensive enough to be compiled on every call).
  // A server that cannot be reached fails a request within connectTimeoutMs (refused connections
  // fail at once), so that callers get a 503 rather than a hanging request.
  const pool = new pg.Pool({ connectionString: url, max: poolSize, options: '-c jit=off', connectionTimeoutMillis: connectTimeoutMs, keepAlive: true });
  // An idle client that loses its server must not take the process down; the next query reconnects.
  pool.on('error', () => {});
  const query = async <T = Row>(sql: string, params?: readonly unknown[], name?: string): Promise<T[]> => {
    const res = name ? await pool.query({ name, text: sql, values: params ? [...params] : [] }) : await pool.query(sql, params ? [...params] : undefined);
    return res.rows as T[];
  };
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
      await pool.end();
    },
  };
}
