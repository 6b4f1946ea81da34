import type { ServerResponse } from 'node:http';
import type { Caller, Deps } from '../context.js';
import type { Dialect } from '../../db/dialects/index.js';
import * as changes from '../../db/repositories/server-changes.repository.js';
import type { ServerChangeRow } from '../../db/repositories/server-changes.repository.js';
import { advanceFeed, hasGap, type GapHold } from '../../domain/change-feed.js';
import { serverStatus } from '../../domain/states.js';
import { iso, novaTime } from '../../domain/clock.js';
import { DomainError, invalid } from '../../domain/errors.js';
import { canonicalUuid } from '../access.js';
import { serverListScope } from '../compute/servers.js';

/** The answer to a stream asked for while the app closes (503: come back to another process). */
export const shuttingDown = () => new DomainError('unavailable', 'ServiceUnavailable', 'The service is shutting down.');

/**
 * The watch API (GET /stratus/v1/events): one hub per API process. Reads new server_changes
 * rows when woken (this process's commits, PostgreSQL NOTIFY, a 1 s poll), keeps a bounded
 * ring of recent events and feeds each subscriber from its cursor: from the ring, or from the
 * table when it lags behind the ring. Nothing is queued per connection: a subscriber whose
 * socket is full simply waits for 'drain' and goes on from its cursor. Idle (no subscriber),
 * the hub does nothing.
 */

export type EventType = 'server.created' | 'server.updated' | 'server.deleted';

export interface ServerEvent {
  seq: number;
  type: EventType;
  projectId: string;
  serverId: string;
  /** The wire data with the host; `frame(false)` drops it. */
  data: {
    seq: number;
    type: EventType;
    at: string;
    server_id: string;
    project_id: string;
    request_id: string | null;
    changed: string[];
    server: Record<string, unknown>;
  };
  frames: [string | undefined, string | undefined];
}

const ALL_FIELDS = ['name', 'status', 'vm_state', 'task_state', 'power_state', 'host', 'locked', 'fault'];

function faultOf(text: string | null): { code: number; message: string; created: string | null } | null {
  if (!text) return null;
  try {
    const f = JSON.parse(text) as { code: number; message: string; created: string };
    return { code: f.code, message: f.message, created: novaTime(f.created ?? null) };
  } catch {
    return null;
  }
}

export function toEvent(row: ServerChangeRow): ServerEvent {
  const type: EventType = `server.${row.kind}`;
  const status = serverStatus(row.vm_state, row.task_state, row.kind === 'deleted');
  let changed: string[];
  if (row.kind === 'created') changed = [...ALL_FIELDS];
  else {
    changed = row.changed ? row.changed.split(',') : [];
    const before = row.prev_vm_state === null ? null : serverStatus(row.prev_vm_state, row.prev_task_state, false);
    if (before !== status) changed.unshift('status');
  }
  return {
    seq: row.seq,
    type,
    projectId: row.project_id,
    serverId: row.server_id,
    data: {
      seq: row.seq,
      type,
      at: row.changed_at,
      server_id: row.server_id,
      project_id: row.project_id,
      request_id: row.request_id,
      changed,
      server: {
        id: row.server_id,
        name: row.name,
        status,
        vm_state: row.vm_state,
        task_state: row.task_state,
        power_state: row.power_state,
        host: row.host,
        locked: row.locked,
        fault: faultOf(row.fault),
      },
    },
    frames: [undefined, undefined],
  };
}

/** The SSE frame of an event; `showHost` false for non-admins (Nova hides OS-EXT-SRV-ATTR:host). */
function frameOf(e: ServerEvent, showHost: boolean): string {
  const i = showHost ? 0 : 1;
  let f = e.frames[i];
  if (f === undefined) {
    const data = showHost ? e.data : { ...e.data, server: { ...e.data.server, host: null } };
    f = `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(data)}\n\n`;
    e.frames[i] = f;
  }
  return f;
}

const frame = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/** What a stream shows, decided before it opens (policy and bad input are plain 4xx answers). */
export interface WatchScope {
  /** undefined: every project (an admin with all_tenants). */
  projectId: string | undefined;
  serverId: string | undefined;
  showHost: boolean;
}

