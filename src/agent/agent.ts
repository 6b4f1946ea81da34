import { hostUptime } from './host-uptime.js';
import { randomBytes } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import type { ComputeDriver } from '../drivers/driver.js';
import { FaultInjectingDriver } from '../drivers/fault-injection/fault-injection.driver.js';
import type { Metrics } from '../metrics/metrics.js';
import { hasSecrets, withoutSecrets } from '../domain/task-secrets.js';
import * as tasksRepo from '../db/repositories/tasks.repository.js';
import * as svcRepo from '../db/repositories/services.repository.js';
import { iso } from '../domain/clock.js';
import { backoffMs } from '../tasks/queue.js';
import { WakeSignal } from '../tasks/wake-signal.js';
import type { TaskReceiver } from '../tasks/dispatcher.js';
import { lifecycleOfTask, type TaskKind } from '../domain/lifecycle.js';
import * as servers from '../db/repositories/servers.repository.js';
import type { Executor } from '../db/executor.js';
import type { AgentDeps } from './agent-deps.js';
import { adoptGuests } from './guests.js';
import { destroyEvacuatedGuests } from './evacuated-guests.js';
import { InjectedFaults } from './injected-faults.js';
import { PeriodicJobs } from './periodic-jobs.js';
import { makeTaskHandlers, type TaskHandler } from './task-handlers.js';
import { recordingDriver, runWithSteps, TaskSteps } from './task-steps.js';
import type { TaskRow } from '../tasks/queue.js';
import { AgentReads } from './turn-reads.js';
import { setTimeout as sleep } from 'node:timers/promises';

const POLL_MS = 500;
/** Tasks that only read the guest (a client may ask often): they leave no timeline steps. */
const READ_ONLY_KINDS = new Set<string>(['console', 'diagnostics']);
/** Tasks a node runs at once (each is mostly waiting on its driver or the database). */
const CONCURRENCY = 128;

/**
 * One compute node (Nova's nova-compute): registers and heartbeats in the services table,
 * leases the tasks addressed to its host and runs them through the driver.
 */
export class ComputeAgent implements TaskReceiver {
  readonly owner: string;
  private running = false;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private periodicTimer: NodeJS.Timeout | null = null;
  private readonly signal = new WakeSignal(POLL_MS);
  private inFlight = new Set<Promise<void>>();
  private busyServers = new Set<string>();
  /** Tasks handed over in memory (written already leased to this agent), waiting for room. */
  private direct: TaskRow[] = [];
  private putBack = false;
  /** An injected node fault holds this agent: it starts no task. */
  private held = false;
  /** An injected `freeze` hangs this node: no heartbeats, no tasks, no periodic jobs. */
  private frozen = false;
  private loopDone: Promise<void> | null = null;
  private periodicDone: Promise<void> | null = null;
  private lastExpiredScan = 0;
  readonly faults: InjectedFaults;
  private readonly handlers: Record<TaskKind, TaskHandler>;
  private readonly reads: AgentReads;
  readonly periodicJobs: PeriodicJobs;

