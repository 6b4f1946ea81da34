import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Database, TasksTable } from '../db/schema.js';
import type { Executor } from '../db/executor.js';
import type { Dialect } from '../db/dialects/index.js';
import { faultsChangedOn, hostHasWork } from '../db/dialects/notify.js';
import * as repo from '../db/repositories/tasks.repository.js';
import { iso, type Clock, type Ids } from '../domain/clock.js';
import type { TaskKind } from '../domain/lifecycle.js';
import type { TaskPayload, TaskRow } from './queue.js';
import { setTimeout as sleep } from 'node:timers/promises';

/** An agent in this process, as the dispatcher sees it. */
export interface TaskReceiver {
  /** The lease owner under which tasks may be written already leased to it, or null (then they are queued). */
  directOwner(): string | null;
  /** A committed task leased to it (see directOwner): the in-memory hand-over. */
  accept(task: TasksTable): void;
  /** A queued task is waiting for it. */
  wake(): void;
  /** The injected faults of its host changed. */
  faultsChanged(): void;
  /** Tasks it holds: handed over or leased, not finished. */
  backlog(): number;
}

/** How often the waiting requests look whether their node has room. */
const ROOM_POLL_MS = 2;
/** The longest a committed DELETE's 204 waits for its node to catch up: a stalled node slows its requests, never holds them. */
export const ROOM_WAIT_MS = 5000;
/** How old the database's open-task counts (agents in other processes) may be. */
const HOST_LOAD_MS = 20;

export interface DispatcherDeps {
  db: Kysely<Database>;
  dialect: Dialect;
  clock: Clock;
  ids: Ids;
  config: Pick<Config, 'taskLease' | 'taskMaxAttempts' | 'agentBacklog'>;
  log: Logger;
}

/**
 * Delivers tasks to compute agents, by one of three paths: an agent in this process gets its
 * tasks written already leased to it and handed over in memory after the commit (no lease
 * round trip, no extra commit); an agent in another process is told through the dialect's
 * NOTIFY; and every agent polls (WakeSignal), so a lost signal costs only latency. Agents in
 * this process register here. Delivery is at least once: handlers are idempotent.
 */
export class TaskDispatcher {
  private readonly receivers = new Map<string, TaskReceiver>();
  private listener: { stop(): Promise<void> } | null = null;

  constructor(private readonly deps: DispatcherDeps) {}

  register(host: string, receiver: TaskReceiver): void {
    this.receivers.set(host, receiver);
  }

  /**
   * Enqueues a task in the caller's transaction, so the task exists exactly when the state
   * change that needs it is committed. A crash before it runs loses nothing: a restarted agent
   * takes back the tasks leased to its host.
   */
  async enqueue(
    tx: Executor,
    t: { kind: TaskKind; serverId: string; host: string; payload?: TaskPayload },
  ): Promise<TaskRow> {
    const row = this.taskRow(t);
    await repo.insertTask(tx, row);
    return row;
  }

  /** The row `enqueue` would insert, for a caller that inserts many in one statement (batched deletes). */
  taskRow(t: { kind: TaskKind; serverId: string; host: string; payload?: TaskPayload }): TaskRow {
    const { clock, ids, config } = this.deps;
    const now = clock.now();
    const owner = this.receivers.get(t.host)?.directOwner() ?? null;
    const row: TaskRow = {
      id: ids.sortable(),
      kind: t.kind,
      server_id: t.serverId,
      host: t.host,
      payload: JSON.stringify(t.payload ?? {}),
      state: owner ? 'leased' : 'queued',
      attempts: owner ? 1 : 0,
      max_attempts: config.taskMaxAttempts,
      lease_owner: owner,
      lease_expires_at: owner ? iso(new Date(now.getTime() + config.taskLease * 1000)) : null,
      run_after: iso(now),
      last_error: null,
      created_at: iso(now),
      updated_at: iso(now),
      result: null,
    };
    return row;
  }

  /** After the commit: hands leased tasks to their agent here, and wakes the hosts of queued ones. */
  dispatch(tasks: Array<TaskRow | undefined>): void {
    // One wake (one NOTIFY) per host, however many of its tasks a batch committed.
    const woken = new Set<string>();
    for (const t of tasks) {
      if (!t) continue;
      if (t.state === 'leased') this.receivers.get(t.host ?? '')?.accept(t);
      else if (t.host && !woken.has(t.host)) {
        woken.add(t.host);
        this.wake(t.host);
      }
    }
  }

  /**
   * Backpressure for the API: resolves once `host` holds fewer than `config.agentBacklog` open
   * tasks, or at `deadline` (a Date.now() value; callers give now + ROOM_WAIT_MS). A DELETE that
   * gave `host` work awaits this after its commit, before its 204: without it a burst answers
   * faster than the node destroys, and the backlog behind those 204s (every server in it waiting
   * longer to go) grows as long as the burst lasts. Per node: a node that is behind slows only
   * the requests that gave it work. Never rejects. The count: an agent of this process that
   * takes its tasks in memory, in memory; any other node (in another process, or an agent here
   * whose tasks go through the database while faults are injected or it is stopped), its open
   * tasks in the database, one statement for every host at most every HOST_LOAD_MS (see
   * remoteLoadOf). A request waiting here holds up a shutdown's close of the API by as long.
   */
  async roomOn(host: string, deadline: number): Promise<void> {
    const limit = this.deps.config.agentBacklog;
    if (limit <= 0) return;
    const n = this.inMemory(host)?.backlog() ?? (await this.remoteLoadOf(host, deadline));
    if (n < limit || Date.now() >= deadline) return;
    await new Promise<void>((resolve) => {
      this.waiters.push({ host, deadline, resolve });
      this.pollWaiters();
    });
  }