/** Scope and policy of a stream: exactly GET /servers' (os_compute_api:servers:index, all_tenants). */
export function watchScope(
  deps: Deps,
  caller: Caller,
  q: { allTenants: boolean; projectId?: string; serverId?: string },
): WatchScope {
  let serverId: string | undefined;
  if (q.serverId !== undefined) {
    const id = canonicalUuid(q.serverId);
    if (!id) throw invalid(`Invalid input for query parameter server_id: '${q.serverId}' is not a valid UUID.`);
    serverId = id;
  }
  const { projectId } = serverListScope(deps, caller, {
    detail: false,
    allTenants: q.allTenants,
    projectId: q.projectId,
  });
  return { projectId, serverId, showHost: caller.isAdmin };
}

interface Subscriber {
  res: ServerResponse;
  scope: WatchScope;
  cursor: number;
  token: string;
  expiresAt: number;
  waitingDrain: boolean;
  reading: boolean;
  closed: boolean;
}

export interface HubOptions {
  /** Validates a token again (TokenService.validate): throws an unauthorized DomainError once it is not. */
  validate: (token: string) => Promise<{ expiresAt: string }>;
  ringSize?: number;
  pageSize?: number;
  pollMs?: number;
}

export interface StreamStart {
  head: number;
  cursor: number;
  resync: 'expired' | 'unknown' | null;
}

export class ServerEvents {
  private subs = new Set<Subscriber>();
  private ring: ServerEvent[] = [];
  /** The ring holds every event with seq in (ringBase, watermark]. */
  private ringBase = 0;
  private watermark = 0;
  private hold: GapHold | null = null;
  private initialised = false;
  private refreshing: Promise<void> | null = null;
  private again = false;
  private active: Promise<void> | null = null;
  private stopActive: (() => Promise<void>) | null = null;
  private closing = false;
  /** Activated: wakes read new changes. */
  private live = false;
  private readonly ringSize: number;
  private readonly pageSize: number;
  private readonly pollMs: number;

  constructor(
    private deps: Deps,
    private dialect: Pick<Dialect, 'committed' | 'listenChanges'>,
    private opts: HubOptions,
  ) {
    this.ringSize = opts.ringSize ?? 4096;
    this.pageSize = opts.pageSize ?? 500;
    this.pollMs = opts.pollMs ?? 1000;
  }

  get subscribers(): number {
    return this.subs.size;
  }

  /** Bytes each open stream holds in its socket buffer (tests check a slow consumer is bounded). */
  bufferedBytes(): number[] {
    return [...this.subs].map((s) => s.res.writableLength);
  }

  /** Reads up to now and decides where a new stream starts (errors here are plain HTTP answers). */
  async prepare(lastEventId: string | undefined): Promise<StreamStart> {
    this.refuseWhenClosing();
    try {
      await this.activate();
      await this.refresh();
      // close() may have run while this stream was being prepared: it must not start the hub again.
      this.refuseWhenClosing();
    } catch (err) {
      if (this.subs.size === 0) await this.deactivate();
      throw err;
    }
    const head = this.watermark;
    if (lastEventId === undefined) return { head, cursor: head, resync: null };
    const v = lastEventId.trim();
    if (!/^\d{1,15}$/.test(v) || Number(v) > head) return { head, cursor: head, resync: 'unknown' };
    const n = Number(v);
    if (n < head && (await this.expired(n, head))) return { head, cursor: head, resync: 'expired' };
    return { head, cursor: n, resync: null };
  }

  /** Whether the hub is closing (app close): a stream prepared meanwhile is answered 503, not opened. */
  get isClosing(): boolean {
    return this.closing;
  }

  private refuseWhenClosing(): void {
    if (this.closing) throw shuttingDown();
  }

  /** Pruned: neither the change at `cursor` nor the next one is kept any more. */
  private async expired(cursor: number, upTo: number): Promise<boolean> {
    const rows = await changes.changesFrom(this.deps.db, cursor, 1, upTo);
    return !(rows.length && (rows[0].seq === cursor || rows[0].seq === cursor + 1));
  }

