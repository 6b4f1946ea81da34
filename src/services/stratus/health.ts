import type { Deps } from '../context.js';
import { ping } from '../../db/repositories/identity.repository.js';

/** Healthy means the database answers; a failure surfaces as the fault mapper's 503. */
export async function checkHealth(deps: Deps): Promise<{ status: 'ok' }> {
  await ping(deps.db);
  return { status: 'ok' };
}
