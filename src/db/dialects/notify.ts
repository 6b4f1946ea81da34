import pg from 'pg';

/** The PostgreSQL channel that carries task and fault signals between processes. */
export const notifyChannel = 'stratus_tasks';

const FAULTS_PREFIX = 'faults:';

/** What one notification says: `host` has work, or the injected faults of a host (null: every host) changed. */
export type TaskSignal = string & { readonly __signal: unique symbol };
export const hostHasWork = (host: string): TaskSignal => host as TaskSignal;
export const faultsChangedOn = (host: string | null): TaskSignal => (FAULTS_PREFIX + (host ?? '*')) as TaskSignal;

export interface TaskEvents {
  /** A task for `host` is waiting. */
  onHost(host: string): void;
  /** The faults of `host` changed (null: any host). */
  onFaults(host: string | null): void;
}

/** The PostgreSQL channel each process notifies after its commits (server changes may be new), empty payload. */
export const changesChannel = 'stratus_changes';

/**
 * Listens for task notifications on a dedicated connection; reconnects after failures.
 * Polling stays as the fallback, so a lost notification only costs latency.
 */
export class TaskListener {
  private channel: ChannelListener;
  constructor(url: string, events: TaskEvents, log: (msg: string) => void) {
    this.channel = new ChannelListener(
      url,
      notifyChannel,
      (p) => {
        if (!p) return;
        if (p.startsWith(FAULTS_PREFIX)) {
          const h = p.slice(FAULTS_PREFIX.length);
          events.onFaults(h === '*' ? null : h);
        } else events.onHost(p);
      },
      (msg) => log(`task listener: ${msg}`),
    );
  }
  start(): Promise<void> {
    return this.channel.start();
  }
  stop(): Promise<void> {
    return this.channel.stop();
  }
}

/**
 * LISTENs on one channel on a dedicated connection; reconnects after failures (each reconnect
 * calls `onPayload(null)`: whatever was sent meanwhile is lost, so the listener re-reads).
 */
export class ChannelListener {
  private client: pg.Client | null = null;
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;
  constructor(
    private url: string,
    private channel: string,
    private onPayload: (payload: string | null) => void,
    private log: (msg: string) => void,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 3000 });
    client.on('notification', (n) => this.onPayload(n.payload ?? ''));
    client.on('error', (err) => {
      this.log(err.message);
      this.reconnect();
    });
    client.on('end', () => this.reconnect());
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
      if (this.stopped) {
        client.removeAllListeners('end');
        await client.end().catch(() => undefined);
        return;
      }
      this.client = client;
      this.onPayload(null);
    } catch (err) {
      this.log((err as Error).message);
      client.removeAllListeners('end');
      client.end().catch(() => undefined);
      this.reconnect();
    }
  }

  private reconnect(): void {
    if (this.stopped || this.retry) return;
    this.client = null;
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.connect();
    }, 1000);
    this.retry.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const c = this.client;
    this.client = null;
    if (c) {
      c.removeAllListeners('end');
      await c.end().catch(() => undefined);
    }
  }
}