  /** Starts a stream on a hijacked response (after prepare). */
  attach(res: ServerResponse, scope: WatchScope, start: StreamStart, token: string, expiresAt: string): void {
    // Closing: the route answers 503 before it hijacks; should one get here, it ends at once.
    if (this.closing) {
      if (!res.destroyed) res.end();
      return;
    }
    // The client may have gone while the stream was being prepared: nothing to attach.
    if (res.destroyed) {
      if (this.subs.size === 0) void this.deactivate();
      return;
    }
    // The last stream may have ended (and the hub gone idle) while this one was being prepared.
    if (!this.active) void this.activate().catch((err) => this.deps.log.warn({ err }, 'watch: activation failed'));
    const sub: Subscriber = {
      res,
      scope,
      cursor: start.cursor,
      token,
      expiresAt: Date.parse(expiresAt),
      waitingDrain: false,
      reading: false,
      closed: false,
    };
    res.write(
      `retry: 3000\n\n${frame('ready', {
        seq: start.head,
        retention_seconds: this.deps.config.eventsRetention,
        heartbeat_seconds: this.deps.config.eventsHeartbeat,
      })}`,
    );
    if (start.resync) res.write(frame('resync', { seq: start.head, reason: start.resync }));
    res.on('close', () => this.remove(sub));
    res.on('drain', () => {
      sub.waitingDrain = false;
      this.pump(sub);
    });
    this.subs.add(sub);
    this.expireAt(sub.expiresAt);
    this.pump(sub);
  }

  private expiryTimer: NodeJS.Timeout | null = null;
  private nextExpiry = Number.POSITIVE_INFINITY;

  /** One hub-wide timer, set for the soonest token expiry: a stream ends when its token does. */
  private expireAt(at: number): void {
    if (at >= this.nextExpiry) return;
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.nextExpiry = at;
    const ms = Math.max(0, Math.min(at - this.deps.clock.now().getTime(), 0x7fffffff));
    this.expiryTimer = setTimeout(() => {
      this.expiryTimer = null;
      this.nextExpiry = Number.POSITIVE_INFINITY;
      const now = this.deps.clock.now().getTime();
      let soonest = Number.POSITIVE_INFINITY;
      for (const sub of [...this.subs]) {
        if (now >= sub.expiresAt) this.unauthorized(sub, 'The token has expired.');
        else soonest = Math.min(soonest, sub.expiresAt);
      }
      if (soonest !== Number.POSITIVE_INFINITY) this.expireAt(soonest);
    }, ms);
    this.expiryTimer.unref();
  }

  private remove(sub: Subscriber, destroy = true): void {
    sub.closed = true;
    // A stream's connection is never reused: a client that went away leaves nothing half-open.
    if (destroy && !sub.res.writableEnded) sub.res.destroy();
    if (!this.subs.delete(sub)) return;
    if (this.subs.size === 0) void this.deactivate();
  }

  private end(sub: Subscriber, last?: string): void {
    if (sub.closed) return;
    if (last) sub.res.write(last);
    sub.res.end();
    this.remove(sub, false);
  }

  /** Ends every stream and stops (app close: shutdown is not held up by open streams). */
  async close(): Promise<void> {
    this.closing = true;
    for (const sub of [...this.subs]) this.end(sub);
    await this.deactivate();
    await this.refreshing?.catch(() => undefined);
  }

