import { randomUUID } from 'node:crypto';
import pg from 'pg';

/** The channel every Herald process on a database uses; the payload says which schema and which process. */
export const DUE_CHANNEL = 'herald_deliveries_due';

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;

type Listener = () => void;

/**
 * "Deliveries may be due" across processes, through LISTEN/NOTIFY.
 *
 * Writers call `pg_notify(DUE_CHANNEL, payload)` inside the transaction that made deliveries due, so
 * the wake-up is sent exactly when the rows become visible, and only if they commit. The process
 * that wrote also wakes its own listeners at once (`emitLocal`), and ignores the echo of its own
 * notification, so a listener hears one call per change from its own process, in step with the
 * write. Other schemas on the same database (tests, several installations) are ignored too.
 *
 * The LISTEN connection is dedicated, opened only when someone subscribes (API-only processes never
 * do), and reopened with backoff when it drops. Notifications sent while it was down are lost, so
 * after reconnecting it wakes every listener once; the dispatcher's slow poll covers the rest.
 */
export class DueNotifier {
  private readonly listeners = new Set<Listener>();
  private readonly source = randomUUID();
  private client: pg.Client | null = null;
  private connecting = false;
  private reconnectDelay = RECONNECT_MIN_MS;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly schema: string,
  ) {}

  /** The `pg_notify` payload for writes made by this process. */
  get payload(): string {
    return `${this.schema} ${this.source}`;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    if (this.client === null && !this.connecting && this.reconnectTimer === null) void this.connect(false);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emitLocal(): void {
    for (const listener of [...this.listeners]) listener();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(isReconnect: boolean): Promise<void> {
    this.connecting = true;
    // Named so an operator (or a test) can tell the LISTEN connection apart in pg_stat_activity.
    const client = new pg.Client({ ...this.config, keepAlive: true, application_name: `herald listen ${this.schema}` });
    let dropped = false;
    const drop = (): void => {
      if (dropped) return;
      dropped = true;
      if (this.client === client) this.client = null;
      void client.end().catch(() => undefined);
      this.scheduleReconnect();
    };
    client.on('error', drop);
    client.on('end', drop);
    client.on('notification', (message) => {
      if (message.channel !== DUE_CHANNEL || message.payload === undefined) return;
      const [schema, source] = message.payload.split(' ');
      if (schema === this.schema && source !== this.source) this.emitLocal();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${DUE_CHANNEL}`);
    } catch {
      this.connecting = false;
      drop();
      return;
    }
    this.connecting = false;
    if (this.closed || dropped) {
      if (!dropped) await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.reconnectDelay = RECONNECT_MIN_MS;
    if (isReconnect) this.emitLocal();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer !== null) return;
    const delay = this.reconnectDelay;
    this.reconnectDelay = Math.min(this.reconnectDelay * 2, RECONNECT_MAX_MS);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.closed) void this.connect(true);
    }, delay);
    this.reconnectTimer.unref();
  }
}
