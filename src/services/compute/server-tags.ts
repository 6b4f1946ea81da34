/**
 * Server tags (nova/api/openstack/compute/server_tags.py, 2.26+): read by readers, written by
 * members in the vm_states of the lifecycle table's tag rows; at most 50 per server.
 */
import type { Caller, Deps } from '../context.js';
import { authorize } from '../access.js';
import { findServer } from './access.js';
import { checkServerState } from './server-metadata.js';
import { MAX_TAG_COUNT, tagProblem } from './server-metadata.schemas.js';
import * as tagsRepo from '../../db/repositories/server-tags.repository.js';
import { getServerForUpdate } from '../../db/repositories/server-metadata.repository.js';
import { instanceTagNotFound, invalidTag, serverHasNoTag, serverNotFound, tooManyTags } from '../../domain/errors.js';
import { LIFECYCLE, type ServerAction } from '../../domain/lifecycle.js';
import type { Executor } from '../../db/executor.js';

export type { TagFilters } from '../../db/repositories/server-tags.repository.js';

/** Nova's tag order: unique, sorted (the tags table's primary key order). */
const normalized = (tags: string[]) => [...new Set(tags)].sort();

export async function listTags(deps: Deps, caller: Caller, id: string): Promise<string[]> {
  const row = await findServer(deps.db, caller, id);
  authorize(deps, caller, 'os_compute_api:os-server-tags:index', { project_id: row.project_id });
  return tagsRepo.tagsOfServer(deps.db, row.id);
}

/** GET /tags/{tag}: returns when the server has it, 404 otherwise. */
export async function checkTag(deps: Deps, caller: Caller, id: string, tag: string): Promise<void> {
  const row = await findServer(deps.db, caller, id);
  authorize(deps, caller, 'os_compute_api:os-server-tags:show', { project_id: row.project_id });
  if (!(await tagsRepo.tagsOfServer(deps.db, row.id)).includes(tag)) throw serverHasNoTag(row.id, tag);
}

/**
 * Scope, then the action's rule, then, in one transaction with the server's row locked, the
 * state check and `write`.
 */
async function writeTags<T>(
  deps: Deps,
  caller: Caller,
  id: string,
  action: ServerAction,
  write: (tx: Executor, serverId: string) => Promise<T>,
): Promise<T> {
  const found = await findServer(deps.db, caller, id);
  authorize(deps, caller, LIFECYCLE[action].rule, { project_id: found.project_id });
  return deps.transact(async (tx) => {
    const row = await getServerForUpdate(tx, found.id);
    if (!row) throw serverNotFound(id);
    checkServerState(action, row, caller.isAdmin);
    return write(tx, row.id);
  });
}

/** PUT /tags: the server's tags become `tags` (schema-checked); returns them. */
export async function replaceTags(deps: Deps, caller: Caller, id: string, tags: string[]): Promise<string[]> {
  const next = normalized(tags);
  await writeTags(deps, caller, id, 'updateTags', (tx, serverId) => tagsRepo.replaceTags(tx, serverId, next));
  return next;
}

/** PUT /tags/{tag}: 'created', or 'exists' when the server already had it. */
export async function addTag(deps: Deps, caller: Caller, id: string, tag: string): Promise<'created' | 'exists'> {
  return writeTags(deps, caller, id, 'updateTag', async (tx, serverId) => {
    // Nova's order: the state, then the tag (it comes from the URL), then the count, which is
    // checked even when the tag is already there.
    const problem = tagProblem(tag);
    if (problem) throw invalidTag(tag, problem);
    const current = await tagsRepo.tagsOfServer(tx, serverId);
    if (current.length >= MAX_TAG_COUNT) throw tooManyTags(MAX_TAG_COUNT);
    if (current.includes(tag)) return 'exists';
    return (await tagsRepo.addTag(tx, serverId, tag)) ? 'created' : 'exists';
  });
}

export async function deleteTag(deps: Deps, caller: Caller, id: string, tag: string): Promise<void> {
  await writeTags(deps, caller, id, 'deleteTag', async (tx, serverId) => {
    if (!(await tagsRepo.deleteTag(tx, serverId, tag))) throw instanceTagNotFound(serverId, tag);
  });
}

export async function deleteAllTags(deps: Deps, caller: Caller, id: string): Promise<void> {
  await writeTags(deps, caller, id, 'deleteTags', (tx, serverId) => tagsRepo.deleteAllTags(tx, serverId));
}

/** The tags of servers being rendered (the server view's `tags`, 2.26+). */
export async function tagsOfServers(deps: Deps, serverIds: string[]): Promise<Map<string, string[]>> {
  return tagsRepo.tagsOfServers(deps.db, serverIds);
}

/** Tags given at create (2.52+), written in the create's transaction. */
export async function setInitialTags(tx: Executor, serverId: string, tags: string[]): Promise<void> {
  await tagsRepo.replaceTags(tx, serverId, normalized(tags));
}
