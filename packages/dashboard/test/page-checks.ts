import type { Page } from 'playwright-core';

/**
 * Checks of a rendered page that Playwright has no single call for. Each returns what is wrong, so an
 * assertion on it prints the offenders.
 */

/**
 * What reaches past the right edge: the page itself (a sideways scrollbar), or a table that
 * scrolls inside its frame and so hides its last columns.
 */
export function horizontalOverflow(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    const root = document.documentElement;
    if (root.scrollWidth > root.clientWidth) found.push(`the page is ${root.scrollWidth} px wide in a ${root.clientWidth} px window`);
    for (const wrap of document.querySelectorAll<HTMLElement>('.table-wrap')) {
      if (wrap.scrollWidth > wrap.clientWidth) {
        const name = wrap.querySelector('table')?.getAttribute('aria-label') ?? 'a table';
        found.push(`${name} is ${wrap.scrollWidth} px wide in a ${wrap.clientWidth} px frame`);
      }
    }
    return found;
  });
}

const LANDMARK = /^\s*- (banner|complementary|contentinfo|form|main|navigation|region|search)(?: "((?:[^"\\]|\\.)*)")?/;

/** Landmarks that share a role and a name (axe's `landmark-unique`), as "role name" once each. */
export async function duplicateLandmarks(page: Page): Promise<string[]> {
  const seen = new Map<string, number>();
  for (const line of (await page.locator('body').ariaSnapshot()).split('\n')) {
    const match = LANDMARK.exec(line);
    if (match === null) continue;
    const key = `${match[1]} "${match[2] ?? ''}"`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen].filter(([, count]) => count > 1).map(([key]) => key);
}

/** The accessible names of the buttons whose name starts with "Copy". */
export async function copyButtonNames(page: Page): Promise<string[]> {
  const names: string[] = [];
  for (const line of (await page.locator('main').ariaSnapshot()).split('\n')) {
    const match = /^\s*- button "(Copy[^"]*)"/.exec(line);
    if (match !== null) names.push(match[1]!);
  }
  return names;
}
