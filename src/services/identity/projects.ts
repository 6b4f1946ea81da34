import type { Caller, Deps } from '../context.js';
import * as repo from '../../db/repositories/identity.repository.js';

export interface ProjectRef {
  id: string;
  name: string;
  domain_id: string;
}

/**
 * The projects the caller may scope a token to (`GET /v3/auth/projects`). A Stratus token is
 * scoped to one project and a user holds roles in that one only, so it is the token's project.
 */
export async function callerProjects(deps: Deps, caller: Caller): Promise<ProjectRef[]> {
  const p = await repo.findProject(deps.db, { id: caller.projectId });
  return p ? [{ id: p.id, name: p.name, domain_id: p.domain_id }] : [];
}
