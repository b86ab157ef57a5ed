import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from './api/client.js';

export interface Resource<T> {
  /** Undefined until the first answer for the current key. */
  data: T | undefined;
  error: ApiError | undefined;
  /** Loads again; the current data stays on screen until the answer arrives. */
  reload: () => Promise<void>;
}

/**
 * Loads `load()` whenever `key` changes (null: load nothing), and every `pollMs` while the tab is
 * visible when given. An answer that arrives after the key changed is dropped, so a slow page never
 * overwrites a newer one.
 */
export function useResource<T>(key: string | null, load: () => Promise<T>, options: { pollMs?: number } = {}): Resource<T> {
  const [state, setState] = useState<{ key: string | null; data?: T; error?: ApiError }>({ key });
  const loadRef = useRef(load);
  loadRef.current = load;
  const keyRef = useRef(key);
  keyRef.current = key;

  const reload = useCallback(async () => {
    const forKey = keyRef.current;
    if (forKey === null) return;
    try {
      const data = await loadRef.current();
      if (keyRef.current === forKey) setState({ key: forKey, data });
    } catch (cause) {
      const error = cause instanceof ApiError ? cause : new ApiError(0, 'client_error', String(cause));
      // A failed refresh keeps the last good data next to the error.
      if (keyRef.current === forKey) setState((s) => ({ key: forKey, ...(s.key === forKey ? { data: s.data } : {}), error }));
    }
  }, []);

  useEffect(() => {
    if (key === null) return;
    setState((s) => (s.key === key ? s : { key }));
    void reload();
  }, [key, reload]);

  const { pollMs } = options;
  useEffect(() => {
    if (key === null || pollMs === undefined) return;
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') void reload();
    }, pollMs);
    return () => window.clearInterval(timer);
  }, [key, pollMs, reload]);

  const fresh = state.key === key;
  return { data: fresh ? state.data : undefined, error: fresh ? state.error : undefined, reload };
}
