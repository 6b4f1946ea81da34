/**
 * Server metadata (nova/api/openstack/compute/server_metadata.py over compute API
 * update_instance_metadata / delete_instance_metadata): read by readers, written by members,
 * only in the states the lifecycle table's updateMetadata / deleteMetadata rows allow.
 */
import type { Executor } from '../../db/executor.js';
import { projectLimits } from './quotas.js';
import type { Caller, Deps } from '../context.js';
import { authorize } from '../access.js';
import { findServer } from './access.js';
import * as repo from '../../db/repositories/server-metadata.repository.js';
import type { ServerRow } from '../../db/repositories/servers.repository.js';
import { iso } from '../../domain/clock.js';
import {
  DomainError,
  invalid,
  invalidStateGeneric,
  metadataItemNotFound,
  metadataLimitExceeded,
  serverNotFound,
} from '../../domain/errors.js';
import { LIFECYCLE, checkAction, type ServerAction } from '../../domain/lifecycle.js';

const POLICY = (action: string) => `os_compute_api:server-metadata:${action}`;

/**
 * Nova's _check_metadata_properties_quota: more items than the project's metadata_items quota
 * (Nova's default 128; -1 unlimited) is a 403.
 */
export async function checkMetadataQuota(
  deps: Deps,
  ex: Executor,
  projectId: string,
  metadata: Record<string, string>,
): Promise<void> {
  const allowed = (await projectLimits(deps, ex, projectId)).metadata_items;
  if (allowed >= 0 && Object.keys(metadata).length > allowed) throw metadataLimitExceeded(allowed);
}

/**
 * The lifecycle check of a metadata or tag action. Nova's raise_http_conflict_for_instance_invalid_state
 * falls back to its generic text when the state is None (a server that never launched), so that
 * case says "is in an invalid state for '<action>'".
 */
export function checkServerState(action: ServerAction, row: ServerRow, isAdmin: boolean): void {
  try {
    checkAction(
      action,
      {
        id: row.id,
        vmState: row.vm_state,
        taskState: row.task_state,
        locked: row.locked_by !== null,
        launchedAt: row.launched_at,
        host: row.host,
      },
      isAdmin,
    );
  } catch (e) {
    if (e instanceof DomainError && e.code === 'InstanceInvalidState' && e.details?.state === null)
      throw invalidStateGeneric(LIFECYCLE[action].novaAction, row.id);
    throw e;
  }
}

const metadataOf = (row: ServerRow): Record<string, string> => JSON.parse(row.metadata) as Record<string, string>;

export async function listMetadata(deps: Deps, caller: Caller, id: string): Promise<Record<string, string>> {
  const row = await findServer(deps.db, caller, id);
  authorize(deps, caller, POLICY('index'), { project_id: row.project_id });
  return metadataOf(row);
}

export async function showMetadataItem(
  deps: Deps,
  caller: Caller,
  id: string,
  key: string,
): Promise<Record<string, string>> {
  const row = await findServer(deps.db, caller, id);
  authorize(deps, caller, POLICY('show'), { project_id: row.project_id });
  const metadata = metadataOf(row);
  if (!Object.hasOwn(metadata, key)) throw metadataItemNotFound();
  return { [key]: metadata[key] };
}

/**
 * POST /metadata merges ('create'), PUT /metadata replaces ('update_all'), PUT /metadata/{key}
 * sets one item ('update', whose body must name the key of the URL). Returns the server's
 * metadata after the change (Nova's update answers with the item it was given).
 */
export async function updateMetadata(
  deps: Deps,
  caller: Caller,
  id: string,
  mode: 'create' | 'update_all' | 'update',
  metadata: Record<string, string>,
  urlKey?: string,
): Promise<Record<string, string>> {
  const found = await findServer(deps.db, caller, id);
  authorize(deps, caller, POLICY(mode), { project_id: found.project_id });
  if (mode === 'update' && !Object.hasOwn(metadata, urlKey ?? '')) throw invalid('Request body and URI mismatch');
  return deps.transact(async (tx) => {
    const row = await repo.getServerForUpdate(tx, found.id);
    if (!row) throw serverNotFound(id);
    checkServerState('updateMetadata', row, caller.isAdmin);
    const next = mode === 'update_all' ? { ...metadata } : { ...metadataOf(row), ...metadata };
    await checkMetadataQuota(deps, tx, row.project_id, next);
    await repo.setServerMetadata(tx, row.id, next, iso(deps.clock.now()));
    return next;
  });
}

export async function deleteMetadataItem(deps: Deps, caller: Caller, id: string, key: string): Promise<void> {
  const found = await findServer(deps.db, caller, id);
  authorize(deps, caller, POLICY('delete'), { project_id: found.project_id });
  await deps.transact(async (tx) => {
    const row = await repo.getServerForUpdate(tx, found.id);
    if (!row) throw serverNotFound(id);
    const metadata = metadataOf(row);
    // Nova parity: a missing key is 404 before the lock and state are looked at.
    if (!Object.hasOwn(metadata, key)) throw metadataItemNotFound();
    checkServerState('deleteMetadata', row, caller.isAdmin);
    delete metadata[key];
    await repo.setServerMetadata(tx, row.id, metadata, iso(deps.clock.now()));
  });
}
