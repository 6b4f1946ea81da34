/** /servers/{id}/migrations (nova/api/openstack/compute/server_migrations.py). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../context.js';
import {
  abortMigration,
  forceCompleteMigration,
  listServerMigrations,
  showServerMigration,
  type MigrationRow,
} from './migrate-server.js';
import { novaUsecTime } from '../../domain/clock.js';
import { invalid, noSuchAction, resourceNotFound } from '../../domain/errors.js';
import { callerOf } from '../../http/request.js';
import { atLeast } from '../../http/microversion.js';
import { RouteTable } from '../../http/route-table.js';
import { pyRepr } from './nova-validation.js';

/** server_migrations.py output(): Stratus does not measure the copy, so the byte counts are null. */
function render(request: FastifyRequest, m: MigrationRow) {
  const out: Record<string, unknown> = {
    created_at: novaUsecTime(m.created_at),
    dest_compute: m.dest_compute,
    dest_host: m.dest_host,
    dest_node: m.dest_node,
    disk_processed_bytes: null,
    disk_remaining_bytes: null,
    disk_total_bytes: null,
    id: m.id,
    memory_processed_bytes: null,
    memory_remaining_bytes: null,
    memory_total_bytes: null,
    server_uuid: m.server_id,
    source_compute: m.source_compute,
    source_node: m.source_node,
    status: m.status,
    updated_at: m.updated_at ? novaUsecTime(m.updated_at) : null,
  };
  if (atLeast(request.mv, 59)) out.uuid = m.uuid;
  if (atLeast(request.mv, 80)) {
    out.user_id = m.user_id;
    out.project_id = m.project_id;
  }
  return out;
}

type Params = { server_id: string; id: string };

export function registerServerMigrationRoutes(app: FastifyInstance, deps: Deps): void {
  const r = new RouteTable(app, ['/v2.1', '/v2.1/:project_id']);
  // Nova answers a method below its microversion with a plain 404.
  const since = (request: FastifyRequest, n: number) => {
    if (!atLeast(request.mv, n)) throw resourceNotFound();
  };
  r.add('GET', '/servers/:server_id/migrations', async (request) => {
    since(request, 23);
    const { server_id } = request.params as Params;
    const rows = await listServerMigrations(deps, callerOf(request), server_id);
    return { migrations: rows.map((m) => render(request, m)) };
  });
  r.add('GET', '/servers/:server_id/migrations/:id', async (request) => {
    since(request, 23);
    const { server_id, id } = request.params as Params;
    return { migration: render(request, await showServerMigration(deps, callerOf(request), server_id, id)) };
  });
  r.add('DELETE', '/servers/:server_id/migrations/:id', async (request, reply) => {
    since(request, 24);
    const { server_id, id } = request.params as Params;
    await abortMigration(deps, callerOf(request), server_id, id, atLeast(request.mv, 65));
    reply.code(202);
    return reply.send();
  });
  r.add('POST', '/servers/:server_id/migrations/:id/action', async (request, reply) => {
    since(request, 22);
    const { server_id, id } = request.params as Params;
    const body = request.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalid('Malformed request body');
    const keys = Object.keys(body);
    if (keys.length !== 1) throw invalid('Malformed request body');
    if (keys[0] !== 'force_complete') throw noSuchAction(keys[0]);
    // schemas/server_migrations.py force_complete: {"force_complete": null}.
    if (body.force_complete !== null)
      throw invalid(
        `Invalid input for field/attribute force_complete. Value: ${pyRepr(body.force_complete)}. ${pyRepr(body.force_complete)} is not of type 'null'`,
      );
    await forceCompleteMigration(deps, callerOf(request), server_id, id);
    reply.code(202);
    return reply.send();
  });
  r.finish();
}
