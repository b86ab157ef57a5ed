/**
 * Prometheus counters and histograms, rendered as text for `GET /metrics`. Hand-rolled because the
 * handful of series Herald exposes do not justify a dependency.
 */

type Labels = Record<string, string>;

function labelKey(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

export type CounterSnapshot = Array<[string, number]>;
export interface HistogramSnapshot {
  counts: number[];
  sum: number;
  count: number;
}

export class Counter {
  private readonly values = new Map<string, number>();
  constructor(readonly name: string, readonly help: string) {}

  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }

  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }

  snapshot(): CounterSnapshot {
    return [...this.values];
  }

  /** Takes another copy's values as its own: the dispatcher thread's series, shown by the API thread. */
  restore(snapshot: CounterSnapshot): void {
    this.values.clear();
    for (const [key, value] of snapshot) this.values.set(key, value);
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    if (this.values.size === 0) lines.push(`${this.name} 0`);
    for (const [key, value] of this.values) lines.push(`${this.name}${key} ${value}`);
    return lines.join('\n');
  }
}

export class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;
  constructor(readonly name: string, readonly help: string, readonly buckets: readonly number[]) {
    this.counts = buckets.map(() => 0);
  }

  snapshot(): HistogramSnapshot {
    return { counts: [...this.counts], sum: this.sum, count: this.count };
  }

  restore(snapshot: HistogramSnapshot): void {
    snapshot.counts.forEach((n, i) => (this.counts[i] = n));
    this.sum = snapshot.sum;
    this.count = snapshot.count;
  }

  observe(value: number): void {
    this.sum += value;
    this.count += 1;
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) this.counts[i]! += 1;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    this.buckets.forEach((le, i) => lines.push(`${this.name}_bucket{le="${le}"} ${this.counts[i]}`));
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.count}`);
    lines.push(`${this.name}_sum ${this.sum}`, `${this.name}_count ${this.count}`);
    return lines.join('\n');
  }
}

export interface Metrics {
  eventsAccepted: Counter;
  /** Label `outcome`: `succeeded` | `failed`, and `error_kind` for failures. */
  attempts: Counter;
  /** Seconds from an event's creation to its successful delivery. */
  deliveryLatency: Histogram;
}

export function createMetrics(): Metrics {
  return {
    eventsAccepted: new Counter('herald_events_accepted_total', 'Events accepted by the publish API.'),
    attempts: new Counter('herald_delivery_attempts_total', 'Delivery attempts by outcome.'),
    deliveryLatency: new Histogram(
      'herald_delivery_latency_seconds',
      'Time from an event being accepted to its successful delivery.',
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    ),
  };
}

/** Renders every series plus the queue depth gauge, read at scrape time. */
export function renderMetrics(metrics: Metrics, queueDepth: number): string {
  return [
    metrics.eventsAccepted.render(),
    metrics.attempts.render(),
    metrics.deliveryLatency.render(),
    '# HELP herald_queue_depth Deliveries pending (due now or later).',
    '# TYPE herald_queue_depth gauge',
    `herald_queue_depth ${queueDepth}`,
    '',
  ].join('\n');
}
