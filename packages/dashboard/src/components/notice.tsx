import { useState, type ReactNode } from 'react';
import type { ApiError } from '../api/client.js';

type Tone = 'info' | 'success' | 'warning' | 'error';

/** A message in the flow of the page; errors are announced at once, the rest politely. */
export function Notice({ tone = 'info', title, children }: { tone?: Tone; title?: string; children?: ReactNode }) {
  return (
    <div className={`notice notice-${tone}`} role={tone === 'error' ? 'alert' : 'status'}>
      {title !== undefined && <strong className="notice-title">{title}</strong>}
      {children !== undefined && <div>{children}</div>}
    </div>
  );
}

/** An error in words (see api/error-text.ts); with `onRetry`, a Retry button that loads again. */
export function ErrorNotice({ error, title = 'Something went wrong', onRetry }: { error: ApiError; title?: string; onRetry?: () => Promise<void> }) {
  const [retrying, setRetrying] = useState(false);
  const retry = async () => {
    setRetrying(true);
    try {
      await onRetry?.();
    } finally {
      setRetrying(false);
    }
  };
  return (
    <Notice tone="error" title={title}>
      <p>{error.message}</p>
      {onRetry !== undefined && (
        <button type="button" className="button button-small" onClick={() => void retry()} disabled={retrying}>
          {retrying ? 'Retrying…' : 'Retry'}
        </button>
      )}
    </Notice>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status">
      Loading {what}…
    </p>
  );
}
