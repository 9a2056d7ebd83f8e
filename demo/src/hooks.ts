import { useEffect, useState } from 'react';

/** The current time, re-rendered every 100 ms while `ticking` (a countdown in tenths). */
export function useNow(ticking: boolean): number {
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!ticking) return;
    const timer = setInterval(() => setTick((tick) => tick + 1), 100);
    return () => clearInterval(timer);
  }, [ticking]);
  // Read at every render: the first frame of a countdown is right, not a stale tick's time.
  return Date.now();
}

export function usePageHidden(): boolean {
  const [hidden, setHidden] = useState(document.visibilityState === 'hidden');
  useEffect(() => {
    const update = () => setHidden(document.visibilityState === 'hidden');
    document.addEventListener('visibilitychange', update);
    return () => document.removeEventListener('visibilitychange', update);
  }, []);
  return hidden;
}

/** What `url` answers with as JSON, once; null until then. */
export function useJson<T>(url: string, fallback: T): T | null {
  const [value, setValue] = useState<T | null>(null);
  useEffect(() => {
    void fetch(url)
      .then((response) => response.json() as Promise<T>)
      .then(setValue)
      .catch(() => setValue(fallback));
  }, [url]);
  return value;
}
