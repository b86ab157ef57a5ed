import { useState, type FormEvent } from 'react';
import { api, ApiError } from '../api/client.js';
import type { Session } from '../api/types.js';
import { Notice } from '../components/notice.js';
import { useTitle } from '../use-title.js';

export function SignInPage({ onSignedIn, notice }: { onSignedIn: (session: Session) => void; notice?: string }) {
  useTitle('Sign in');
  const [apiKey, setApiKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const key = apiKey.trim();
    if (key === '') {
      setError('Enter your API key.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await api.signIn(key));
    } catch (cause) {
      setError(
        cause instanceof ApiError && cause.status === 401
          ? 'That API key is not valid. Check that you copied all of it, including the hk_ prefix.'
          : cause instanceof Error
            ? cause.message
            : String(cause),
      );
      setBusy(false);
    }
  };

  return (
    <main id="main" className="sign-in">
      <div className="sign-in-card">
        <p className="brand brand-large">
          <span className="brand-mark" aria-hidden="true">
            H
          </span>
          Herald
        </p>
        <h1>Sign in to your webhooks</h1>
        {notice !== undefined && <Notice tone="info">{notice}</Notice>}
        <form onSubmit={submit} noValidate>
          <div className="field">
            <label htmlFor="api-key">API key</label>
            <input
              id="api-key"
              name="api-key"
              type="password"
              autoComplete="current-password"
              spellCheck={false}
              placeholder="hk_…"
              value={apiKey}
              onChange={(e) => setApiKey(e.target.value)}
              aria-invalid={error !== null}
              aria-describedby={error !== null ? 'api-key-hint api-key-error' : 'api-key-hint'}
              autoFocus
            />
            <p id="api-key-hint" className="hint">
              <code>herald serve</code> prints the first key on its first start; <code>herald keys create --org &lt;id&gt;</code> makes
              another. Signing in trades the key for a session cookie that scripts cannot read; the key itself is not kept.
            </p>
            {error !== null && (
              <p id="api-key-error" className="field-error" role="alert">
                {error}
              </p>
            )}
          </div>
          <button type="submit" className="button button-primary button-block" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        <p className="hint sign-in-footnote">Got here from your platform? Open the dashboard link it gave you again; those links expire after a while.</p>
      </div>
    </main>
  );
}
