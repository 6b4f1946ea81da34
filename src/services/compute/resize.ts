/**
 * resize, confirmResize and revertResize (nova/compute/api.py `resize`, `confirm_resize`,
 * `revert_resize`): checked against the lifecycle table, recorded as a Migration, handed to the
 * compute nodes (src/agent/migration-handlers.ts does their halves).
 */
import { volumeBackedRoot } from './boot-volumes.js';
import type { Caller, Deps } from '../context.js';
import { authorize } from '../access.js';
import { findServer } from './access.js';
import { enqueueMoveTask, moveRecord } from './move-task.js';
import { usableFlavor } from './flavors.js';
import { upComputeServices } from './services.js';
import { checkQuota } from './quotas.js';
import { serverForCheck } from './server-actions.js';
import * as servers from '../../db/repositories/servers.repository.js';
import * as migrations from '../../db/repositories/migrations.repository.js';
import { iso } from '../../domain/clock.js';
import { LIFECYCLE, checkAction } from '../../domain/lifecycle.js';
import { invalid, invalidState, serverLocked } from '../../domain/errors.js';
import type { Executor } from '../../db/executor.js';

export type MigrationRow = migrations.MigrationRow;

/** The flavor snapshot a server keeps (the same shape server create writes). */
export function flavorSnapshot(f: {
  id: string;
  name: string;
  vcpus: number;
  ram: number;
  disk: number;
  ephemeral: number;
  swap: number;
  extra_specs: string;
}): string {
  return JSON.stringify({
    id: f.id,
    name: f.name,
    vcpus: f.vcpus,
    ram: f.ram,
    disk: f.disk,
    ephemeral: f.ephemeral,
    swap: f.swap,
    extra_specs: JSON.parse(f.extra_specs),
  });
}

const lastSegment = (href: string) => href.replace(/\/+$/, '').split('/').pop() ?? href;

/** 400 "Instance has not been resized." (servers.py, MigrationNotFound on confirm/revert). */
const notResized = () => invalid('Instance has not been resized.');

/**
 * The destination: another enabled, up compute node with room for the flavor (the least loaded
 * first), else the server's own node when allow_resize_to_same_host is on (Nova's scheduler
 * ignores the source host otherwise).
 */
async function pickDestination(deps: Deps, source: string, ram: number): Promise<string | undefined> {
  const svcs = (await upComputeServices(deps)).filter((s) => s.memory_mb === 0 || s.memory_mb >= ram);
  const others = svcs.filter((s) => s.host !== source);
  if (others.length > 0) {
    const count = await servers.liveServerCounts(
      deps.db,
      others.map((s) => s.host),
    );
    others.sort((a, b) => (count.get(a.host) ?? 0) - (count.get(b.host) ?? 0));
    return others[0].host;
  }
  if (deps.config.allowResizeToSameHost && svcs.some((s) => s.host === source)) return source;
  return undefined;
}

export async function resizeServer(deps: Deps, caller: Caller, id: string, flavorRef: string): Promise<void> {
  const spec = LIFECYCLE.resize;
  const row = await findServer(deps.db, caller, id);
  authorize(deps, caller, spec.rule, { project_id: row.project_id, user_id: row.user_id });
  checkAction('resize', serverForCheck(row), caller.isAdmin);
  const flavorId = lastSegment(flavorRef);
  const next = await usableFlavor(deps, caller, flavorId);
  // Nova: FlavorNotFound, CannotResizeToSameFlavor and CannotResizeDisk are 400s with their own text.
  if (!next) throw invalid(`Flavor ${flavorId} could not be found.`);
  const current = JSON.parse(row.flavor) as { id?: string; vcpus?: number; ram?: number; disk?: number };
  if (String(current.id ?? row.flavor_id) === next.id) throw invalid('When resizing, instances must change flavor!');
  const oldDisk = current.disk ?? 0;
  // Nova: a volume-backed server's root disk is its volume, the flavor's root_gb does not apply.
  const volumeBacked = !!(await volumeBackedRoot(deps, row.id));
  if (!volumeBacked && next.disk === 0 && oldDisk !== 0)
    throw invalid('Server disk was unable to be resized because: Resize to zero disk flavor is not allowed.');
  // Stratus refuses a shrink up front; Nova's libvirt driver refuses it on the node ("Unable to resize disk down.").
  if (!volumeBacked && next.disk < oldDisk)
    throw invalid('Server disk was unable to be resized because: Unable to resize disk down.');
  const dest = await pickDestination(deps, row.host!, next.ram);
  if (!dest) throw invalid('No valid host was found. No valid host found for resize');
  const now = iso(deps.clock.now());
  const task = await deps.transact(async (tx) => {
    await checkUpsizeQuota(deps, tx, row, current, next);
    await claimTask(tx, row, spec.setsTaskState!, 'resize', !caller.isAdmin, now);
    const mig = await migrations.insertMigration(tx, {
      ...moveRecord(deps, row, dest, now),
      migration_type: 'resize',
      status: 'pre-migrating',
      new_flavor_id: next.id,
      new_flavor: flavorSnapshot(next),
    });
    return enqueueMoveTask(deps, tx, caller, row.id, {
      action: spec.novaAction,
      kind: spec.task!,
      host: row.host!,
      migrationId: mig.id,
    });
  });
  deps.tasks.dispatch([task]);
}

