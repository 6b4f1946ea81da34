import type { ServerGroupView } from './server-groups.js';

/**
 * The server group view of nova/api/openstack/compute/server_groups.py _format_server_group:
 * `policies` (a one-item list) and an always empty `metadata` before 2.64, `policy` and `rules`
 * from 2.64; project_id and user_id from 2.13; members are the servers not deleted.
 */
export function renderServerGroup(g: ServerGroupView, o: { v213: boolean; v264: boolean }): Record<string, unknown> {
  const out: Record<string, unknown> = { id: g.id, name: g.name };
  if (o.v264) {
    out.policy = g.policy;
    out.rules = g.rules;
  } else {
    out.policies = [g.policy];
    out.metadata = {};
  }
  out.members = g.members;
  if (o.v213) {
    out.project_id = g.project_id;
    out.user_id = g.user_id;
  }
  return out;
}
