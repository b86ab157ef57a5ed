/**
 * The order in which a transaction takes several row locks of one table: every transaction that
 * locks more than one row takes them in this order, so two of them cannot deadlock.
 */
export function lockOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
