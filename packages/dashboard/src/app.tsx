import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { api, ApiError, rememberSession, whenSessionLost } from './api/client.js';
import type { Session } from './api/types.js';
import { Layout } from './layout.js';
import { DeliveriesPage } from './pages/deliveries-page.js';
import { DeliveryPage } from './pages/delivery-page.js';
import { EventTypesPage } from './pages/event-types-page.js';
import { NotFoundPage } from './pages/not-found-page.js';
import { SignInPage } from './pages/sign-in-page.js';
import { WebhookFormPage } from './pages/webhook-form-page.js';
import { WebhookPage } from './pages/webhook-page.js';
import { WebhooksPage } from './pages/webhooks-page.js';
import { match, navigate, useLocation, type Location } from './router.js';
import { SessionContext } from './session.js';

type Auth =
  | { state: 'checking' }
  | { state: 'signed-out'; notice?: string }
  | { state: 'signed-in'; session: Session };

export function App() {
  const location = useLocation();
  const [auth, setAuth] = useState<Auth>({ state: 'checking' });

  useEffect(() => {
    whenSessionLost(() => {
      rememberSession(null);
      setAuth({ state: 'signed-out', notice: 'Your session has ended. Sign in again to continue.' });
    });
    api.get<Session>('/v1/session').then(
      (session) => {
        rememberSession(session);
        setAuth({ state: 'signed-in', session });
      },
      (error: unknown) => {
        setAuth(
          error instanceof ApiError && error.status === 401
            ? { state: 'signed-out' }
            : { state: 'signed-out', notice: error instanceof Error ? error.message : String(error) },
        );
      },
    );
  }, []);

  const signedIn = useCallback((session: Session) => {
    rememberSession(session);
    setAuth({ state: 'signed-in', session });
    const next = new URLSearchParams(window.location.search).get('next');
    navigate(next !== null && next.startsWith('/') && !next.startsWith('//') ? next : '/webhooks', { replace: true });
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api.delete('/v1/session');
    } finally {
      rememberSession(null);
      setAuth({ state: 'signed-out', notice: 'You have signed out.' });
      navigate('/sign-in', { replace: true });
    }
  }, []);

  if (auth.state === 'checking') {
    return (
      <p className="loading boot" role="status">
        Loading Herald…
      </p>
    );
  }
  if (auth.state === 'signed-out') {
    return (
      <>
        {location.path !== '/sign-in' && <Redirect to={signInPath(location)} />}
        <SignInPage onSignedIn={signedIn} {...(auth.notice !== undefined ? { notice: auth.notice } : {})} />
      </>
    );
  }
  if (location.path === '/sign-in' || location.path === '/') return <Redirect to="/webhooks" />;
  return (
    <SessionContext.Provider value={{ session: auth.session, signOut }}>
      <Layout path={location.path}>{route(location.path)}</Layout>
    </SessionContext.Provider>
  );
}

/** Remembers where the visitor was going, so signing in lands there. */
function signInPath(location: Location): string {
  if (location.path === '/') return '/sign-in';
  const search = location.search.toString();
  return `/sign-in?next=${encodeURIComponent(location.path + (search === '' ? '' : `?${search}`))}`;
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

function route(path: string): ReactNode {
  let params: Record<string, string> | null;
  if (match('/webhooks', path)) return <WebhooksPage />;
  if (match('/webhooks/new', path)) return <WebhookFormPage key="new" />;
  if ((params = match('/webhooks/:id/edit', path))) return <WebhookFormPage key={params.id} endpointId={params.id!} />;
  if ((params = match('/webhooks/:id', path))) return <WebhookPage key={params.id} endpointId={params.id!} />;
  if (match('/deliveries', path)) return <DeliveriesPage />;
  if ((params = match('/deliveries/:id', path))) return <DeliveryPage key={params.id} deliveryId={params.id!} />;
  if (match('/event-types', path)) return <EventTypesPage />;
  return <NotFoundPage />;
}
