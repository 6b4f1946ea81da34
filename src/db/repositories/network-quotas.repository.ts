import type { Executor } from '../executor.js';

/** A project's overridden Neutron limits, by resource. */
export async function projectLimits(ex: Executor, projectId: string): Promise<Map<string, number>> {
  const rows = await ex
    .selectFrom('network_quotas')
    .select(['resource', 'hard_limit'])
    .where('project_id', '=', projectId)
    .execute();
  return new Map(rows.map((r) => [r.resource, Number(r.hard_limit)]));
}

export async function setLimit(
  ex: Executor,
  projectId: string,
  resource: string,
  limit: number,
  nowIso: string,
): Promise<void> {
  await ex
    .insertInto('network_quotas')
    .values({ project_id: projectId, resource, hard_limit: limit, updated_at: nowIso })
    .onConflict((oc) => oc.columns(['project_id', 'resource']).doUpdateSet({ hard_limit: limit, updated_at: nowIso }))
    .execute();
}

/** Back to the defaults (Neutron's delete_tenant_quota). */
export async function deleteLimits(ex: Executor, projectId: string): Promise<void> {
  await ex.deleteFrom('network_quotas').where('project_id', '=', projectId).execute();
}

/** Every override, for GET /quotas (the projects Neutron lists). */
export async function allLimits(
  ex: Executor,
): Promise<Array<{ project_id: string; resource: string; hard_limit: number }>> {
  const rows = await ex
    .selectFrom('network_quotas')
    .select(['project_id', 'resource', 'hard_limit'])
    .orderBy('project_id')
    .orderBy('resource')
    .execute();
  return rows.map((r) => ({ ...r, hard_limit: Number(r.hard_limit) }));
}
