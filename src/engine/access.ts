// Turns a bearer token into a principal: the TANDEM_ADMIN_KEY, a person's session, or an API key.
// Look-ups are cached for a few seconds (engine/freshCache.ts): a hot path (submits; a reviewer's
// claim → answer loop) must not pay a query per request. A revoked key, or a session signed out on another process,
// stops working within `cacheMs`; a sign-out on this process at once (`forget`). A reviewer's
// role, skills and memberships are set when they are added and never change afterwards.
import type { Queryable } from '../store/db.ts';
import { getApiKeyByHash, insertApiKey, type ApiKeyRow } from '../store/apiKeys.ts';
import { getReviewerByEmail, getSessionReviewer, insertSession, deleteSession, insertReviewer, countReviewers, type Role, type ReviewerRow } from '../store/people.ts';
import { hashPassword, hashToken, newPassword, newToken, sameHash, verifyPassword } from './secrets.ts';
import { invalid, unauthorized } from './errors.ts';
import { createFreshCache } from './freshCache.ts';
import type { Principal } from './principals.ts';

export interface Authenticator {
  authenticate(db: Queryable, token: string): Promise<Principal>;
  /** Drops the token from the cache (after a sign-out). */
  forget(token: string): void;
}

export function createAuthenticator(options: { adminKey?: string | undefined; cacheMs?: number }): Authenticator {
  const cache = createFreshCache<Principal>(options.cacheMs ?? 5000);
  // Hashed once: every request's token is hashed anyway, and comparing hashes is constant-time.
  const adminKeyHash = options.adminKey ? hashToken(options.adminKey) : null;
  const lookUp = async (db: Queryable, token: string, hash: string): Promise<Principal> => {
    if (token.startsWith('tdm_sess_')) {
      const reviewer = await getSessionReviewer(db, hash);
      if (!reviewer) throw unauthorized('the session has expired or was signed out; sign in again');
      return { kind: 'person', reviewer };
    }
    const key = await getApiKeyByHash(db, hash);
    if (!key) throw unauthorized('unknown or revoked API key');
    return { kind: 'key', id: key.id, name: key.name, role: key.role, workflows: key.workflows };
  };
  return {
    async authenticate(db, token) {
      const hash = hashToken(token);
      if (adminKeyHash !== null && sameHash(hash, adminKeyHash)) {
        return { kind: 'key', id: 'env', name: 'TANDEM_ADMIN_KEY', role: 'admin', workflows: null };
      }
      return cache.get(hash, () => lookUp(db, token, hash));
    },
    forget(token) {
      cache.forget(hashToken(token));
    },
  };
}

export const sessionTtlSeconds = 12 * 3600;

export async function signIn(db: Queryable, email: string, password: string): Promise<{ token: string; expiresAt: Date; reviewer: ReviewerRow }> {
  const reviewer = await getReviewerByEmail(db, email);
  // The same answer for an unknown account and a wrong password: no account probing.
  if (!reviewer || !(await verifyPassword(password, reviewer.password_hash))) throw unauthorized('wrong email or password');
  const { token, hash } = newToken('sess');
  const expiresAt = await insertSession(db, hash, reviewer.id, sessionTtlSeconds);
  return { token, expiresAt, reviewer };
}

export async function signOut(db: Queryable, token: string): Promise<void> {
  await deleteSession(db, hashToken(token));
}

export async function addReviewer(
  db: Queryable,
  r: { email: string; name?: string; role: Role; skills?: string[]; workflows?: string[]; password?: string },
): Promise<{ reviewer: ReviewerRow; password: string }> {
  const password = r.password ?? newPassword();
  const reviewer = await insertReviewer(db, {
    email: r.email,
    name: r.name ?? r.email,
    role: r.role,
    skills: r.skills ?? [],
    workflows: r.workflows ?? [],
    passwordHash: await hashPassword(password),
  });
  if (!reviewer) throw invalid(`a reviewer with email "${r.email}" exists already`, [{ path: 'email', message: 'is taken' }]);
  return { reviewer, password };
}

export async function createApiKey(
  db: Queryable,
  k: { name: string; role: ApiKeyRow['role']; workflows: string[] | null },
): Promise<{ key: ApiKeyRow; token: string }> {
  const { token, hash, display } = newToken('key');
  const key = await insertApiKey(db, { name: k.name, keyHash: hash, prefix: display, role: k.role, workflows: k.workflows });
  return { key, token };
}

/** On an empty database, the first admin; returns its one-time password, or null if people exist. */
export async function bootstrapAdmin(db: Queryable): Promise<{ email: string; password: string } | null> {
  if ((await countReviewers(db)) > 0) return null;
  const password = newPassword();
  const inserted = await insertReviewer(db, {
    email: 'admin', name: 'Administrator', role: 'admin', skills: [], workflows: [], passwordHash: await hashPassword(password),
  });
  // Another process starting at the same moment may have made it first: then it printed the password.
  return inserted ? { email: 'admin', password } : null;
}
