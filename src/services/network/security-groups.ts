import type { Caller, Deps } from '../context.js';
import { invalid } from '../../domain/errors.js';

/** The group every project has (Neutron creates it with the project's first port). */
export const DEFAULT_SECURITY_GROUP = 'default';

/**
 * The security groups a server create names, resolved as Nova resolves them through Neutron
 * (nova/network/neutron.py _get_security_group_ids: by name or id among the project's groups,
 * else SecurityGroupNotFound, which servers.create answers with 400). Stratus has no security
 * groups yet, so each project holds only `default`; the security-groups feature replaces this
 * lookup with one over its table and keeps the signature.
 */
export async function resolveSecurityGroups(_deps: Deps, _caller: Caller, names: string[]): Promise<string[]> {
  for (const name of names) {
    if (name !== DEFAULT_SECURITY_GROUP) throw invalid(`Security group ${name} not found.`);
  }
  return names.length ? names : [DEFAULT_SECURITY_GROUP];
}
