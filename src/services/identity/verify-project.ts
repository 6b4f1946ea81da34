import type { Deps } from '../context.js';
import * as identity from '../../db/repositories/identity.repository.js';

/** Whether a project exists (what Nova asks Keystone, GET /v3/projects/{id}, before quota calls). */
export async function projectExists(deps: Deps, projectId: string): Promise<boolean> {
  return (await identity.findProject(deps.db, { id: projectId })) !== undefined;
}