  private activate(): Promise<void> {
    if (this.active) return this.active;
    if (this.closing) return Promise.reject(shuttingDown());
    let stopped = false;
    let listener: { stop(): Promise<void> } | null = null;
    const wake = () => this.wake();
    const removeCommit = this.dialect.committed.add(wake);
    const poll = setInterval(wake, this.pollMs);
    poll.unref();
    const beat = setInterval(() => this.heartbeat(), this.deps.config.eventsHeartbeat * 1000);
    beat.unref();
    const stop = async () => {
      stopped = true;
      removeCommit();
      clearInterval(poll);
      clearInterval(beat);
      await listener?.stop();
      listener = null;
    };
    this.stopActive = stop;
    const active = (async () => {
      try {
        const l = await this.dialect.listenChanges(wake, (m) => this.deps.log.warn(m));
        // Deactivated meanwhile: nobody would stop this connection later.
        if (stopped) await l?.stop();
        else listener = l;
      } catch (err) {
        this.deps.log.warn({ err }, 'watch: no change notifications, polling');
      }
      if (!this.initialised) {
        // The first reader of this process starts at the oldest kept change, fast.
        const { min } = await changes.seqBounds(this.deps.db);
        this.watermark = Math.max(0, min - 1);
        this.ringBase = this.watermark;
        this.initialised = true;
      }
      await this.fastForward();
      // Wakes read from here on (not during the fast-forward, which moves the watermark itself).
      if (!stopped) this.live = true;
    })();
    this.active = active;
    active.catch(() => {
      // A failed activation (the database unreachable) leaves nothing running; the next stream tries again.
      if (this.active === active) {
        this.active = null;
        this.stopActive = null;
        this.live = false;
      }
      void stop();
    });
    return active;
  }

  private async deactivate(): Promise<void> {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    this.nextExpiry = Number.POSITIVE_INFINITY;
    const stop = this.stopActive;
    this.stopActive = null;
    this.active = null;
    this.live = false;
    await stop?.();
  }

  /** Skips far-behind positions by seq only (after an idle time): the ring starts again there. */
  private async fastForward(): Promise<void> {
    const { max } = await changes.seqBounds(this.deps.db);
    if (max - this.watermark <= this.ringSize) return;
    for (;;) {
      const w = this.watermark;
      const r = await changes.readOnSnapshot(this.deps.db, (ex) => changes.seqsAfter(ex, w, 5000));
      const seqs = r.value;
      const snap = hasGap(w, seqs) ? r.snap : null;
      const step = advanceFeed(this.watermark, seqs, this.hold, snap, performance.now());
      this.watermark = step.watermark;
      this.hold = step.hold;
      if (step.take < seqs.length || seqs.length < 5000 || max - this.watermark <= this.ringSize) break;
    }
    this.ring = [];
    this.ringBase = this.watermark;
  }

  private wake(): void {
    if (!this.live || this.closing) return;
    void this.refresh().catch((err) => this.deps.log.warn({ err }, 'watch: reading changes failed'));
  }

