/**
 * Fair admission to the publish path: why a burst from one organization does not hold back another's
 * publishes. Every publish of every organization ends in the same group commit on one event loop and
 * shares the machine with the dispatcher, so an organization publishing as fast as it can would fill
 * every commit and every turn of the loop, and a quiet organization's publish would wait behind it.
 *
 * - An organization publishing alone is never limited: one customer gets the whole machine.
 * - While another organization has published within the last `windowMs`, each organization may have
 *   at most `share` publishes in progress. Its further publishes wait, first come first served, and
 *   go in as its own finish. An organization under its share is admitted at once.
 *
 * The limit has to be in place before the quiet organization's next publish arrives, not only while
 * it is in progress: by then the burst's publishes would already fill the loop. So it holds for a
 * window after the other organization was last seen.
 *
 * A waiting publish has been parsed and authenticated but not validated or written, so the queue
 * costs memory, not work; the body limit and the clients' own concurrency bound it.
 */

interface Lane {
  active: number;
  waiting: Array<() => void>;
}

export interface FairAdmissionOptions {
  /** Publishes in progress per organization while several organizations publish. */
  share: number;
  /** How long after an organization was last seen it still counts as publishing. Default 1 s. */
  windowMs?: number;
  /** Monotonic milliseconds. */
  now?: () => number;
}

export class FairAdmission {
  private readonly lanes = new Map<string, Lane>();
  private readonly share: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  /** The organization seen last, and the last one seen before it that was a different one ('' for none). */
  private lastSeen = '';
  private lastSeenAt = Number.NEGATIVE_INFINITY;
  private otherSeen = '';
  private otherSeenAt = Number.NEGATIVE_INFINITY;

  constructor(options: FairAdmissionOptions) {
    if (!Number.isInteger(options.share) || options.share < 1) throw new RangeError('share must be a positive integer');
    this.share = options.share;
    this.windowMs = options.windowMs ?? 1000;
    this.now = options.now ?? (() => performance.now());
  }

  /** Resolves once `organizationId` may publish; pair every call with one `leave`. */
  enter(organizationId: string): Promise<void> | undefined {
    this.seen(organizationId);
    let lane = this.lanes.get(organizationId);
    if (lane === undefined) this.lanes.set(organizationId, (lane = { active: 0, waiting: [] }));
    if (lane.waiting.length === 0 && (lane.active < this.share || !this.contended(organizationId))) {
      lane.active += 1;
      return undefined;
    }
    const waiting = lane.waiting;
    return new Promise<void>((resolve) => waiting.push(resolve));
  }

  leave(organizationId: string): void {
    const lane = this.lanes.get(organizationId);
    if (lane === undefined) throw new Error(`leave without enter for organization ${organizationId}`);
    this.seen(organizationId);
    if (lane.waiting.length > 0 && !this.contended(organizationId)) {
      const waiting = lane.waiting.splice(0);
      lane.active += waiting.length - 1;
      for (const resolve of waiting) resolve();
      return;
    }
    const next = lane.waiting.shift();
    if (next !== undefined) return next();
    lane.active -= 1;
    if (lane.active === 0) this.lanes.delete(organizationId);
  }

  /** Publishes in progress and waiting, per organization. */
  snapshot(): Record<string, { active: number; waiting: number }> {
    return Object.fromEntries([...this.lanes].map(([org, lane]) => [org, { active: lane.active, waiting: lane.waiting.length }]));
  }

  private seen(organizationId: string): void {
    if (this.lastSeen !== organizationId) {
      this.otherSeen = this.lastSeen;
      this.otherSeenAt = this.lastSeenAt;
      this.lastSeen = organizationId;
    }
    this.lastSeenAt = this.now();
  }

  /** Whether an organization other than this one has publishes in progress or published within the window. */
  private contended(organizationId: string): boolean {
    if (this.lanes.size > 1) return true;
    const mine = this.lastSeen === organizationId;
    const other = mine ? this.otherSeen : this.lastSeen;
    const at = mine ? this.otherSeenAt : this.lastSeenAt;
    return other !== '' && this.now() - at < this.windowMs;
  }
}
