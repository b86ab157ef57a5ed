import type { TestContext } from 'node:test';

/**
 * Skips the test, with its reason in the report, when `available` is false — except under `CI=true`,
 * where a missing requirement fails the test instead, so CI cannot go green by skipping.
 */
export function requireOrSkip(t: TestContext, available: boolean, reason: string): boolean {
  if (available) return true;
  if (process.env.CI === 'true') throw new Error(`required under CI=true: ${reason}`);
  t.skip(reason);
  return false;
}
