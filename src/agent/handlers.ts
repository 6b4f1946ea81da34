import type { Selectable } from 'kysely';
import type { Deps } from '../compute/context.js';
import type { ComputeDriver, GuestPower, GuestSpec } from '../drivers/driver.js';
import type { TasksTable } from '../db/schema.js';
import * as servers from '../db/repositories/servers.repository.js';
import * as actions from '../db/repositories/actions.repository.js';
import * as faults from '../db/repositories/faults.repository.js';
import { finishTask, setTaskResult } from '../db/repositories/tasks.repository.js';
import { getImage, imageProperties } from '../db/repositories/catalog.repository.js';
import { setServerPortsHost } from '../db/repositories/network.repository.js';
import type { Executor } from '../db/executor.js';

/** What a finished driver call writes, inside the task's completing transaction. */
type Writer = (tx: Executor) => Promise<void>;
import { bindServerPorts, releaseServerPorts } from '../network/ports.js';
import { iso } from '../domain/clock.js';
import { PowerState, type TaskState } from '../domain/states.js';
import { lifecycleOfTask, type TaskKind } from '../domain/lifecycle.js';

export type LeasedTask = Selectable<TasksTable>;

/** How long an agent trusts its cached faults when nobody said they changed (a standalone agent on SQLite has no NOTIFY). */
const FAULTS_TTL_MS = 1000;
type ServerRow = servers.ServerRow;

/** A failure injected through the control API (it reads like a hypervisor error). */
export class InjectedFault extends Error {}

/** The driver call of each task kind that only changes a guest's power; its states come from the lifecycle table. */
const POWER_OPS: Partial<Record<TaskKind, (d: ComputeDriver, id: string, t: LeasedTask) => Promise<void>>> = {
  power_off: (d, id) => d.powerOff(id),
  power_on: (d, id) => d.powerOn(id),
  reboot: (d, id, t) => d.reboot(id, JSON.parse(t.payload).rebootType === 'HARD'),
  pause: (d, id) => d.pause(id),
  unpause: (d, id) => d.unpause(id),
  suspend: (d, id) => d.suspend(id),
  resume: (d, id) => d.resume(id),
  shelve: (d, id) => d.powerOff(id),
  restore: (d, id) => d.powerOn(id),
  soft_delete: async (d, id) => { if ((await d.power(id)) !== 'missing') await d.powerOff(id); },
};

export class TaskHandlers {
  constructor(private deps: Deps, private driver: ComputeDriver, private host: string) {}

  private now(): string { return iso(this.deps.clock.now()); }

  async handle(task: LeasedTask): Promise<boolean> {
    if (!task.server_id) return false;
    const row = await servers.getServer(this.deps.db, task.server_id);
    if (!row) return false; // already gone: nothing to do (handlers are idempotent)
    if (task.kind === 'spawn') return this.spawn(task, row);
    if (task.kind === 'terminate') return this.terminate(task, row);
    if (task.kind === 'shelve_offload') return this.shelveOffload(task, row);
    if (task.kind === 'unshelve') return this.unshelve(task, row);
    if (task.kind === 'console') {
      // A question, not a state change: the API request is waiting for the answer.
      const lines = Number((JSON.parse(task.payload) as { lines?: number }).lines ?? 0) || undefined;
      await setTaskResult(this.deps.db, task.id, await this.driver.consoleOutput(row.id, lines));
      return false;
    }
    const kind = task.kind as TaskKind;
    const op = POWER_OPS[kind];
    if (!op) throw new Error(`unknown task kind ${task.kind}`);
    const { runsWhile, completion } = lifecycleOfTask(kind);
    if (row.task_state === null || !runsWhile.includes(row.task_state) || !completion) return false; // superseded (e.g. by a delete)
    return this.withEvent(task, completion.event, row, async () => {
      await this.injected(task.kind, row.id);
      await op(this.driver, row.id, task);
      return (tx) => this.finishState(tx, row.id, row.task_state, { vm_state: completion.vmState, task_state: null, power_state: completion.powerState });
    }, this.revertTask(row));
  }

  /**
   * Whether any fault is injected on this node, refreshed once per lease round by the agent:
   * without faults (the normal case) a driver call costs no extra database round trip.
   */
  faultsPresent = true;