  /**
   * @param standalone true for `stratus agent`: a `fail` node fault then kills the process (a crash
   *   drill); in-process agents play dead instead (no tasks, no heartbeats) until it is cleared.
   */
  constructor(
    private deps: AgentDeps,
    readonly driver: ComputeDriver,
    readonly host: string,
    private metrics?: Metrics,
    private standalone = false,
  ) {
    this.owner = `${host}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.faults = new InjectedFaults(deps.db, deps.clock, host);
    const leaseMs = deps.config.taskLease * 1000;
    this.reads = new AgentReads(deps.db);
    this.handlers = makeTaskHandlers({
      deps,
      host,
      reads: this.reads,
      driver: recordingDriver(driver),
      driverFor: (operation) =>
        recordingDriver(new FaultInjectingDriver(driver, this.faults, deps.clock, operation, host, leaseMs)),
    });
    this.periodicJobs = new PeriodicJobs(deps, driver, host, metrics);
    deps.tasks.register(host, this);
  }

  async start(): Promise<void> {
    const now = iso(this.deps.clock.now());
    await svcRepo.upsertService(this.deps.db, {
      id: this.deps.ids.uuid(),
      host: this.host,
      binary: 'nova-compute',
      topic: 'compute',
      zone: this.deps.config.zone,
      disabled: 0,
      disabled_reason: null,
      forced_down: 0,
      last_seen_at: now,
      vcpus: cpus().length,
      memory_mb: Math.floor(totalmem() / 1048576),
      disk_gb: 0,
      created_at: now,
      updated_at: now,
      owner: this.owner,
      uptime: hostUptime(this.deps.clock.now()),
    });
    // A restarted node takes back the tasks its previous incarnation held (Nova's _init_instance), without waiting for leases to expire.
    await tasksRepo.requeueLeasedOnHost(this.deps.db, this.host, now);
    // Nova's init_host: guests of servers evacuated while this node was down go first.
    try {
      await destroyEvacuatedGuests(this.deps, this.driver, this.host);
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message, host: this.host }, 'could not destroy evacuated guests');
    }
    if (this.driver.adopt) await adoptGuests(this.deps.db, this.driver, this.host);
    this.running = true;
    this.heartbeatTimer = setInterval(() => {
      void this.heartbeat();
    }, this.deps.config.reportInterval * 1000);
    this.heartbeatTimer.unref();
    this.periodicTimer = setInterval(() => {
      void this.periodic();
    }, 30000);
    this.periodicTimer.unref();
    this.loopDone = this.loop();
    // The first round of periodic tasks (reap orphans, reclaim, power sync) runs beside the task
    // loop, so a node holding many servers is serving at once.
    this.periodicDone = this.periodic();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.periodicTimer) clearInterval(this.periodicTimer);
    this.wake();
    await this.loopDone;
    await this.periodicDone;
    // Handed-over tasks not started yet stay leased to us in the database: the next start takes them back.
    this.direct = [];
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * The lease owner under which the API of this process may write tasks already leased to this
   * agent and hand them over in memory; null while stopped or while faults are injected on the
   * node (those tasks take the database path, where the faults are honoured).
   */
  directOwner(): string | null {
    return this.running && !this.faults.present ? this.owner : null;
  }

  /** A committed task leased to this agent (see directOwner). */
  accept(task: TaskRow): void {
    if (!this.running) return; // still leased to us in the database: the next start takes it back
    this.direct.push(task);
    this.pump();
  }

  /** Handed over and not started, or running (all of its tasks while it takes them in memory: see directOwner). */
  backlog(): number {
    return this.direct.length + this.inFlight.size;
  }

  /** Starts handed-over tasks while there is room, one operation per server at a time (none while stopped or held by a node fault). */
  private pump(): void {
    if (!this.running || this.held) return;
    for (let i = 0; i < this.direct.length && this.inFlight.size < CONCURRENCY; ) {
      const t = this.direct[i];
      if (t.server_id && this.busyServers.has(t.server_id)) {
        i++;
        continue;
      }
      this.direct.splice(i, 1);
      this.startTask(t);
    }
  }

  private startTask(t: TaskRow): void {
    if (t.server_id) this.busyServers.add(t.server_id);
    const p = this.run(t).finally(() => {
      this.inFlight.delete(p);
      if (t.server_id) this.busyServers.delete(t.server_id);
      this.pump();
      // A task put back while its server was busy can be leased again now.
      if (this.putBack) {
        this.putBack = false;
        this.wake();
      }
    });
    this.inFlight.add(p);
  }

  /** The control API changed this node's injected faults: read them again, now. */
  faultsChanged(): void {
    this.faults.changed();
    this.wake();
  }

  wake(): void {
    this.signal.wake();
  }

  async heartbeat(): Promise<void> {
    try {
      if (await this.checkNodeFault()) return; // frozen or dead nodes send no heartbeat
      const now = this.deps.clock.now();
      if (!(await svcRepo.heartbeat(this.deps.db, this.host, 'nova-compute', this.owner, iso(now), hostUptime(now)))) {
        // Another agent registered under this host name and took the node over: stop working for it.
        this.deps.log.error({ host: this.host }, 'another agent took over this host name: this agent stops');
        if (this.standalone) process.exit(75);
        void this.stop();
        return;
      }
      this.metrics?.heartbeats.inc({ host: this.host });
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message, host: this.host }, 'heartbeat failed');
    }
  }

  /** Nova's periodic tasks: reap guests of deleted servers, reclaim expired soft deletes, sync power states. */
  periodic(): Promise<void> {
    if (this.frozen) return Promise.resolve(); // a hung node runs nothing
    return this.periodicJobs.runAll();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      this.signal.takePending();
      let leased = 0;
      try {
        if (!(await this.checkNodeFault())) leased = await this.leaseBatch();
      } catch (err) {
        this.deps.log.warn({ err: (err as Error).message, host: this.host }, 'task lease failed');
      }
      if (!this.running) break;
      if (leased > 0 || this.signal.takePending()) continue;
      await this.signal.wait();
    }
  }

  /** True while an injected node fault holds this agent; a `fail` fault kills a standalone agent outright. */
  private async checkNodeFault(): Promise<boolean> {
    const f = await this.faults.nodeFault();
    const wasHeld = this.held;
    const wasFrozen = this.frozen;
    this.held = f !== null;
    this.frozen = f === 'freeze';
    if (wasHeld && !this.held) this.pump();
    if (wasFrozen && !this.frozen) this.thaw();
    if (f === 'fail' && this.standalone) {
      this.deps.log.warn({ host: this.host }, 'injected node fault: killing this agent');
      process.kill(process.pid, 'SIGKILL');
    }
    return f !== null;
  }

  /**
   * Back from a freeze, as a hung nova-compute that wakes up: report at once (the node is up
   * again) and run the periodic jobs, whose orphan reaper destroys the guests of servers deleted
   * locally meanwhile.
   */
  private thaw(): void {
    this.deps.log.info({ host: this.host }, 'injected freeze removed: the node resumes');
    void this.heartbeat();
    // stop() waits for this round too.
    const round = this.periodic();
    const before = this.periodicDone;
    this.periodicDone = Promise.all([before, round]).then(() => undefined);
  }

  private async leaseBatch(): Promise<number> {
    const free = CONCURRENCY - this.inFlight.size;
    if (free <= 0) {
      await Promise.race([...this.inFlight]);
      return 1;
    }
    const { db, clock, config, dialect } = this.deps;
    const now = clock.now();
    const nowIso = iso(now);
    const expires = iso(new Date(now.getTime() + config.taskLease * 1000));
    // Expired leases only exist after a worker died: look for them at most once a second.
    const scanExpired = now.getTime() - this.lastExpiredScan >= 1000;
    if (scanExpired) this.lastExpiredScan = now.getTime();
    const leased: TaskRow[] = [];
    const lease = (ex: Executor) => tasksRepo.leaseTasks(ex, this.host, this.owner, nowIso, expires, free, scanExpired);
    for (const t of await dialect.commitSoon(lease)) {
      if (t.server_id && this.busyServers.has(t.server_id)) {
        // One operation per server at a time (Nova's synchronized(instance.uuid)): put it back.
        this.putBack = true; // before the await: the busy task may finish meanwhile and must wake the loop
        await tasksRepo.unleaseTask(db, t.id, t.attempts - 1);
        continue;
      }
      if (t.server_id) this.busyServers.add(t.server_id);
      leased.push(t);
    }
    for (const t of leased) this.startTask(t);
    return leased.length;
  }

  private async run(task: TaskRow): Promise<void> {
    const started = performance.now();
    const { db, clock, log, ids } = this.deps;
    let result = 'done';
    const steps = new TaskSteps(this.deps, task, this.host, !READ_ONLY_KINDS.has(task.kind));
    try {
      // Handlers finish the task in the transaction that writes their outcome (and its steps); a
      // task that no longer applies (server gone, or superseded) ends here.
      const finished = await runWithSteps(steps, () => this.handle(task));
      if (!finished) {
        if (!task.server_id)
          await tasksRepo.finishTask(db, task.id, this.owner, 'done', iso(clock.now()), null, isQuestion(task));
        else
          await this.deps.transact(async (tx) => {
            const end = iso(clock.now());
            await steps.write(tx, ids, end, null);
            await tasksRepo.finishTask(tx, task.id, this.owner, 'done', end, null, isQuestion(task));
          });
        steps.markWritten();
      } else if (!steps.written) await this.writeSteps(steps, null); // a handler that completed its task itself
    } catch (err) {
      const message = (err as Error)?.message ?? String(err);
      const transient = this.deps.dialect.isUnavailable(err);
      try {
        if (transient && task.attempts < task.max_attempts) {
          result = 'retry';
          const now = clock.now();
          await tasksRepo.retryTask(
            db,
            task.id,
            this.owner,
            iso(new Date(now.getTime() + backoffMs(task.attempts))),
            iso(now),
            message,
          );
        } else {
          result = 'dead';
          await tasksRepo.finishTask(db, task.id, this.owner, 'dead', iso(clock.now()), message);
          // A dead task stays for inspection, but not a secret it carried (changePassword's password).
          if (hasSecrets(task.payload)) await tasksRepo.setTaskPayload(db, task.id, withoutSecrets(task.payload));
        }
      } catch (inner) {
        // The lease will expire and the task will be taken again: at-least-once.
        log.warn({ err: (inner as Error).message, task: task.id }, 'could not record task outcome');
      }
      if (!steps.written) await this.writeSteps(steps, `${result}: ${message}`);
      // The request id of the API call that asked for this work ties the agent's log to the API's.
      const requestId = requestIdOf(task.payload);
      log.warn(
        { err: message, task: task.id, kind: task.kind, server: task.server_id, request_id: requestId, result },
        'task failed',
      );
    } finally {
      this.metrics?.taskLatency.observe({ kind: task.kind, result }, (performance.now() - started) / 1000);
    }
  }

  /** Steps that no completing transaction wrote: on their own (observability only, so never fatal). */
  private async writeSteps(steps: TaskSteps, error: string | null): Promise<void> {
    try {
      await steps.write(this.deps.db, this.deps.ids, iso(this.deps.clock.now()), error);
      steps.markWritten();
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message, task: steps.task.id }, 'could not record task steps');
    }
  }

  private async handle(task: TaskRow): Promise<boolean> {
    if (!task.server_id) return false;
    // A delete in VERIFY_RESIZE confirms the resize: the source drops its guest even once the row is deleted.
    const row =
      task.kind === 'confirm_resize'
        ? await servers.getServer(this.deps.db, task.server_id, { readDeleted: true })
        : await this.reads.server(task.server_id);
    if (!row) return false; // already gone: nothing to do (handlers are idempotent)
    const handler = this.handlers[task.kind as TaskKind];
    if (!handler) throw new Error(`unknown task kind ${task.kind}`);
    return handler(task, row);
  }

  /** Tests: run until no task for this host is ready. */
  async drain(maxRounds = 200): Promise<void> {
    for (let i = 0; i < maxRounds; i++) {
      await Promise.allSettled([...this.inFlight]);
      const due = await tasksRepo.hasDueTask(this.deps.db, this.host, iso(this.deps.clock.now()));
      if (!due && this.inFlight.size === 0 && this.direct.length === 0) return;
      this.wake();
      await sleep(5);
    }
  }
}

/** The API request id a payload carries; none when the payload cannot be read (the task died of it). */
function requestIdOf(payload: string): string | undefined {
  try {
    return (JSON.parse(payload) as { requestId?: string }).requestId;
  } catch {
    return undefined;
  }
}

/** A question (console output) keeps its row until the waiting request has read the answer. */
function isQuestion(task: TaskRow): boolean {
  return lifecycleOfTask(task.kind as TaskKind)?.completion === null;
}
