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

/** The longest a request waits for the agents' backlog to shrink: a stalled agent slows the API, never stops it. */
const ADMIT_MAX_WAIT_MS = 5000;
const ADMIT_POLL_MS = 2;
/** How old the database's task count may be for an API process without agents. */
const CLOUD_LOAD_MS = 20;

export interface DispatcherDeps {
  db: Kysely<Database>;
  dialect: Dialect;
  clock: Clock;
  ids: Ids;
  config: Pick<Config, 'taskLease' | 'taskMaxAttempts' | 'agentBacklog' | 'serviceDownTime'>;
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

  /** Tasks the agents of this process hold (handed over or leased, not finished). */
  backlog(): number {
    let n = 0;
    for (const r of this.receivers.values()) n += r.backlog();
    return n;
  }

  /**
   * Backpressure for the API: resolves once the agents have room, or after ADMIT_MAX_WAIT_MS.
   * Without it a burst of DELETEs answers faster than the nodes destroy, and the backlog behind
   * those 204s (and every server's wait to go) grows as long as the burst lasts. Room: with agents
   * in this process, they hold fewer than `config.agentBacklog` tasks (counted in memory); in a
   * process without agents (an API worker, `serve --agents 0`), the cloud's open tasks are fewer
   * than `agentBacklog` per compute node that is up, read from the database at most every
   * CLOUD_LOAD_MS (see openTaskLoad).
   */
  async admit(): Promise<void> {
    const limit = this.deps.config.agentBacklog;
    if (limit <= 0) return;
    const local = this.receivers.size > 0;
    const full = async () => (local ? this.backlog() >= limit : await this.cloudFull(limit));
    if (!(await full())) return;
    const deadline = Date.now() + ADMIT_MAX_WAIT_MS;
    while (Date.now() < deadline) {
      await sleep(local ? ADMIT_POLL_MS : CLOUD_LOAD_MS);
      if (!(await full())) return;
    }
  }

  private cloudLoad: { at: number; full: Promise<boolean> } | null = null;

  /** Shared by every request of the same CLOUD_LOAD_MS; a failed read lets requests through (backpressure never fails a request). */
  private cloudFull(limit: number): Promise<boolean> {
    const now = Date.now();
    if (!this.cloudLoad || now - this.cloudLoad.at >= CLOUD_LOAD_MS) {
      const upSince = iso(new Date(this.deps.clock.now().getTime() - this.deps.config.serviceDownTime * 1000));
      const full = repo.openTaskLoad(this.deps.db, upSince).then(
        (l) => l.open >= limit * l.nodes,
        () => false,
      );
      this.cloudLoad = { at: now, full };
    }
    return this.cloudLoad.full;
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
