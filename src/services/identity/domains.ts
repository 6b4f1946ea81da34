import type { Caller, Deps } from '../context.js';
import * as repo from '../../db/repositories/identity.repository.js';
import { isUniqueViolation } from '../../db/dialects/index.js';
import { domainNotFound, identityForbidden, storeConflict } from '../../domain/identity-errors.js';
import { authorizeIdentity } from './admin-access.js';
import type { DomainRow } from './identity.view.js';
import type { TokenService } from './tokens.js';

async function findOr404(deps: Deps, id: string): Promise<DomainRow> {
  const d = await repo.findDomain(deps.db, { id });
  if (!d) throw domainNotFound(id);
  return d;
}

export async function showDomain(deps: Deps, caller: Caller, id: string): Promise<DomainRow> {
  const d = await findOr404(deps, id);
  await authorizeIdentity(deps, caller, 'identity:get_domain', { 'target.domain.id': d.id });
  return d;
}

export async function listDomains(
  deps: Deps,
  caller: Caller,
  f: { name?: string; enabled?: boolean },
): Promise<DomainRow[]> {
  await authorizeIdentity(deps, caller, 'identity:list_domains');
  return repo.listDomains(deps.db, f);
}

export async function createDomain(
  deps: Deps,
  caller: Caller,
  input: { name: string; description?: string | null; enabled?: boolean },
): Promise<DomainRow> {
  await authorizeIdentity(deps, caller, 'identity:create_domain');
  const id = deps.ids.uuid().replace(/-/g, '');
  try {
    await repo.insertDomain(deps.db, {
      id,
      name: input.name,
      description: input.description ?? '',
      enabled: input.enabled === false ? 0 : 1,
    });
  } catch (err) {
    // Keystone's domains are projects acting as domains, hence its wording.
    if (isUniqueViolation(err))
      throw storeConflict(
        'project',
        `it is not permitted to have two projects acting as domains with the same name: ${input.name}`,
      );
    throw err;
  }
  return findOr404(deps, id);
}

export async function updateDomain(
  deps: Deps,
  tokens: TokenService,
  caller: Caller,
  id: string,
  patch: { name?: string; description?: string | null; enabled?: boolean },
): Promise<DomainRow> {
  const d = await findOr404(deps, id);
  await authorizeIdentity(deps, caller, 'identity:update_domain', { 'target.domain.id': d.id });
  const set: Parameters<typeof repo.updateDomain>[2] = {};
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.description !== undefined) set.description = patch.description ?? '';
  if (patch.enabled !== undefined) set.enabled = patch.enabled ? 1 : 0;
  if (Object.keys(set).length > 0) {
    try {
      // Disabling a domain ends its users' tokens: the cache cannot tell a user's domain, so all go.
      await tokens.invalidating(
        () => true,
        () => repo.updateDomain(deps.db, id, set),
      );
    } catch (err) {
      if (isUniqueViolation(err))
        throw storeConflict(
          'project',
          `it is not permitted to have two projects acting as domains with the same name: ${patch.name}`,
        );
      throw err;
    }
  }
  return findOr404(deps, id);
}

export async function deleteDomain(deps: Deps, caller: Caller, id: string): Promise<void> {
  const d = await findOr404(deps, id);
  await authorizeIdentity(deps, caller, 'identity:delete_domain', { 'target.domain.id': d.id });
  if (d.enabled) throw identityForbidden('Cannot delete a domain that is enabled, please disable it first.');
  // Keystone deletes the domain's projects and users with it; Stratus refuses instead, so that
  // servers and quotas are never left behind a project deleted by accident.
  if (await repo.domainInUse(deps.db, id))
    throw identityForbidden(`Cannot delete the domain ${id} while it holds projects or users; delete them first.`);
  if ((await repo.deleteDomain(deps.db, id)) === 0) throw domainNotFound(id);
}
