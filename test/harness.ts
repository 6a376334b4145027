// Shared test fixtures: a fresh database on each driver (embedded PGlite, and a throw-away
// database on the Postgres server at DATABASE_URL), a real HTTP server on a free port, and a
// small typed HTTP client.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { createServer } from 'node:net';
import pg from 'pg';
import type { FastifyInstance } from 'fastify';
import { buildServer, type ServerOptions } from '../src/api/server.ts';
import { addReviewer, signIn } from '../src/engine/access.ts';
import { createEngine, type Engine, type EngineOptions } from '../src/engine/engine.ts';
import { openDb, type Db } from '../src/store/db.ts';
import { loadMigrations, migrate } from '../src/store/migrate.ts';

const pgliteManifest = new URL('../node_modules/@electric-sql/pglite/package.json', import.meta.url);

export const serverUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

export type DriverName = 'pglite' | 'postgres';
export const drivers: DriverName[] = ['pglite', 'postgres'];

export interface TestDb {
  db: Db;
  /** The postgres:// URL of the throw-away database (postgres driver only). */
  url: string | null;
  drop(): Promise<void>;
}

/** A new, empty database of its own, migrated; on Postgres, created now and dropped by drop(). */
export async function freshDb(driver: DriverName, poolSize = 10): Promise<TestDb> {
  if (driver === 'pglite') {
    const db = await openDb({ dataDir: 'memory://', loadDataDir: await migratedPgliteImage() });
    await migrate(db);
    return { db, url: null, drop: () => db.close() };
  }
  const url = await createServerDatabase();
  const db = await openDb({ url, poolSize });
  await migrate(db);
  return {
    db,
    url,
    drop: async () => {
      await db.close();
      await dropServerDatabase(url);
    },
  };
}

/**
 * An image of an empty embedded database with every migration applied, made once per machine
 * for this set of migrations and this PGlite, and kept in the temporary folder. An empty PGlite
 * takes seconds of CPU to create (its initdb), a copy of the image a fraction of one, and the
 * suite makes dozens on two cores.
 */
async function migratedPgliteImage(): Promise<Blob> {
  const hash = createHash('sha256').update(JSON.stringify(loadMigrations())).update(readFileSync(pgliteManifest));
  const path = join(tmpdir(), `tandem-test-pglite-${hash.digest('hex').slice(0, 16)}.tar`);
  if (existsSync(path)) return new Blob([readFileSync(path)]);
  const db = await openDb({ dataDir: 'memory://' });
  try {
    await migrate(db);
    const image = await db.dumpDataDir!();
    try {
      // Written aside and renamed: test files run side by side, and none may read half an image.
      const aside = `${path}.${process.pid}.tmp`;
      writeFileSync(aside, Buffer.from(await image.arrayBuffer()));
      renameSync(aside, path);
      // Images of earlier migration sets are of no more use.
      for (const f of readdirSync(tmpdir())) if (/^tandem-test-pglite-\w+\.tar$/.test(f) && join(tmpdir(), f) !== path) rmSync(join(tmpdir(), f), { force: true });
    } catch {
      // A full or read-only temporary folder only costs the next test file the same seconds again.
      rmSync(`${path}.${process.pid}.tmp`, { force: true });
    }
    return image;
  } finally {
    await db.close();
  }
}

