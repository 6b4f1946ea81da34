import type { Caller, Deps } from './context.js';
import { credentialsOf } from './context.js';
import type { Executor } from '../../db/executor.js';
import * as servers from '../../db/repositories/servers.repository.js';
import { policyRefused, serverNotFound } from '../../domain/errors.js';

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

/**
 * Scope before policy: a malformed id or a server outside the caller's project is "not found"
 * (404), exactly as Nova's project-filtered lookup. Admins see every project.
 */
export async function findServer(ex: Executor, caller: Caller, id: string, opts: { readDeleted?: boolean } = {}) {
  const uuid = canonicalUuid(id);
  if (!uuid) throw serverNotFound(id);
  const row = await servers.getServer(ex, uuid, {
    projectId: caller.isAdmin ? undefined : caller.projectId,
    readDeleted: opts.readDeleted,
  });
  if (!row) throw serverNotFound(id);
  return row;
}

/** A compute service counts as up when it is not forced down and has sent a heartbeat within service_down_time. */
export function serviceIsUp(deps: Deps, svc: { forced_down: number; last_seen_at: string } | undefined): boolean {
  if (!svc || svc.forced_down) return false;
  return deps.clock.now().getTime() - Date.parse(svc.last_seen_at) <= deps.config.serviceDownTime * 1000;
}