  private waiters: Array<{ host: string; deadline: number; resolve: () => void }> = [];
  private polling: NodeJS.Timeout | null = null;
  /** Open tasks per host, as last read from the database, when that read started, and the read under way. */
  private remoteLoad = new Map<string, number>();
  private remoteLoadAt = 0;
  private remoteLoadRead: Promise<void> | null = null;

  /** The agent here that takes `host`'s tasks in memory, so that its own count is all of them. */
  private inMemory(host: string): TaskReceiver | undefined {
    const r = this.receivers.get(host);
    return r && r.directOwner() !== null ? r : undefined;
  }

  /** `host`'s open tasks as known now (a stale database count starts a new read). */
  private load(host: string): number {
    const local = this.inMemory(host);
    if (local) return local.backlog();
    if (Date.now() - this.remoteLoadAt >= HOST_LOAD_MS) void this.readRemoteLoad();
    return this.remoteLoad.get(host) ?? 0;
  }

  /**
   * From the database: a fresh count as it is; a stale one is read again first (raced against
   * `deadline`), unless it was 0, so that a quiet node pays no wait (the read goes on meanwhile).
   */
  private async remoteLoadOf(host: string, deadline: number): Promise<number> {
    if (Date.now() - this.remoteLoadAt < HOST_LOAD_MS) return this.remoteLoad.get(host) ?? 0;
    const read = this.readRemoteLoad();
    if (this.remoteLoad.get(host))
      await Promise.race([read, sleep(Math.max(0, deadline - Date.now()), undefined, { ref: false })]);
    return this.remoteLoad.get(host) ?? 0;
  }

  private readRemoteLoad(): Promise<void> {
    if (this.remoteLoadRead) return this.remoteLoadRead;
    const startedAt = Date.now();
    this.remoteLoadRead = repo
      .openTasksByHost(this.deps.db)
      .then(
        (m) => {
          this.remoteLoad = m;
        },
        (err: Error) => {
          // Counted as room: backpressure never fails a request.
          this.remoteLoad = new Map();
          this.deps.log.warn({ err: err.message }, 'backpressure: open tasks not read');
        },
      )
      .finally(() => {
        this.remoteLoadAt = startedAt;
        this.remoteLoadRead = null;
      });
    return this.remoteLoadRead;
  }

  /** One timer for every waiting request, while there are any. */
  private pollWaiters(): void {
    if (this.polling) return;
    this.polling = setTimeout(() => {
      this.polling = null;
      const limit = this.deps.config.agentBacklog;
      const now = Date.now();
      const load = new Map<string, number>();
      const still: typeof this.waiters = [];
      for (const w of this.waiters) {
        const n = load.get(w.host) ?? this.load(w.host);
        load.set(w.host, n);
        if (n < limit || now >= w.deadline) w.resolve();
        else still.push(w);
      }
      this.waiters = still;
      if (still.length) this.pollWaiters();
    }, ROOM_POLL_MS);
  }

  /** An agent here is woken directly; one elsewhere through NOTIFY, sent without holding up the request. */
  wake(host: string): void {
    const local = this.receivers.get(host);
    if (local) {
      local.wake();
      return;
    }
    const { dialect, db, log } = this.deps;
    dialect
      .notify(db, hostHasWork(host))
      .catch((err: Error) => log.warn({ err: err.message, host }, 'task notification failed'));
  }

  /** Agents cache their injected faults: tell the ones here, and the ones in other processes. */
  async faultsChanged(host: string | null): Promise<void> {
    this.forReceivers(host, (r) => r.faultsChanged());
    await this.deps.dialect.notify(this.deps.db, faultsChangedOn(host));
  }

  /** Listens for other processes' signals to the agents registered here (where the dialect has a channel). */
  async listen(): Promise<void> {
    if (this.listener || this.receivers.size === 0) return;
    this.listener = await this.deps.dialect.listen(
      {
        onHost: (host) => this.receivers.get(host)?.wake(),
        onFaults: (host) => this.forReceivers(host, (r) => r.faultsChanged()),
      },
      (msg) => this.deps.log.warn(msg),
    );
  }

  async stop(): Promise<void> {
    if (this.polling) clearTimeout(this.polling);
    this.polling = null;
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
    await this.listener?.stop();
    this.listener = null;
  }

  private forReceivers(host: string | null, fn: (r: TaskReceiver) => void): void {
    if (host === null) this.receivers.forEach(fn);
    else {
      const r = this.receivers.get(host);
      if (r) fn(r);
    }
  }
}