export async function createServerDatabase(): Promise<string> {
  const name = `tandem_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function dropServerDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

export const adminKey = 'tdm_key_test_admin_0123456789abcdef';

export interface TestApp {
  engine: Engine;
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

export async function startApp(db: Db, options: { engine?: EngineOptions; server?: ServerOptions } = {}): Promise<TestApp> {
  const engine = await createEngine(db, { adminKey, ...options.engine });
  const app = await buildServer(engine, { rateLimitPerMinute: 1_000_000, ...options.server });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    engine,
    app,
    url: address,
    close: async () => {
      await app.close();
      await engine.close();
    },
  };
}

export interface Res<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * For the enclosing describe block: a fresh database on `driver`, the app on it and an admin
 * client, made before its tests and closed and dropped after them.
 */
export function appOnFreshDb(driver: DriverName): { t: TestDb; app: TestApp; admin: ReturnType<typeof client> } {
  const ctx = {} as { t: TestDb; app: TestApp; admin: ReturnType<typeof client> };
  before(async () => {
    ctx.t = await freshDb(driver);
    ctx.app = await startApp(ctx.t.db);
    ctx.admin = client(ctx.app.url, adminKey);
  });
  after(async () => {
    await ctx.app.close();
    await ctx.t.drop();
  });
  return ctx;
}

/** A JSON HTTP client bound to a base URL and a bearer token. */
export function client(base: string, token: string | null = adminKey) {
  const call = async <T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res<T>> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  };
  return {
    get: <T = any>(path: string, headers?: Record<string, string>) => call<T>('GET', path, undefined, headers),
    post: <T = any>(path: string, body?: unknown, headers?: Record<string, string>) => call<T>('POST', path, body ?? {}, headers),
    put: <T = any>(path: string, body?: unknown) => call<T>('PUT', path, body ?? {}),
    del: <T = any>(path: string) => call<T>('DELETE', path),
  };
}

let counter = 0;
/** A person with a role, member of the workflows, signed in; returns their session token. */
export async function person(db: Db, role: 'reviewer' | 'lead' | 'admin', workflows: string[], skills: string[] = []): Promise<{ token: string; id: string; email: string }> {
  const email = `${role}${++counter}-${randomBytes(3).toString('hex')}@test`;
  const password = 'correct horse battery';
  const { reviewer } = await addReviewer(db, { email, role, workflows, skills, password });
  const s = await signIn(db, email, password);
  return { token: s.token, id: reviewer.id, email };
}

/**
 * A reviewer added over HTTP (admin key) on the server at `base` and signed in there; returns the
 * session token. For servers in child processes, where the account must go through the API.
 */
export async function signedInReviewer(base: string, email: string, workflows: string[]): Promise<string> {
  const password = 'correct horse battery staple';
  const made = await client(base).post('/v1/reviewers', { email, password, workflows });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const session = await client(base, null).post<{ token: string }>('/v1/sessions', { email, password });
  assert.equal(session.status, 201, JSON.stringify(session.body));
  return session.body.token;
}

/**
 * Opens a Server-Sent Events stream with `token` and hands each event with data to `onEvent`
 * until `signal` aborts; resolves once the stream answered 200.
 */
export async function readEventStream(url: string, token: string, signal: AbortSignal, onEvent: (event: string, data: string) => void): Promise<void> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal });
  assert.equal(res.status, 200);
  void (async () => {
    let buffer = '';
    try {
      for await (const chunk of res.body!.pipeThrough(new TextDecoderStream())) {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) onEvent(event, data);
        }
      }
    } catch {
      // aborted
    }
  })();
}

/** Polls `check` until it returns a value other than undefined, or fails after `ms`. */
export async function eventually<T>(check: () => Promise<T | undefined>, ms = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const labelWorkflow = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  answerType: 'label',
  labels: ['billing', 'bug', 'fraud', 'other'],
  ...extra,
});

/** A port that was free a moment ago, for a child server process to listen on. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Words that mark each label of `labelWorkflow`, for synthetic messages a model can learn. */
export const topicWords: Record<string, string[]> = {
  billing: ['invoice', 'charged', 'refund', 'payment', 'bill', 'price', 'receipt'],
  bug: ['crash', 'error', 'broken', 'freezes', 'bug', 'exception', 'glitch'],
  fraud: ['stolen', 'unauthorized', 'scam', 'hacked', 'fraud', 'phishing', 'suspicious'],
  other: ['hello', 'thanks', 'question', 'opening', 'hours', 'address', 'weather'],
};