  /** Consults the control API's injected faults for this node: fail, delay or hang. */
  async injected(operation: string, serverId: string): Promise<void> {
    if (!this.faultsPresent) return;
    const f = await faults.takeFault(this.deps.db, this.host, operation, serverId);
    if (!f) return;
    if (f.mode === 'fail') throw new InjectedFault(`Injected fault: ${operation} failed on ${this.host}`);
    if (f.mode === 'delay') { await sleep(f.delay_ms); return; }
    if (f.mode === 'hang') {
      // A wedged hypervisor call: waits until the fault is cleared, bounded by delay_ms (or the task lease).
      const bound = Date.now() + (f.delay_ms > 0 ? f.delay_ms : this.deps.config.taskLease * 1000);
      while (Date.now() < bound) {
        if (!(await faults.faultExists(this.deps.db, f.id))) return;
        await sleep(100);
      }
    }
  }

  private faultsReadAt = -Infinity;
  /** Bumped by faultsChanged(): a read that started before a change must not be cached after it. */
  private faultsGeneration = 0;
  private cachedNodeFault: 'hang' | 'fail' | null = null;

  /**
   * This node's fault on the whole node (operation `lease`): `hang` freezes it, `fail` kills it.
   * Read from the database at most every FAULTS_TTL_MS, and at once after `faultsChanged()`
   * (the control API calls it, in this process or through NOTIFY): the agent's loop asks every
   * round, and a round trip each time was a fifth of a delete's latency on PostgreSQL.
   */
  async nodeFault(): Promise<'hang' | 'fail' | null> {
    if (Date.now() - this.faultsReadAt < FAULTS_TTL_MS) return this.cachedNodeFault;
    const generation = this.faultsGeneration;
    const rows = await faults.listFaults(this.deps.db, this.host);
    const f = rows.find((r) => r.operation === 'lease');
    const nodeFault = f ? (f.mode === 'fail' ? 'fail' : 'hang') : null;
    if (generation !== this.faultsGeneration) return nodeFault; // changed meanwhile: the next round reads again
    this.faultsReadAt = Date.now();
    this.faultsPresent = rows.length > 0;
    this.cachedNodeFault = nodeFault;
    return nodeFault;
  }

  /** Forgets the cached faults: the next round reads them again. */
  faultsChanged(): void {
    this.faultsGeneration++;
    this.faultsReadAt = -Infinity;
    this.faultsPresent = true;
  }

  private async finishState(tx: Executor, id: string, expected: TaskState | null, set: servers.ServerChanges): Promise<void> {
    await servers.casUpdateServer(tx, id, expected, { ...set, updated_at: this.now() });
  }

  /**
   * Runs `work` (the driver call) as an instance-action event (Nova's wrap_instance_event), then
   * commits in ONE transaction what it changed in the database, the finished event, the action's
   * finish time and the task's completion: a crash in between leaves the task to be run again.
   * On failure `onError` writes the failure instead (Nova's ERROR + fault), and the event says Error.
   */
  private async withEvent(task: LeasedTask, event: string, row: ServerRow, work: () => Promise<Writer | void>, onError: (tx: Executor, err: Error) => Promise<void>): Promise<true> {
    const payload = JSON.parse(task.payload) as { actionId?: string; requestId?: string };
    const start = this.now();
    let writer: Writer | void;
    let failure: Error | null = null;
    try {
      writer = await work();
    } catch (e) {
      const err = e as Error;
      if (!(err instanceof InjectedFault) && this.deps.dialect.isUnavailable(err)) throw err; // the database, not the guest: retry the task
      this.deps.log.warn({ server: row.id, event, err: err.message, request_id: payload.requestId }, 'compute operation failed');
      failure = err;
    }
    await this.deps.transact(async (tx) => {
      if (failure) await onError(tx, failure);
      else if (writer) await writer(tx);
      const end = this.now();
      if (payload.actionId) {
        await actions.insertEvent(tx, {
          id: this.deps.ids.sortable(), action_id: payload.actionId, event, start_time: start, finish_time: end, host: this.host,
          result: failure ? 'Error' : 'Success', traceback: failure ? (failure.stack ?? failure.message) : null, details: failure ? failure.message : null,
        });
        await actions.finishAction(tx, payload.actionId, end, failure ? 'Error' : null);
      }
      await finishTask(tx, task.id, task.lease_owner ?? '', 'done', end, failure ? failure.message : null);
    });
    return true;
  }

