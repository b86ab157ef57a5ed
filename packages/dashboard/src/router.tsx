import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from 'react';

/**
 * A few client routes need no router library: the History API, one `popstate` listener, and a table
 * of path patterns. The server answers every one of these paths with index.html (SPA fallback), and
 * any other path a browser opens with index.html and a 404, so the not-found page shows there too.
 */

/** What a page hands the next one without putting it in the address: a notice to show once there. */
export interface NavigationState {
  notice?: string;
  /** Cursors of the newer delivery pages, so "Newer" can step back through them. */
  newerCursors?: string[];
}

export interface Location {
  path: string;
  search: URLSearchParams;
  state: NavigationState;
}

const NAVIGATED = 'herald:navigated';

function current(): Location {
  const state: unknown = window.history.state;
  return {
    path: window.location.pathname,
    search: new URLSearchParams(window.location.search),
    state: typeof state === 'object' && state !== null ? (state as NavigationState) : {},
  };
}

/** `keepScroll`: the change is within the page (another page of a log), so the reader stays where they are. */
export function navigate(to: string, options: { replace?: boolean; state?: NavigationState; keepScroll?: boolean } = {}): void {
  const state = options.state ?? null;
  if (options.replace) window.history.replaceState(state, '', to);
  else window.history.pushState(state, '', to);
  window.dispatchEvent(new Event(NAVIGATED));
  if (!options.replace && !options.keepScroll) window.scrollTo(0, 0);
}

/**
 * The path shown last, so a change of page (not of filters in the query) is noticed once; the page
 * heading then takes the focus (`takeHeadingFocus`). The first page loaded keeps focus where the
 * browser puts it, at the top, before the skip link.
 */
let shownPath = window.location.pathname;
let headingFocusWanted = false;

function noticePathChange(): void {
  if (window.location.pathname === shownPath) return;
  shownPath = window.location.pathname;
  headingFocusWanted = true;
}

/** True once after a change of page: the first page heading to appear should take the focus. */
export function takeHeadingFocus(): boolean {
  const wanted = headingFocusWanted;
  headingFocusWanted = false;
  return wanted;
}

export function useLocation(): Location {
  const [location, setLocation] = useState(current);
  useEffect(() => {
    const update = () => {
      noticePathChange();
      setLocation(current());
    };
    window.addEventListener('popstate', update);
    window.addEventListener(NAVIGATED, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(NAVIGATED, update);
    };
  }, []);
  return location;
}

/**
 * Matches `/webhooks/:id` style patterns; returns the named segments, or null. A segment that is not
 * valid percent-encoding matches nothing, so such an address gets the not-found page.
 */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/').filter(Boolean);
  const got = path.split('/').filter(Boolean);
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const segment = want[i]!;
    if (segment.startsWith(':')) {
      const value = decodeSegment(got[i]!);
      if (value === null) return null;
      params[segment.slice(1)] = value;
    } else if (segment !== got[i]) return null;
  }
  return params;
}

function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

interface LinkProps extends AnchorHTMLAttributes<HTMLAnchorElement> {
  to: string;
  children: ReactNode;
}

/** An ordinary link (opens in a new tab with a modifier key) that navigates in place otherwise. */
export function Link({ to, children, onClick, ...rest }: LinkProps) {
  const handle = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={handle} {...rest}>
      {children}
    </a>
  );
}
