import type { ReactNode } from 'react';
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

export function ErrorNotice({ error, title = 'Something went wrong' }: { error: ApiError; title?: string }) {
  return (
    <Notice tone="error" title={title}>
      {error.message}
      {error.code !== 'network_error' && <span className="muted"> ({error.code})</span>}
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
