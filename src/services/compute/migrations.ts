/** GET /os-migrations (nova/api/openstack/compute/migrations.py, nova/policies/migrations.py). */
import type { Caller, Deps } from '../context.js';
import { allowed, authorize } from '../access.js';
import * as migrations from '../../db/repositories/migrations.repository.js';
import { invalid } from '../../domain/errors.js';

export type MigrationRow = migrations.MigrationRow;

export interface MigrationListQuery {
  host?: string;
  status?: string;
  instanceUuid?: string;
  migrationType?: string;
  sourceCompute?: string;
  /** 2.59 */
  changesSince?: string;
  /** 2.66 */
  changesBefore?: string;
  /** 2.80 */
  userId?: string;
  projectId?: string;
  limit?: number;
  /** 2.59: a migration uuid. */
  marker?: string;
}

const ISO = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Nova's date-time query format check ("Invalid input for query parameters <name>…"). */
function time(name: string, value: string): string {
  const t = ISO.test(value) ? Date.parse(value.replace(' ', 'T')) : Number.NaN;
  if (Number.isNaN(t))
    throw invalid(`Invalid input for query parameters ${name}. Value: ${value}. '${value}' is not a 'date-time'`);
  return new Date(t).toISOString();
}

export interface MigrationList {
  rows: MigrationRow[];
  /** Whether the caller sees the host fields (os-migrations:index:host; else they are null). */
  showHosts: boolean;
}

export async function listMigrations(deps: Deps, caller: Caller, q: MigrationListQuery): Promise<MigrationList> {
  authorize(deps, caller, 'os_compute_api:os-migrations:index', { project_id: caller.projectId });
  const since = q.changesSince !== undefined ? time('changes-since', q.changesSince) : undefined;
  const before = q.changesBefore !== undefined ? time('changes-before', q.changesBefore) : undefined;
  if (since && before && before < since)
    throw invalid('The value of changes-since must be less than or equal to changes-before.');
  // Nova 2024.1+: without index:all_projects a caller sees its own project's migrations only.
  const allProjects = allowed(deps, caller, 'os_compute_api:os-migrations:index:all_projects', {
    project_id: caller.projectId,
  });
  let marker: { createdAt: string; id: number } | undefined;
  if (q.marker !== undefined) {
    const m = await migrations.getMigrationByUuid(deps.db, q.marker);
    if (!m || (!allProjects && m.project_id !== caller.projectId))
      throw invalid(`Marker ${q.marker} could not be found.`);
    marker = { createdAt: m.created_at, id: m.id };
  }
  const rows = await migrations.listMigrations(deps.db, {
    host: q.host,
    status: q.status,
    serverId: q.instanceUuid,
    migrationType: q.migrationType,
    sourceCompute: q.sourceCompute,
    changesSince: since,
    changesBefore: before,
    userId: q.userId,
    projectId: allProjects ? q.projectId : caller.projectId,
    before: marker,
    limit: q.limit,
  });
  return {
    rows,
    showHosts: allowed(deps, caller, 'os_compute_api:os-migrations:index:host', { project_id: caller.projectId }),
  };
}
