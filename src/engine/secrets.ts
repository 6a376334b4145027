// Passwords are hashed with scrypt (salted, slow); tokens and API keys are long random strings,
// so a fast SHA-256 of them is enough to make a stolen table useless.
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number }) => Promise<Buffer>;
const params = { N: 16384, r: 8, p: 1 };

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, 32, params);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A new secret with a readable prefix (`tdm_key_…`, `tdm_sess_…`), and the hash to store. */
export function newToken(prefix: 'key' | 'sess' | 'conv'): { token: string; hash: string; display: string } {
  const token = `tdm_${prefix}_${randomBytes(24).toString('base64url')}`;
  return { token, hash: hashToken(token), display: token.slice(0, 16) };
}

export function newPassword(): string {
  return randomBytes(12).toString('base64url');
}

/** Compares two hex hashes of secrets in constant time. */
export function sameHash(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
