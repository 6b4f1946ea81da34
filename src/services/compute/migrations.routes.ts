import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../context.js';
import { listMigrations, type MigrationRow } from './migrations.js';
import { novaUsecTime } from '../../domain/clock.js';
import { nonNegativeInteger } from './admin-reads.schemas.js';
import { callerOf, baseUrl } from '../../http/request.js';
import { atLeast } from '../../http/microversion.js';
import { scalar, type Query } from '../../http/query.js';
import { RouteTable } from '../../http/route-table.js';

/** Live migrations in these statuses carry links (migrations.py live_migration_in_progress). */
const LIVE_IN_PROGRESS = ['queued', 'preparing', 'running', 'post-migrating'];

/** Nova shows the flavors' integer ids; Stratus' flavor ids are strings, numeric ones shown as numbers. */
const flavorId = (id: string) => (/^\d+$/.test(id) ? Number(id) : id);

function render(request: FastifyRequest, m: MigrationRow, showHosts: boolean) {
  const host = (v: string | null) => (showHosts ? v : null);
  const out: Record<string, unknown> = {
    created_at: novaUsecTime(m.created_at),
    dest_compute: host(m.dest_compute),
    dest_host: host(m.dest_host),
    dest_node: host(m.dest_node),
    id: m.id,
    instance_uuid: m.server_id,
    new_instance_type_id: flavorId(m.new_flavor_id),
    old_instance_type_id: flavorId(m.old_flavor_id),
    source_compute: host(m.source_compute),
    source_node: host(m.source_node),
    status: m.status,
    updated_at: m.updated_at ? novaUsecTime(m.updated_at) : null,
  };
  if (atLeast(request.mv, 23)) {
    out.migration_type = m.migration_type;
    if (m.migration_type === 'live-migration' && LIVE_IN_PROGRESS.includes(m.status)) {
      const base = baseUrl(request);
      out.links = [
        { href: `${base}/v2.1/servers/${m.server_id}/migrations/${m.id}`, rel: 'self' },
        { href: `${base}/servers/${m.server_id}/migrations/${m.id}`, rel: 'bookmark' },
      ];
    }
  }
  if (atLeast(request.mv, 59)) out.uuid = m.uuid;
  if (atLeast(request.mv, 80)) {
    out.user_id = m.user_id;
    out.project_id = m.project_id;
  }
  return out;
}

export function registerMigrationRoutes(app: FastifyInstance, deps: Deps): void {
  const r = new RouteTable(app, ['/v2.1', '/v2.1/:project_id']);
  r.add('GET', '/os-migrations', async (request) => {
    const q = request.query as Query;
    const last = (k: string) => scalar(q, k);
    const paged = atLeast(request.mv, 59);
    const limit = paged ? nonNegativeInteger(q, 'limit') : undefined;
    const { rows, showHosts } = await listMigrations(deps, callerOf(request), {
      host: last('host'),
      status: last('status'),
      instanceUuid: last('instance_uuid'),
      migrationType: last('migration_type'),
      sourceCompute: last('source_compute'),
      // Before 2.59 Nova drops changes-since (and before 2.66 changes-before) instead of filtering.
      changesSince: paged ? last('changes-since') : undefined,
      changesBefore: atLeast(request.mv, 66) ? last('changes-before') : undefined,
      userId: atLeast(request.mv, 80) ? last('user_id') : undefined,
      projectId: atLeast(request.mv, 80) ? last('project_id') : undefined,
      limit: limit === undefined ? undefined : Math.min(limit, 1000),
      marker: paged ? last('marker') : undefined,
    });
    const body: Record<string, unknown> = { migrations: rows.map((m) => render(request, m, showHosts)) };
    // Nova's _get_collection_links: a next link when the page is as long as the limit.
    if (paged && limit !== undefined && rows.length > 0 && rows.length === limit) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(q)) if (k !== 'marker' && typeof v === 'string') params.set(k, v);
      params.set('marker', rows[rows.length - 1].uuid);
      body.migrations_links = [{ href: `${baseUrl(request)}/v2.1/os-migrations?${params}`, rel: 'next' }];
    }
    return body;
  });
  r.finish();
}