  private async recordFault(tx: Executor, id: string, expected: TaskState | null, err: Error, set: servers.ServerChanges): Promise<void> {
    const fault = JSON.stringify({ code: 500, message: err.message.slice(0, 255), details: err.stack ?? err.message, created: this.now() });
    await servers.casUpdateServer(tx, id, expected, { ...set, fault, updated_at: this.now() });
  }

  /** Nova's reverts_task_state: the operation failed, the server keeps its vm_state. */
  private revertTask(row: ServerRow) {
    return async (tx: Executor) => { await servers.casUpdateServer(tx, row.id, row.task_state, { task_state: null, updated_at: this.now() }); };
  }

  private async spawn(task: LeasedTask, row: ServerRow): Promise<boolean> {
    // Claim the server for this host; a delete that won the race leaves nothing to build.
    if (row.task_state === 'scheduling') {
      const claimed = await servers.casUpdateServer(this.deps.db, row.id, 'scheduling', { host: this.host, task_state: 'spawning', updated_at: this.now() });
      if (!claimed) return false;
      await bindServerPorts(this.deps, this.deps.db, row.id, this.host);
    } else if (row.task_state !== 'spawning' || row.host !== this.host) {
      return false;
    }
    const spec = await this.guestSpec(row);
    return this.withEvent(task, 'compute_build_and_run_instance', row, async () => {
      await this.injected('spawn', row.id);
      await this.driver.spawn(spec);
      const done = await servers.casUpdateServer(this.deps.db, row.id, 'spawning', { vm_state: 'active', task_state: null, power_state: PowerState.RUNNING, launched_at: this.now(), updated_at: this.now() });
      // Deleted while spawning (B5): Nova's UnexpectedDeletingTaskStateError; the terminate task finishes the job.
      if (!done) await this.driver.destroy(row.id);
    }, (tx, err) => this.recordFault(tx, row.id, 'spawning', err, { vm_state: 'error', task_state: null, power_state: PowerState.NOSTATE }));
  }

  private async terminate(task: LeasedTask, row: ServerRow): Promise<boolean> {
    if (row.task_state !== 'deleting') return false; // not (or no longer) being deleted
    return this.withEvent(task, 'compute_terminate_instance', row, async () => {
      await this.injected('destroy', row.id);
      await this.driver.destroy(row.id);
      // Server row first, then ports: the same lock order as the API's delete (no deadlock), and
      // only if the delete is still ours (a local delete may have finished it meanwhile).
      return async (tx) => {
        if (await servers.markServerDeleted(tx, row.id, this.now(), 'deleted', 'deleting')) await releaseServerPorts(this.deps, tx, row.id);
      };
    }, (tx, err) => this.recordFault(tx, row.id, 'deleting', err, { vm_state: 'error', task_state: null }));
    // B42 on failure: ERROR with a fault; the row stays and a later DELETE starts again.
  }

  private async shelveOffload(task: LeasedTask, row: ServerRow): Promise<boolean> {
    if (row.task_state !== 'shelving_offloading') return false;
    return this.withEvent(task, 'compute_shelve_offload_instance', row, async () => {
      await this.injected('destroy', row.id);
      await this.driver.destroy(row.id);
      return async (tx) => {
        await this.finishState(tx, row.id, 'shelving_offloading', { vm_state: 'shelved_offloaded', task_state: null, power_state: PowerState.SHUTDOWN, host: null });
        await setServerPortsHost(tx, row.id, '', this.now());
      };
    }, this.revertTask(row));
  }

