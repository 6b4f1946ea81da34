import type { Caller, Deps } from '../context.js';
import * as repo from '../../db/repositories/identity.repository.js';
import { isUniqueViolation } from '../../db/dialects/index.js';
import { unauthorized } from '../../domain/errors.js';
import {
  domainNotFound,
  duplicateName,
  identityInvalid,
  projectNotFound,
  userNotFound,
} from '../../domain/identity-errors.js';
import { authorizeIdentity, callerDomainId } from './admin-access.js';
import { checkCredentials, dummyHash, hashPassword } from './passwords.js';
import type { TokenService } from './tokens.js';
import type { UserRow } from './identity.view.js';

const target = (u: { id: string; domain_id: string }) => ({
  'target.user.id': u.id,
  'target.user.domain_id': u.domain_id,
});

async function findOr404(deps: Deps, id: string): Promise<UserRow> {
  const u = await repo.findUser(deps.db, { id });
  if (!u) throw userNotFound(id);
  return u;
}

export async function showUser(deps: Deps, caller: Caller, id: string): Promise<UserRow> {
  const u = await findOr404(deps, id);
  await authorizeIdentity(deps, caller, 'identity:get_user', target(u));
  return u;
}

export async function listUsers(
  deps: Deps,
  caller: Caller,
  f: { name?: string; domainId?: string; enabled?: boolean },
): Promise<UserRow[]> {
  await authorizeIdentity(deps, caller, 'identity:list_users', { 'target.domain_id': f.domainId });
  return repo.listUsers(deps.db, f);
}

export interface UserInput {
  name: string;
  domain_id?: string;
  default_project_id?: string | null;
  enabled?: boolean;
  password?: string | null;
  extra: Record<string, unknown>;
}

/** Keystone checks a default project exists and lives in the user's domain. */
async function checkDefaultProject(deps: Deps, projectId: string | null | undefined, domainId: string) {
  if (!projectId) return;
  const p = await repo.findProject(deps.db, { id: projectId });
  if (!p) throw projectNotFound(projectId);
  if (p.domain_id !== domainId) throw identityInvalid("The user's default project must be in the user's domain.");
}

export async function createUser(deps: Deps, caller: Caller, input: UserInput): Promise<UserRow> {
  const domainId = input.domain_id ?? (await callerDomainId(deps, caller));
  await authorizeIdentity(deps, caller, 'identity:create_user', { 'target.user.domain_id': domainId });
  if (!(await repo.findDomain(deps.db, { id: domainId }))) throw domainNotFound(domainId);
  await checkDefaultProject(deps, input.default_project_id, domainId);
  // No password: nobody can log in as this user until one is set (Keystone stores none).
  const hash = input.password ? await hashPassword(input.password) : await dummyHash();
  const id = deps.ids.uuid().replace(/-/g, '');
  try {
    await repo.insertUser(deps.db, {
      id,
      name: input.name,
      domain_id: domainId,
      password_hash: hash,
      default_project_id: input.default_project_id ?? null,
      enabled: input.enabled === false ? 0 : 1,
      extra: JSON.stringify(input.extra),
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicateName('user', input.name, domainId);
    throw err;
  }
  return findOr404(deps, id);
}

export interface UserPatch {
  name?: string;
  domain_id?: string;
  default_project_id?: string | null;
  enabled?: boolean;
  password?: string | null;
  extra: Record<string, unknown>;
}

export async function updateUser(
  deps: Deps,
  tokens: TokenService,
  caller: Caller,
  id: string,
  patch: UserPatch,
): Promise<UserRow> {
  const u = await findOr404(deps, id);
  await authorizeIdentity(deps, caller, 'identity:update_user', target(u));
  if (patch.domain_id !== undefined && patch.domain_id !== u.domain_id)
    throw identityInvalid('Cannot change Domain ID');
  await checkDefaultProject(deps, patch.default_project_id, u.domain_id);
  const set: Parameters<typeof repo.updateUser>[2] = {};
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.default_project_id !== undefined) set.default_project_id = patch.default_project_id;
  if (patch.enabled !== undefined) set.enabled = patch.enabled ? 1 : 0;
  if (Object.keys(patch.extra).length > 0) set.extra = JSON.stringify({ ...JSON.parse(u.extra), ...patch.extra });
  if (Object.keys(set).length > 0) {
    try {
      // Disabling a user ends its tokens (validation reads the flag; the cache is dropped here).
      await tokens.invalidating(
        (i) => i.userId === id,
        () => repo.updateUser(deps.db, id, set),
      );
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicateName('user', patch.name ?? u.name, u.domain_id);
      throw err;
    }
  }
  // A new password moves the password generation: every token of the user stops validating.
  if (patch.password) await tokens.changePassword(id, patch.password);
  return findOr404(deps, id);
}

export async function deleteUser(deps: Deps, tokens: TokenService, caller: Caller, id: string): Promise<void> {
  const u = await findOr404(deps, id);
  await authorizeIdentity(deps, caller, 'identity:delete_user', target(u));
  const n = await tokens.invalidating(
    (i) => i.userId === id,
    () => deps.transact((tx) => repo.deleteUser(tx, id)),
  );
  if (n === 0) throw userNotFound(id);
}

/**
 * POST /v3/users/{id}/password: self-service, no token needed (Keystone's unenforced API); the
 * original password is the proof. A wrong one or an unknown user is the same 401 (Keystone:
 * "Error when changing user password", shown as the generic 401 outside insecure_debug), and
 * costs the same one scrypt either way.
 */
export async function changeOwnPassword(
  deps: Deps,
  tokens: TokenService,
  userId: string,
  original: string,
  password: string,
  source: string,
): Promise<void> {
  if (!(await tokens.verifyPassword(userId, original, source))) throw unauthorized();
  await tokens.changePassword(userId, password);
}
