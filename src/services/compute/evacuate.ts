/**
 * evacuate (nova/api/openstack/compute/evacuate.py, compute/api.py `evacuate`): the server of a
 * node that is down is rebuilt on another node. The API checks the request as Nova's controller
 * does, writes REBUILDING and a Migration of type `evacuation` (status `accepted`: Nova's
 * "tombstone" the source finds when it comes back) and hands the rebuild to the destination
 * (src/agent/evacuate-handlers.ts). The source's agent drops its guest at start-up
 * (src/agent/evacuated-guests.ts, Nova's _destroy_evacuated_instances).
 */
import { randomBytes } from 'node:crypto';
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
import { invalid, evacuateHostNotFound, computeServiceInUse } from '../../domain/errors.js';

export interface EvacuateRequest {
  host: string | null;
  /** Before 2.14 (onSharedStorage): the disk is kept, so no new password may be given. */
  onSharedStorage: boolean | null;
  adminPass: string | null;
  /** 2.29 to 2.67: go to the named host without the scheduler's checks (a disabled host is taken). */
  force: boolean;
  /** 2.95: the evacuated server is left STOPPED, whatever it was. */
  targetStopped: boolean;
}

/** Nova's utils.generate_password: 12 characters. */
const generatePassword = () => randomBytes(9).toString('base64url').slice(0, 12);

/** Nova: "No valid host was found." from the conductor, recorded on the server, not answered. */
const NO_VALID_HOST = 'No valid host was found. There are not enough hosts available.';

/**
 * Returns the password the rebuilt guest gets (the route answers it before 2.14), or null
 * (on shared storage before 2.14: the disk, and its password, are kept).
 */
export async function evacuateServer(
  deps: Deps,
  caller: Caller,
  id: string,
  req: EvacuateRequest,
): Promise<string | null> {
  const spec = LIFECYCLE.evacuate;
  const row = await findServer(deps.db, caller, id);
  authorize(deps, caller, spec.rule, { project_id: row.project_id, user_id: row.user_id });
  // The controller's checks, in its order.
  if (req.force && !req.host) throw invalid("Can't force to a non-provided destination");
  let password: string | null;
  if (req.onSharedStorage === null) password = req.adminPass ?? generatePassword();
  else if (req.adminPass !== null) {
    if (req.onSharedStorage) throw invalid("admin password can't be changed on existing disk");
    password = req.adminPass;
  } else password = req.onSharedStorage ? null : generatePassword();
  const named = req.host !== null ? await svcRepo.getComputeService(deps.db, req.host) : undefined;
  if (req.host !== null && !named) throw evacuateHostNotFound(req.host);
  if (row.host === req.host) throw invalid("The target host can't be the same one.");
  // API.evacuate: the state check, then the source must be down (ComputeServiceInUse is a 400).
  checkAction('evacuate', serverForCheck(row), caller.isAdmin);
  if (serviceIsUp(deps, await svcRepo.getComputeService(deps.db, row.host ?? ''))) throw computeServiceInUse(row.host);

  const dest = await destination(deps, row, named, req.force);
  const now = iso(deps.clock.now());
  const task = await deps.transact(async (tx) => {
    await claimTask(tx, row, spec.setsTaskState!, spec.novaAction, false, now);
    const mig = await migrations.insertMigration(tx, {
      ...moveRecord(deps, row, dest ?? req.host, now),
      migration_type: 'evacuation',
      status: 'accepted',
    });
    if (!dest) {
      // The conductor's NoValidHost: 200 all the same; the server keeps its state with a fault
      // and no task, the migration is `error` (conductor/manager.py rebuild_instance).
      await recordAction(deps, tx, caller, row.id, spec.novaAction, { finished: true });
      await migrations.casMigrationStatus(tx, mig.id, ['accepted'], 'error', now);
      const fault = JSON.stringify({ code: 400, message: NO_VALID_HOST, details: '', created: now });
      await servers.casUpdateServer(tx, row.id, spec.setsTaskState!, { task_state: null, fault, updated_at: now });
      return undefined;
    }
    return enqueueMoveTask(deps, tx, caller, row.id, {
      action: spec.novaAction,
      kind: spec.task!,
      host: dest,
      migrationId: mig.id,
      payload: { stopped: req.targetStopped || row.vm_state === 'stopped' },
    });
  });
  deps.tasks.dispatch([task]);
  return password;
}

/**
 * The destination: the named host when it is up (and enabled, unless forced), else none; without
 * a name the least loaded other up, enabled node with room for the flavor (Nova's scheduler).
 */
async function destination(
  deps: Deps,
  row: servers.ServerRow,
  named: Awaited<ReturnType<typeof svcRepo.getComputeService>>,
  force: boolean,
): Promise<string | undefined> {
  if (named) return serviceIsUp(deps, named) && (force || !named.disabled) ? named.host : undefined;
  const ram = (JSON.parse(row.flavor) as { ram?: number }).ram ?? 0;
  const others = (await upComputeServices(deps)).filter(
    (s) => s.host !== row.host && (s.memory_mb === 0 || s.memory_mb >= ram),
  );
  if (others.length === 0) return undefined;
  const count = await servers.liveServerCounts(
    deps.db,
    others.map((s) => s.host),
  );
  others.sort((a, b) => (count.get(a.host) ?? 0) - (count.get(b.host) ?? 0));
  return others[0].host;
}