  private async unshelve(task: LeasedTask, row: ServerRow): Promise<boolean> {
    if (row.task_state !== 'unshelving') return false;
    const spec = await this.guestSpec(row);
    return this.withEvent(task, 'compute_unshelve_instance', row, async () => {
      await this.injected('spawn', row.id);
      if ((await this.driver.power(row.id)) === 'missing') {
        await this.driver.spawn(spec);
      } else {
        await this.driver.powerOn(row.id);
      }
      return async (tx) => {
        await this.finishState(tx, row.id, 'unshelving', { vm_state: 'active', task_state: null, power_state: PowerState.RUNNING, host: this.host });
        await bindServerPorts(this.deps, tx, row.id, this.host);
      };
    }, this.revertTask(row));
  }

  /** What the driver needs to run a server: its flavor, and the command the image names (property `stratus_command`). */
  private async guestSpec(row: ServerRow): Promise<GuestSpec> {
    const image = await getImage(this.deps.db, row.image_id);
    return specOf(row, image ? commandOf(image.properties) : undefined);
  }

  /** Hands an in-process driver (fake) the guests this node runs according to the database. */
  async adoptGuests(): Promise<void> {
    const rows = await servers.liveServersOnHost(this.deps.db, this.host);
    const power = (r: ServerRow): GuestPower => (r.power_state === PowerState.RUNNING ? 'running' : r.power_state === PowerState.PAUSED ? 'paused' : r.power_state === PowerState.SUSPENDED ? 'suspended' : 'shutdown');
    const props = await imageProperties(this.deps.db);
    await this.driver.adopt?.(rows.map((r) => ({ spec: specOf(r, commandOf(props.get(r.image_id) ?? '{}')), power: power(r) })));
  }

  /**
   * Nova's _sync_power_states: a guest that died on its own makes its ACTIVE server SHUTOFF.
   * Returns how many servers were corrected.
   */
  async syncPowerStates(): Promise<number> {
    let fixed = 0;
    for (const id of await servers.activeIdleServerIdsOnHost(this.deps.db, this.host)) {
      const p = await this.driver.power(id);
      if (p !== 'shutdown' && p !== 'missing') continue;
      if (await servers.markStoppedIfIdle(this.deps.db, id, this.now())) {
        fixed++;
        this.deps.log.info({ server: id, host: this.host, power: p }, 'guest is not running: server marked SHUTOFF');
      }
    }
    return fixed;
  }


  /** Destroys guests whose servers the database says are gone or elsewhere (a local delete while this node was down). */
  async reapOrphans(): Promise<number> {
    const guests = await this.driver.listGuests();
    if (guests.length === 0) return 0;
    const orphans = await servers.deletedServerIdsOnHost(this.deps.db, this.host, guests);
    for (const id of orphans) await this.driver.destroy(id);
    return orphans.length;
  }

  /** Nova's _reclaim_queued_deletes: soft-deleted servers older than reclaim_instance_interval become hard deletes. */
  async reclaimSoftDeleted(): Promise<void> {
    const interval = this.deps.config.reclaimInstanceInterval;
    if (interval <= 0) return;
    const before = iso(new Date(this.deps.clock.now().getTime() - interval * 1000));
    for (const row of await servers.reclaimableServers(this.deps.db, this.host, before)) {
      try {
        // Claim it first (compare-and-set on "no task"): a restore that got there first wins,
        // and one that comes later finds the server busy instead of a destroyed guest.
        if (!(await servers.casUpdateServer(this.deps.db, row.id, null, { task_state: 'deleting', updated_at: this.now() }))) continue;
        await this.driver.destroy(row.id);
        await this.deps.transact(async (tx) => {
          if (await servers.markReclaimed(tx, row.id, this.now())) await releaseServerPorts(this.deps, tx, row.id);
        });
      } catch (err) {
        this.deps.log.warn({ server: row.id, err: (err as Error).message }, 'reclaim failed');
      }
    }
  }
}

function commandOf(properties: string): string | undefined {
  const c = (JSON.parse(properties) as Record<string, unknown>).stratus_command;
  return typeof c === 'string' ? c : undefined;
}

function specOf(row: ServerRow, command: string | undefined): GuestSpec {
  const flavor = JSON.parse(row.flavor) as { vcpus?: number; ram?: number; disk?: number };
  return { id: row.id, name: row.name, vcpus: flavor.vcpus ?? 1, ramMb: flavor.ram ?? 0, diskGb: flavor.disk ?? 0, imageId: row.image_id, command };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
