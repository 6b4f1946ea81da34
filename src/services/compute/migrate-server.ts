/**
 * migrate (cold) and os-migrateLive (nova/api/openstack/compute/migrate_server.py, compute/api.py
 * `resize` without a flavor and `live_migrate`), and /servers/{id}/migrations
 * (server_migrations.py: list, show, force_complete, abort).
 *
 * A cold migration is a resize to the same flavor on another node (migration_type `migration`):
 * the resize handlers do the nodes' work and it ends in VERIFY_RESIZE. A live migration
 * (migration_type `live-migration`) is queued -> preparing -> running -> completed and ends
 * ACTIVE on the destination; src/agent/live-migration-handlers.ts does its halves.
 */
import type { Caller, Deps } from '../context.js';
import { authorize } from '../access.js';
import { findServer, serviceIsUp } from './access.js';
import { recordAction } from './record-action.js';
import { enqueueMoveTask, moveRecord } from './move-task.js';
import { upComputeServices } from './services.js';
import { serverForCheck } from './server-actions.js';
import { claimTask } from './resize.js';
import * as servers from '../../db/repositories/servers.repository.js';
import * as migrations from '../../db/repositories/migrations.repository.js';
import * as svcRepo from '../../db/repositories/services.repository.js';
import { iso } from '../../domain/clock.js';
import { LIFECYCLE, checkAction } from '../../domain/lifecycle.js';
import {
  invalid,
  invalidState,
  serverLocked,
  migrationNotFoundForInstance,
  liveMigrationNotFound,
} from '../../domain/errors.js';
import type { TaskRow } from '../../tasks/queue.js';

export type MigrationRow = migrations.MigrationRow;

/** Live migrations in these statuses are "in progress" for /servers/{id}/migrations (server_migrations.py). */
export const LIVE_IN_PROGRESS = ['queued', 'preparing', 'running', 'post-migrating'];

const noValidHost = (reason: string) => invalid(`No valid host was found. ${reason}`);

/**
 * The destination: the named host (it must be a compute service, not the source, up and
 * enabled), else the least loaded other up node with room. Nova's scheduler never picks the
 * source for a move (only a resize with allow_resize_to_same_host may stay).
 */
async function destination(
  deps: Deps,
  row: servers.ServerRow,
  host: string | undefined,
  msgs: { sameHost: string; none: string },
): Promise<string> {
  const ram = (JSON.parse(row.flavor) as { ram?: number }).ram ?? 0;
  if (host !== undefined) {
    const svc = await svcRepo.getComputeService(deps.db, host);
    // ComputeHostNotFound is a 400 in both controllers.
    if (!svc) throw invalid(`Compute host ${host} could not be found.`);
    if (host === row.host) throw invalid(msgs.sameHost);
    if (svc.disabled || !serviceIsUp(deps, svc)) throw noValidHost(msgs.none);
    return host;
  }
  const others = (await upComputeServices(deps)).filter(
    (s) => s.host !== row.host && (s.memory_mb === 0 || s.memory_mb >= ram),
  );
  if (others.length === 0) throw noValidHost(msgs.none);
  const count = await servers.liveServerCounts(
    deps.db,
    others.map((s) => s.host),
  );
  others.sort((a, b) => (count.get(a.host) ?? 0) - (count.get(b.host) ?? 0));
  return others[0].host;
}