/** Compare-and-set of the task_state from "none"; a lock or another action that landed meanwhile wins. */
export async function claimTask(
  tx: Executor,
  row: servers.ServerRow,
  taskState: NonNullable<servers.ServerRow['task_state']>,
  novaAction: string,
  expectUnlocked: boolean,
  now: string,
): Promise<void> {
  const ok = await servers.casUpdateServer(
    tx,
    row.id,
    null,
    { task_state: taskState, updated_at: now },
    { expectUnlocked },
  );
  if (ok) return;
  const cur = await servers.getServer(tx, row.id);
  if (cur && cur.locked_by !== null && expectUnlocked) throw serverLocked(row.id);
  throw invalidState(novaAction, row.id, 'task_state', cur?.task_state ?? null);
}

/** confirmResize: 204; the source node drops the old guest (the migration goes confirming -> confirmed). */
export async function confirmResize(deps: Deps, caller: Caller, id: string): Promise<void> {
  const spec = LIFECYCLE.confirmResize;
  const row = await findServer(deps.db, caller, id);
  authorize(deps, caller, spec.rule, { project_id: row.project_id, user_id: row.user_id });
  checkAction('confirmResize', serverForCheck(row), caller.isAdmin);
  const mig = await migrations.serverMigrationIn(deps.db, row.id, ['finished']);
  if (!mig) throw notResized();
  const now = iso(deps.clock.now());
  const task = await deps.transact(async (tx) => {
    if (!(await migrations.casMigrationStatus(tx, mig.id, ['finished'], 'confirming', now))) throw notResized();
    return enqueueMoveTask(deps, tx, caller, row.id, {
      action: spec.novaAction,
      kind: spec.task!,
      host: mig.source_compute ?? row.host!,
      migrationId: mig.id,
    });
  });
  deps.tasks.dispatch([task]);
}

/** revertResize: 202; REVERT_RESIZE while the destination drops its guest and the source boots the old one. */
export async function revertResize(deps: Deps, caller: Caller, id: string): Promise<void> {
  const spec = LIFECYCLE.revertResize;
  const row = await findServer(deps.db, caller, id);
  authorize(deps, caller, spec.rule, { project_id: row.project_id, user_id: row.user_id });
  checkAction('revertResize', serverForCheck(row), caller.isAdmin);
  const mig = await migrations.serverMigrationIn(deps.db, row.id, ['finished']);
  if (!mig) throw notResized();
  const now = iso(deps.clock.now());
  const task = await deps.transact(async (tx) => {
    // Nova's revert_resize checks _check_quota_for_upsize too: going back to the old flavor may grow.
    await checkUpsizeQuota(deps, tx, row, JSON.parse(row.flavor), JSON.parse(mig.old_flavor));
    await claimTask(tx, row, spec.setsTaskState!, spec.novaAction, !caller.isAdmin, now);
    if (!(await migrations.casMigrationStatus(tx, mig.id, ['finished'], 'reverting', now))) throw notResized();
    return enqueueMoveTask(deps, tx, caller, row.id, {
      action: spec.novaAction,
      kind: spec.task!,
      host: row.host!,
      migrationId: mig.id,
    });
  });
  deps.tasks.dispatch([task]);
}

/**
 * Nova's _check_quota_for_upsize: only what grows counts (the server already holds `from`),
 * against the limits of the server's project and of its owner (ids_from_instance).
 */
async function checkUpsizeQuota(
  deps: Deps,
  tx: Executor,
  server: { project_id: string; user_id: string },
  from: { vcpus?: number; ram?: number },
  to: { vcpus?: number; ram?: number },
): Promise<void> {
  const dCores = (to.vcpus ?? 0) - (from.vcpus ?? 0);
  const dRam = (to.ram ?? 0) - (from.ram ?? 0);
  if (dCores > 0) await checkQuota(deps, tx, server.project_id, 'cores', dCores, undefined, server.user_id);
  if (dRam > 0) await checkQuota(deps, tx, server.project_id, 'ram', dRam, undefined, server.user_id);
}
