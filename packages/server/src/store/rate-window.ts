/**
 * The one-second window of the clock that `now` falls in, by its start: the unit of an endpoint's
 * `rate_limit`. Fixed windows, not a sliding one, so the count is one number on the endpoint row
 * that any dispatcher can check and add to; the price is that two windows' worth can start
 * around a window boundary (documented in docs/retries.md).
 */
export function rateWindow(now: number): number {
  return now - (((now % 1000) + 1000) % 1000);
}
