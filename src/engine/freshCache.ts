// Values read from the database on a hot path (a workflow, a token's principal), kept for
// `maxAgeMs` so that a request does not pay a query each. Two things a plain expiry got wrong
// under load: when an entry expired, every request that came before the new value was back made
// its own query (35 workflow look-ups a second in bench scale, for one workflow), and each of them
// waited for the database, once a second, in the submit tail. So past `maxAgeMs / 2` a request
// still gets the kept value at once while one look-up renews it behind it; only past `maxAgeMs`
// (a key nobody used for that long) do requests wait, and then for one shared look-up. A value is
// never served older than `maxAgeMs`, so a change made by another process is seen within it.
// Each value is renewed at its own point between half and nine tenths of its age: keys cached
// together (64 reviewers' sessions, signed in at the start of a shift) would otherwise be renewed
// together, 15–20 look-ups at the same moment every 2.5 s, and such a burst sat next to the
// slowest submits of bench scale (bench/README.md).
export interface FreshCache<V> {
  /**
   * The kept value, or the one `load` gives; `load` runs once at a time per key, and is handed
   * the value kept so far (if any, however old) so that it can reuse what has not changed.
   */
  get(key: string, load: (kept: V | undefined) => Promise<V>): Promise<V>;
  forget(key: string): void;
}

interface Entry<V> {
  at: number;
  value: V;
  /** Age past which a request starts a renewal. */
  renewAfter: number;
}

/** Where in its age a value is renewed, as a share of it: spread over [0.5, 0.9). */
export const spreadRenewal = (): number => 0.5 + 0.4 * Math.random();

export function createFreshCache<V>(
  maxAgeMs: number,
  options: { maxEntries?: number; now?: () => number; renewShare?: () => number } = {},
): FreshCache<V> {
  const now = options.now ?? Date.now;
  const renewShare = options.renewShare ?? spreadRenewal;
  const maxEntries = options.maxEntries ?? 10_000;
  const entries = new Map<string, Entry<V>>();
  // A look-up writes its value only while it is still the key's current one: one that started
  // before a forget does not put back what was dropped.
  const loading = new Map<string, Promise<V>>();

  const load = (key: string, read: (kept: V | undefined) => Promise<V>): Promise<V> => {
    const pending = loading.get(key);
    if (pending) return pending;
    // Aged from when the look-up began: the value may be that old by the time it comes back.
    const began = now();
    const p: Promise<V> = read(entries.get(key)?.value).then(
      (value) => {
        if (loading.get(key) === p) {
          if (entries.size >= maxEntries && !entries.has(key)) entries.clear();
          entries.set(key, { at: began, value, renewAfter: maxAgeMs * renewShare() });
        }
        return value;
      },
      (err: unknown) => {
        // A key revoked or a workflow deleted fails its look-up: nothing old is served after that.
        if (loading.get(key) === p) entries.delete(key);
        throw err;
      },
    );
    const done = () => {
      if (loading.get(key) === p) loading.delete(key);
    };
    p.then(done, done);
    loading.set(key, p);
    return p;
  };

  return {
    get(key, read) {
      const hit = entries.get(key);
      const age = hit ? now() - hit.at : Infinity;
      if (hit && age < maxAgeMs) {
        // The request does not wait for the renewal, and its failure is the next request's to see.
        if (age >= hit.renewAfter) load(key, read).catch(() => undefined);
        return Promise.resolve(hit.value);
      }
      return load(key, read);
    },
    forget(key) {
      entries.delete(key);
      loading.delete(key);
    },
  };
}