/** `{"migrate": null}` or (2.56) `{"migrate": {"host": …}}`: 202; the move ends in VERIFY_RESIZE. */
export async function migrateServer(deps: Deps, caller: Caller, id: string, host: string | undefined): Promise<void> {
  const spec = LIFECYCLE.migrate;
  const row = await findServer(deps.db, caller, id);
  const target = { project_id: row.project_id, user_id: row.user_id };
  authorize(deps, caller, host !== undefined ? `${spec.rule}:host` : spec.rule, target);
  checkAction('migrate', serverForCheck(row), caller.isAdmin);
  const dest = await destination(deps, row, host, {
    sameHost: 'Cannot migrate to the host where the server exists.',
    none: 'No valid host found for cold migrate',
  });
  const now = iso(deps.clock.now());
  const task = await deps.transact(async (tx) => {
    await claimTask(tx, row, spec.setsTaskState!, spec.novaAction, !caller.isAdmin, now);
    const mig = await migrations.insertMigration(tx, {
      ...moveRecord(deps, row, dest, now),
      migration_type: 'migration',
      status: 'pre-migrating',
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

export interface LiveMigrateRequest {
  host: string | null;
  /** Accepted and recorded by Nova; Stratus moves the guest the same way either way. */
  blockMigration: boolean | 'auto';
  force: boolean;
}

/** os-migrateLive: 202; task_state migrating until the guest runs on the destination. */
export async function liveMigrateServer(
  deps: Deps,
  caller: Caller,
  id: string,
  req: LiveMigrateRequest,
): Promise<void> {
  const spec = LIFECYCLE.liveMigrate;
  const row = await findServer(deps.db, caller, id);
  const target = { project_id: row.project_id, user_id: row.user_id };
  authorize(deps, caller, req.host ? `${spec.rule}:host` : spec.rule, target);
  checkAction('liveMigrate', serverForCheck(row), caller.isAdmin);
  const dest = await destination(deps, row, req.host ?? undefined, {
    sameHost: `Unable to migrate instance (${row.id}) to current host (${row.host}).`,
    none: 'There are not enough hosts available.',
  });
  const now = iso(deps.clock.now());
  const task = await deps.transact(async (tx) => {
    await claimTask(tx, row, spec.setsTaskState!, spec.novaAction, !caller.isAdmin, now);
    const mig = await migrations.insertMigration(tx, {
      ...moveRecord(deps, row, dest, now),
      migration_type: 'live-migration',
      status: 'queued',
    });
    // Nova's instance action for it is `live-migration`.
    return enqueueMoveTask(deps, tx, caller, row.id, {
      action: 'live-migration',
      kind: spec.task!,
      host: row.host!,
      migrationId: mig.id,
    });
  });
  deps.tasks.dispatch([task]);
}

const invalidMigrationState = (m: MigrationRow, serverId: string, method: string) =>
  invalid(
    `Migration ${m.id} state of instance ${serverId} is ${m.status}. Cannot ${method} while the migration is in this state.`,
  );

async function migrationOfServer(deps: Deps, serverId: string, migrationId: string) {
  if (!/^\d+$/.test(migrationId)) return undefined;
  const n = Number(migrationId);
  // An id no migration can have is not found before the query: PostgreSQL refuses a bound
  // integer out of its 32-bit range (an error, not "no row"), and a huge number loses digits.
  if (!Number.isSafeInteger(n) || n > 0x7fffffff) return undefined;
  const m = await migrations.getMigration(deps.db, n);
  return m && m.server_id === serverId ? m : undefined;
}

/** GET /servers/{id}/migrations (2.23): the server's live migrations in progress. */
export async function listServerMigrations(deps: Deps, caller: Caller, id: string): Promise<MigrationRow[]> {
  const row = await findServer(deps.db, caller, id);
  authorize(deps, caller, 'os_compute_api:servers:migrations:index', { project_id: row.project_id });
  const rows = await migrations.listMigrations(deps.db, { serverId: row.id, migrationType: 'live-migration' });
  return rows.filter((m) => LIVE_IN_PROGRESS.includes(m.status)).reverse();
}

/** GET /servers/{id}/migrations/{migration_id} (2.23), with server_migrations.py's three 404s. */
export async function showServerMigration(deps: Deps, caller: Caller, id: string, migrationId: string) {
  const row = await findServer(deps.db, caller, id);
  authorize(deps, caller, 'os_compute_api:servers:migrations:show', { project_id: row.project_id });
  const m = await migrationOfServer(deps, row.id, migrationId);
  if (!m) throw liveMigrationNotFound(migrationId, row.id, 'missing');
  if (m.migration_type !== 'live-migration') throw liveMigrationNotFound(migrationId, row.id, 'not-live');
  if (!LIVE_IN_PROGRESS.includes(m.status)) throw liveMigrationNotFound(migrationId, row.id, 'not-in-progress');
  return m;
}

/**
 * force_complete (2.22): Nova's live_migrate_force_complete (lock, vm_state ACTIVE, task_state
 * MIGRATING; the migration must be running). Stratus' live migration does not copy memory
 * rounds, so there is nothing to hurry: the call is checked, recorded and answered 202.
 */
export async function forceCompleteMigration(deps: Deps, caller: Caller, id: string, migrationId: string) {
  const row = await findServer(deps.db, caller, id);
  authorize(deps, caller, 'os_compute_api:servers:migrations:force_complete', { project_id: row.project_id });
  if (row.locked_by !== null && !caller.isAdmin) throw serverLocked(row.id);
  if (row.vm_state !== 'active') throw invalidState('force_complete', row.id, 'vm_state', row.vm_state);
  if (row.task_state !== 'migrating') throw invalidState('force_complete', row.id, 'task_state', row.task_state);
  const m = await migrationOfServer(deps, row.id, migrationId);
  if (!m) throw migrationNotFoundForInstance(migrationId, row.id, 'invalid');
  if (m.status !== 'running') throw invalidMigrationState(m, row.id, 'force complete');
  await deps.transact(async (tx) => {
    await recordAction(deps, tx, caller, row.id, 'live_migration_force_complete', { finished: true });
  });
}

/**
 * DELETE /servers/{id}/migrations/{migration_id} (2.24): Nova's live_migrate_abort (lock,
 * task_state MIGRATING; `running`, and from 2.65 also `queued`/`preparing`). The migration is
 * `cancelled`, the server stays ACTIVE on its source, and a destination that may have started
 * the guest drops it.
 */
export async function abortMigration(
  deps: Deps,
  caller: Caller,
  id: string,
  migrationId: string,
  abortQueued: boolean,
): Promise<void> {
  const row = await findServer(deps.db, caller, id);
  authorize(deps, caller, 'os_compute_api:servers:migrations:delete', { project_id: row.project_id });
  if (row.locked_by !== null && !caller.isAdmin) throw serverLocked(row.id);
  if (row.task_state !== 'migrating') throw invalidState('abort live migration', row.id, 'task_state', row.task_state);
  const m = await migrationOfServer(deps, row.id, migrationId);
  if (!m) throw migrationNotFoundForInstance(migrationId, row.id, 'not-found');
  const allowed = abortQueued ? ['running', 'queued', 'preparing'] : ['running'];
  if (m.migration_type !== 'live-migration' || !allowed.includes(m.status))
    throw invalidMigrationState(m, row.id, 'abort live migration');
  const now = iso(deps.clock.now());
  let task: TaskRow | undefined;
  await deps.transact(async (tx) => {
    task = undefined;
    if (!(await migrations.casMigrationStatus(tx, m.id, allowed, 'cancelled', now)))
      throw invalidMigrationState((await migrations.getMigration(tx, m.id)) ?? m, row.id, 'abort live migration');
    await servers.casUpdateServer(tx, row.id, 'migrating', { task_state: null, updated_at: now });
    await recordAction(deps, tx, caller, row.id, 'live_migration_abort', { finished: true });
    const dest = m.dest_compute;
    if (
      m.status !== 'queued' &&
      dest &&
      dest !== row.host &&
      serviceIsUp(deps, await svcRepo.getComputeService(tx, dest))
    )
      task = await deps.tasks.enqueue(tx, {
        kind: LIFECYCLE.confirmResize.task!,
        serverId: row.id,
        host: dest,
        payload: { requestId: caller.requestId, migrationId: m.id, cleanup: true },
      });
  });
  deps.tasks.dispatch([task]);
}
