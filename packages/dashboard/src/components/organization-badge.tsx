import type { Session } from '../api/types.js';

/**
 * The organization this dashboard is signed in to, by name (an id's first characters are a
 * timestamp, so two organizations made minutes apart would look alike); the uid and the id on hover.
 */
export function OrganizationBadge({ session }: { session: Session }) {
  const name = session.organization_name || session.organization_id;
  const details = [session.organization_uid !== null ? `uid ${session.organization_uid}` : null, `id ${session.organization_id}`]
    .filter((part) => part !== null)
    .join(' · ');
  return (
    <span className="account-org" title={details} data-testid="organization">
      <span className="account-org-name">{name}</span>
      {session.signed_in_with === 'portal_link' && <span className="visually-hidden">, signed in with a portal link</span>}
    </span>
  );
}
