// How a panel reads what it shows: a reply for a path it no longer shows is dropped, and the data
// is cleared when the path changes (unless `keepWhileLoading`), so that one workflow's figures
// never show under another's name. `everyMs` re-reads the path for as long as it is shown.
import { useEffect, useState } from 'react';
import { get, message } from './api.ts';

export interface Loaded<T> {
  data: T | null;
  error: string | null;
}

export function useGet<T>(path: string | null, options: { everyMs?: number; keepWhileLoading?: boolean } = {}): Loaded<T> {
  const { everyMs, keepWhileLoading = false } = options;
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!keepWhileLoading) setData(null);
    if (path === null) return;
    let stale = false;
    const load = () =>
      get<T>(path)
        .then((d) => !stale && (setData(d), setError(null)))
        .catch((e) => !stale && setError(message(e)));
    void load();
    const t = everyMs === undefined ? undefined : setInterval(() => void load(), everyMs);
    return () => {
      stale = true;
      clearInterval(t);
    };
  }, [path, everyMs, keepWhileLoading]);
  return { data, error };
}
