import type { ReactNode } from 'react';
import { OrganizationBadge } from './components/organization-badge.js';
import { Link } from './router.js';
import { useSession } from './session.js';

const NAV = [
  { to: '/webhooks', label: 'Webhooks' },
  { to: '/deliveries', label: 'Deliveries' },
  { to: '/event-types', label: 'Event types' },
] as const;

export function Layout({ path, children }: { path: string; children: ReactNode }) {
  const { session, signOut } = useSession();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <Link to="/webhooks" className="brand">
            <span className="brand-mark" aria-hidden="true">
              H
            </span>
            Herald
          </Link>
          <nav aria-label="Main" className="nav">
            {NAV.map((item) => {
              const active = path === item.to || path.startsWith(`${item.to}/`);
              return (
                <Link key={item.to} to={item.to} className="nav-link" {...(active ? { 'aria-current': 'page' as const } : {})}>
                  {item.label}
                </Link>
              );
            })}
          </nav>
          <div className="account">
            <OrganizationBadge session={session} />
            <button type="button" className="button button-small button-ghost" onClick={() => void signOut()}>
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main id="main" className="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