  /** Reads every change committed so far into the ring (one reader at a time; a wake during it reads again). */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      try {
        do {
          this.again = false;
          await this.readPages();
        } while (this.again);
      } finally {
        this.refreshing = null;
      }
      for (const sub of this.subs) this.pump(sub);
    })();
    return this.refreshing;
  }

  private async readPages(): Promise<void> {
    for (;;) {
      // The rows and the snapshot that judges their gaps from one snapshot (see readOnSnapshot).
      const w = this.watermark;
      const r = await changes.readOnSnapshot(this.deps.db, (ex) => changes.changesAfter(ex, w, this.pageSize));
      const rows = r.value;
      const seqs = rows.map((x) => x.seq);
      const snap = hasGap(w, seqs) ? r.snap : null;
      const before = this.watermark;
      const step = advanceFeed(before, seqs, this.hold, snap, performance.now());
      for (let i = 0; i < step.take; i++) {
        if (rows[i].seq <= before) continue;
        this.ring.push(toEvent(rows[i]));
      }
      this.watermark = step.watermark;
      this.hold = step.hold;
      if (this.ring.length > this.ringSize) {
        const drop = this.ring.length - this.ringSize;
        this.ringBase = this.ring[drop - 1].seq;
        this.ring.splice(0, drop);
      }
      if (step.take < rows.length || rows.length < this.pageSize) return;
    }
  }

  private matches(sub: Subscriber, e: ServerEvent): boolean {
    const s = sub.scope;
    return (
      (s.projectId === undefined || e.projectId === s.projectId) &&
      (s.serverId === undefined || e.serverId === s.serverId)
    );
  }

  /** Writes what the subscriber has not seen while its socket accepts. */
  private pump(sub: Subscriber): void {
    if (sub.closed || sub.waitingDrain || sub.reading) return;
    if (sub.cursor >= this.watermark) return;
    if (sub.cursor < this.ringBase) {
      sub.reading = true;
      void this.feedFromTable(sub);
      return;
    }
    // First event after the cursor (the ring is in seq order).
    let lo = 0;
    let hi = this.ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ring[mid].seq <= sub.cursor) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.ring.length; i++) {
      const e = this.ring[i];
      sub.cursor = e.seq;
      if (this.matches(sub, e) && !sub.res.write(frameOf(e, sub.scope.showHost))) {
        sub.waitingDrain = true;
        return;
      }
    }
    sub.cursor = this.watermark;
  }

  /** A subscriber behind the ring reads the table, one page at a time; past retention it resyncs. */
  private async feedFromTable(sub: Subscriber): Promise<void> {
    try {
      const upTo = this.watermark;
      const rows = await changes.changesFrom(this.deps.db, sub.cursor, this.pageSize, upTo);
      if (sub.closed) return;
      if (!(rows.length && (rows[0].seq === sub.cursor || rows[0].seq === sub.cursor + 1))) {
        sub.cursor = upTo;
        sub.res.write(frame('resync', { seq: upTo, reason: 'expired' }));
      } else {
        for (const row of rows) {
          if (row.seq <= sub.cursor) continue;
          sub.cursor = row.seq;
          const e = toEvent(row);
          if (this.matches(sub, e) && !sub.res.write(frameOf(e, sub.scope.showHost))) {
            sub.waitingDrain = true;
            break;
          }
        }
        if (!sub.waitingDrain && rows.length < this.pageSize) sub.cursor = Math.max(sub.cursor, upTo);
      }
    } catch (err) {
      this.deps.log.warn({ err }, 'watch: reading changes for a lagging stream failed');
      return;
    } finally {
      sub.reading = false;
    }
    this.pump(sub);
  }

  /** One hub-wide timer: a comment frame on every stream, and every token checked again. */
  private heartbeat(): void {
    const now = this.deps.clock.now().getTime();
    // Each distinct token is validated once per beat, however many streams share it.
    const byToken = new Map<string, Subscriber[]>();
    for (const sub of [...this.subs]) {
      if (now >= sub.expiresAt) {
        this.unauthorized(sub, 'The token has expired.');
        continue;
      }
      if (!sub.waitingDrain) sub.res.write(': heartbeat\n\n');
      const list = byToken.get(sub.token);
      if (list) list.push(sub);
      else byToken.set(sub.token, [sub]);
    }
    for (const [token, subs] of byToken) {
      this.opts.validate(token).then(
        (info) => {
          for (const sub of subs) sub.expiresAt = Date.parse(info.expiresAt);
        },
        (err) => {
          // Another failure (the database unreachable) keeps the streams: the next beat checks again.
          if (err instanceof DomainError && err.kind === 'unauthorized')
            for (const sub of subs) this.unauthorized(sub, err.message);
        },
      );
    }
  }

  private unauthorized(sub: Subscriber, message: string): void {
    this.end(sub, frame('error', { error: { code: 401, title: 'Unauthorized', message } }));
  }

  /** Removes the changes older than the retention (the periodic job; tests call it). */
  async prune(): Promise<number> {
    const before = iso(new Date(this.deps.clock.now().getTime() - this.deps.config.eventsRetention * 1000));
    return this.deps.transact((tx) => changes.pruneChanges(tx, before));
  }

  /** The periodic prune, every min(60 s, retention / 2). */
  startPruning(): { stop(): void } {
    const every = Math.max(1000, Math.min(60_000, (this.deps.config.eventsRetention * 1000) / 2));
    const t = setInterval(() => {
      this.prune().catch((err) => this.deps.log.warn({ err }, 'watch: pruning server changes failed'));
    }, every);
    t.unref();
    return { stop: () => clearInterval(t) };
  }
}
