import { useEffect, useRef, type ReactNode } from 'react';
import { Link, takeHeadingFocus } from '../router.js';

export function PageHeader({
  title,
  titleAside,
  lead,
  actions,
  back,
}: {
  title: ReactNode;
  /** Beside the heading, such as a copy button for a URL title. */
  titleAside?: ReactNode;
  lead?: ReactNode;
  actions?: ReactNode;
  back?: { to: string; label: string };
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  // After a move to another page, focus starts at its heading, where a screen reader expects it.
  useEffect(() => {
    if (takeHeadingFocus()) heading.current?.focus();
  }, []);
  return (
    <header className="page-header">
      {back !== undefined && (
        <Link to={back.to} className="back-link">
          <span aria-hidden="true">←</span> {back.label}
        </Link>
      )}
      <div className="page-header-row">
        <div className="page-header-text">
          <div className="page-title-row">
            <h1 ref={heading} tabIndex={-1}>
              {title}
            </h1>
            {titleAside}
          </div>
          {lead !== undefined && <p className="lead">{lead}</p>}
        </div>
        {actions !== undefined && <div className="page-header-actions">{actions}</div>}
      </div>
    </header>
  );
}
