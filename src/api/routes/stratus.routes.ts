import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../compute/context.js';
import { authorize } from '../../compute/access.js';
import * as faults from '../../db/repositories/faults.repository.js';
import { ping } from '../../db/repositories/identity.repository.js';
import { DomainError } from '../../domain/errors.js';
import { notifyFaults } from '../../db/dialects/notify.js';
import { iso } from '../../domain/clock.js';
import { callerOf } from '../app.js';
import { RouteTable } from '../routing.js';
import type { Metrics } from '../metrics.js';

const RULE = 'stratus:control:faults';

/** Stratus' own endpoints: health, metrics, and the admin-only fault-injection control API. */
export function registerStratusRoutes(app: FastifyInstance, deps: Deps, metrics: Metrics): void {
  const r = new RouteTable(app);
  r.add('GET', '/stratus/health', async () => {
    await ping(deps.db);
    return { status: 'ok' };
  }, { public: true });
  r.add('GET', '/stratus/metrics', async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  }, { public: true });

  r.add('GET', '/stratus/v1/faults', async (request) => {
    const caller = callerOf(request);
    authorize(deps, caller, RULE, { project_id: caller.projectId });
    const rows = await faults.listFaults(deps.db, (request.query as { host?: string }).host);
    return { faults: rows };
  });
  r.add('POST', '/stratus/v1/faults', async (request, reply) => {
    const caller = callerOf(request);
    authorize(deps, caller, RULE, { project_id: caller.projectId });
    const b = (request.body as { fault: { host: string; server_id?: string | null; operation: string; mode: string; count?: number | null; delay_ms?: number } }).fault;
    const row = {
      id: deps.ids.uuid(), host: b.host, server_id: b.server_id ?? null, operation: b.operation, mode: b.mode,
      remaining: b.count ?? null, delay_ms: b.delay_ms ?? 0, created_at: iso(deps.clock.now()),
    };
    await faults.insertFault(deps.db, row);
    await faultsChanged(deps, row.host);
    reply.code(201);
    return { fault: row };
  }, {
    schema: {
      body: {
        type: 'object', required: ['fault'], additionalProperties: false,
        properties: {
          fault: {
            type: 'object', required: ['host', 'operation', 'mode'], additionalProperties: false,
            properties: {
              host: { type: 'string', minLength: 1, maxLength: 255 }, server_id: { type: ['string', 'null'], maxLength: 64 },
              operation: { enum: ['destroy', 'spawn', 'power_off', 'power_on', 'reboot', 'pause', 'unpause', 'suspend', 'resume', 'shelve', 'restore', 'soft_delete', 'lease'] },
              mode: { enum: ['fail', 'delay', 'hang'] }, count: { type: ['integer', 'null'], minimum: 1 }, delay_ms: { type: 'integer', minimum: 0, maximum: 600000 },
            },
          },
        },
      },
    },
  });
  r.add('DELETE', '/stratus/v1/faults', async (request, reply) => {
    const caller = callerOf(request);
    authorize(deps, caller, RULE, { project_id: caller.projectId });
    const host = (request.query as { host?: string }).host;
    await faults.deleteFaults(deps.db, { host });
    await faultsChanged(deps, host || null); // no host (or an empty one): every host's faults went
    reply.code(204);
    return null;
  });
  r.add('DELETE', '/stratus/v1/faults/:id', async (request, reply) => {
    const caller = callerOf(request);
    authorize(deps, caller, RULE, { project_id: caller.projectId });
    const n = await faults.deleteFaults(deps.db, { id: (request.params as { id: string }).id });
    if (n === 0) throw new DomainError('not-found', 'FaultNotFound', 'Fault could not be found.');
    await faultsChanged(deps, null);
    reply.code(204);
    return null;
  });
  r.finish();
}

/** Agents cache their faults: tell the local ones, and (PostgreSQL) the ones in other processes. */
async function faultsChanged(deps: Deps, host: string | null): Promise<void> {
  deps.faultsChanged(host);
  await notifyFaults(deps.db, deps.dialect, host);
}
