import { detachServerVolumes } from './volume-handlers.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ComputeDriver } from '../drivers/driver.js';
import * as servers from '../db/repositories/servers.repository.js';
import * as tasksRepo from '../db/repositories/tasks.repository.js';
import { releaseServerPorts } from '../services/network/ports.js';
import { removeMember } from '../db/repositories/server-groups.repository.js';
import * as migrations from '../db/repositories/migrations.repository.js';
import * as shelve from '../db/repositories/shelve.repository.js';
import { iso } from '../domain/clock.js';
import type { AgentDeps } from './agent-deps.js';

/** Nova's periodic tasks of a compute node (nova/compute/manager.py), each run on its own. */
export class PeriodicJobs {
  constructor(
    private readonly deps: AgentDeps,
    private readonly driver: ComputeDriver,
    private readonly host: string,
    private readonly metrics?: Metrics,
  ) {}

  private now(): string {
    return iso(this.deps.clock.now());
  }

  /** One round: one job failing must not stop the others. */
  async runAll(): Promise<void> {
    await this.job('reap orphans', async () => {
      const reaped = await this.reapOrphans();
      if (reaped > 0) {
        this.metrics?.orphansReaped.inc({ host: this.host }, reaped);
        this.deps.log.info({ host: this.host, reaped }, 'destroyed orphaned guests');
      }
    });
    await this.job('reclaim soft deletes', () => this.reclaimSoftDeleted());
    await this.job('confirm resizes', () => this.confirmResizes());
    await this.job('offload shelved', () => this.offloadShelved());
    await this.job('power-state sync', async () => {
      const synced = await this.syncPowerStates();
      if (synced > 0) this.metrics?.powerSynced.inc({ host: this.host }, synced);
    });
    if (this.metrics)
      await this.job('queue depth', async () => this.metrics!.queueDepth.set(await tasksRepo.queueDepth(this.deps.db)));
  }

  private async job(name: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message, host: this.host, job: name }, 'periodic task failed');
    }
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

  /** Nova's _cleanup_running_deleted_instances: destroys guests whose servers the database says are gone or elsewhere (a local delete while this node was down). */
  async reapOrphans(): Promise<number> {
    const guests = await this.driver.listGuests();
    if (guests.length === 0) return 0;
    const gone = await servers.deletedServerIdsOnHost(this.deps.db, this.host, guests);
    // A resize source keeps its guest (stopped) elsewhere than the server's host until confirm or revert.
    const moving = await migrations.movingServerIds(this.deps.db, this.host, gone);
    const orphans = gone.filter((id) => !moving.has(id));
    for (const id of orphans) await this.driver.destroy(id);
    return orphans.length;
  }

  /**
   * Nova's _poll_unconfirmed_resizes: a resize in VERIFY_RESIZE for longer than
   * resize_confirm_window seconds (0: never) is confirmed by its destination node, as the API's
   * confirmResize would (the source drops the old guest).
   */
  async confirmResizes(): Promise<void> {
    const window = this.deps.config.resizeConfirmWindow;
    if (!window || window <= 0) return;
    const before = iso(new Date(this.deps.clock.now().getTime() - window * 1000));
    for (const mig of await migrations.unconfirmedResizes(this.deps.db, this.host, before)) {
      const task = await this.deps.transact(async (tx) => {
        if (!(await migrations.casMigrationStatus(tx, mig.id, ['finished'], 'confirming', this.now())))
          return undefined;
        return this.deps.tasks.enqueue(tx, {
          kind: 'confirm_resize',
          serverId: mig.server_id,
          host: mig.source_compute ?? this.host,
          payload: { migrationId: mig.id },
        });
      });
      this.deps.tasks.dispatch([task]);
      this.deps.log.info({ server: mig.server_id, migration: mig.id }, 'automatically confirmed a resize');
    }
  }

  /**
   * Nova's _poll_shelved_instances: with shelved_offload_time N > 0, a SHELVED server whose
   * shelve finished more than N seconds ago is offloaded by this node (task_state
   * shelving_offloading, compare-and-set on "no task": an unshelve or a delete that got there
   * first wins), as shelveOffload would. 0 offloads at once in the shelve itself, -1 never.
   */
  async offloadShelved(): Promise<void> {
    const after = this.deps.config.shelvedOffloadTime;
    if (after <= 0) return;
    const before = iso(new Date(this.deps.clock.now().getTime() - after * 1000));
    for (const row of await shelve.shelvedServersToOffload(this.deps.db, this.host, before)) {
      const task = await this.deps.transact(async (tx) => {
        if (
          !(await servers.casUpdateServer(tx, row.id, null, {
            task_state: 'shelving_offloading',
            updated_at: this.now(),
          }))
        )
          return undefined;
        return this.deps.tasks.enqueue(tx, {
          kind: 'shelve_offload',
          serverId: row.id,
          host: this.host,
          payload: {},
        });
      });
      this.deps.tasks.dispatch([task]);
      if (task) this.deps.log.info({ server: row.id, host: this.host }, 'offloading a shelved server');
    }
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
        if (
          !(await servers.casUpdateServer(this.deps.db, row.id, null, {
            task_state: 'deleting',
            updated_at: this.now(),
          }))
        )
          continue;
        await this.driver.destroy(row.id);
        // Reclaimed as a delete: its volumes are detached and released too (docs/delete-server.md B63).
        const volumes = await detachServerVolumes({ deps: this.deps, driverFor: () => this.driver }, row.id);
        await this.deps.transact(async (tx) => {
          if (await servers.markReclaimed(tx, row.id, this.now())) {
            await releaseServerPorts(this.deps, tx, row.id);
            await removeMember(tx, row.id); // reclaimed: it leaves its server group
            await volumes.release(tx);
          }
        });
        await volumes.afterCommit();
      } catch (err) {
        this.deps.log.warn({ server: row.id, err: (err as Error).message }, 'reclaim failed');
      }
    }
  }
}
