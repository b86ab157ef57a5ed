import { useEffect, useState } from 'react';
import { api, ApiError } from './api/client.js';

export type UrlCheck =
  | { state: 'idle' }
  | { state: 'checking' }
  | { state: 'valid' }
  | { state: 'invalid'; message: string };

const DEBOUNCE_MS = 350;

/**
 * Asks the server, as the visitor types, whether it would accept `url` — the same rules as saving, so
 * the reason shown is the server's own. `unchanged` (the saved URL) is not checked again.
 */
export function useUrlCheck(url: string, unchanged?: string): UrlCheck {
  const [check, setCheck] = useState<UrlCheck>({ state: 'idle' });
  useEffect(() => {
    const value = url.trim();
    if (value === '' || value === unchanged) {
      setCheck({ state: 'idle' });
      return;
    }
    let current = true;
    setCheck({ state: 'checking' });
    const timer = window.setTimeout(() => {
      api.post<{ valid: true }>('/v1/endpoints/validate', { url: value }).then(
        () => current && setCheck({ state: 'valid' }),
        (error: unknown) => {
          if (!current) return;
          // Only a verdict on the URL is shown; a network hiccup is not the visitor's mistake.
          if (error instanceof ApiError && error.field === 'url') setCheck({ state: 'invalid', message: error.message });
          else setCheck({ state: 'idle' });
        },
      );
    }, DEBOUNCE_MS);
    return () => {
      current = false;
      window.clearTimeout(timer);
    };
  }, [url, unchanged]);
  return check;
}
