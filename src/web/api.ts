// The app's only way to the server: JSON over fetch with the session token, problem documents
// turned into ApiError with the server's own words.
const tokenKey = 'tandem.session';

export interface Me {
  id: string;
  email: string;
  name: string;
  role: 'reviewer' | 'lead' | 'admin';
  skills: string[];
  workflows: string[];
}

export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly errors: Array<{ path: string; message: string }> = []) {
    super(message);
  }
}

export function token(): string | null {
  return sessionStorage.getItem(tokenKey);
}

export function setToken(t: string | null): void {
  if (t === null) sessionStorage.removeItem(tokenKey);
  else sessionStorage.setItem(tokenKey, t);
}

let onSignedOut: () => void = () => {};
export function whenSignedOut(fn: () => void): void {
  onSignedOut = fn;
}

export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const t = token();
  const res = await fetch(path, {
    method,
    headers: { ...(t ? { authorization: `Bearer ${t}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return null as T;
  const text = await res.text();
  const parsed: unknown = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const p = (parsed ?? {}) as { detail?: string; title?: string; errors?: Array<{ path: string; message: string }> };
    if (res.status === 401 && path !== '/v1/sessions') {
      setToken(null);
      onSignedOut();
    }
    throw new ApiError(res.status, p.detail ?? p.title ?? `HTTP ${res.status}`, p.errors ?? []);
  }
  return parsed as T;
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => api<T>('POST', path, body);
export const put = <T>(path: string, body: unknown) => api<T>('PUT', path, body);

export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
