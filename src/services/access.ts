import type { Caller, Deps } from './context.js';
import { credentialsOf } from './context.js';
import { policyRefused } from '../domain/errors.js';

/**
 * What every service's use cases share: Nova's UUID rule and the policy check. Service-specific
 * lookups (a server in scope, a compute service up) stay in their service.
 */

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** Nova's uuidutils.is_uuid_like, then the canonical lower-case dashed form. */
export function canonicalUuid(id: string): string | null {
  if (!UUID_RE.test(id)) return null;
  const h = id.replace(/-/g, '').toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Policy check; a refusal names the rule (403). */
export function authorize(
  deps: Deps,
  caller: Caller,
  rule: string,
  target: { project_id: string; user_id?: string },
): void {
  if (!deps.policy.allows(rule, target, credentialsOf(caller))) throw policyRefused(rule);
}

export function allowed(
  deps: Deps,
  caller: Caller,
  rule: string,
  target: { project_id: string; user_id?: string } = { project_id: caller.projectId },
): boolean {
  return deps.policy.allows(rule, target, credentialsOf(caller));
}
