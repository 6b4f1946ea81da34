import type { Caller, Deps } from '../context.js';
import { credentialsOf } from '../context.js';
import { actionForbidden } from '../../domain/errors.js';
import * as repo from '../../db/repositories/identity.repository.js';

/**
 * Keystone's policy check for the admin API. The credentials are Nova's plus what Keystone's rules
 * read of the token (`token.project.domain.id`); the target is Keystone's flat
 * `target.<entity>.<attribute>` dictionary. A refusal is Keystone's 403 ForbiddenAction naming the rule.
 */
export async function authorizeIdentity(
  deps: Deps,
  caller: Caller,
  rule: string,
  target: Record<string, string | undefined> = {},
): Promise<void> {
  const creds: Record<string, unknown> = { ...credentialsOf(caller) };
  if (deps.policy.allows(rule, target, creds as never)) return;
  // Only a rule that reads the token's project domain needs the lookup.
  if (caller.projectId) {
    const p = await repo.findProject(deps.db, { id: caller.projectId });
    if (p) {
      creds.token = { project: { domain: { id: p.domain_id } } };
      if (deps.policy.allows(rule, target, creds as never)) return;
    }
  }
  throw actionForbidden(rule);
}

/** The domain a caller creates in when it names none (Keystone: the token's project's domain). */
export async function callerDomainId(deps: Deps, caller: Caller): Promise<string> {
  const p = caller.projectId ? await repo.findProject(deps.db, { id: caller.projectId }) : undefined;
  return p?.domain_id ?? 'default';
}

/** Keystone's query_filter_is_true: `0` and `false` (any case) are false, anything else true. */
export function queryBool(v: string): boolean {
  return !['0', 'false'].includes(v.toLowerCase());
}
