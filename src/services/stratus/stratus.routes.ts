import type { FastifyInstance } from 'fastify';
import type { Deps } from '../context.js';
import { addFault, clearFaults, listFaults, removeFault, type FaultInput } from './fault-injection.js';
import { checkHealth } from './health.js';
import { serverTimeline } from '../compute/instance-actions.js';
import { renderTimeline } from './timeline.view.js';
import { callerOf } from '../../http/request.js';
import { RouteTable } from '../../http/route-table.js';
import type { Metrics } from '../../metrics/metrics.js';
import { allTenantsFlag, scalar, type Query } from '../../http/query.js';
import { shuttingDown, watchScope, type ServerEvents } from './server-events.js';

/** Stratus' own endpoints: health, metrics, and the admin-only fault-injection control API. */
export function registerStratusRoutes(app: FastifyInstance, deps: Deps, metrics: Metrics, events: ServerEvents): void {
  const r = new RouteTable(app);
  // Open streams would hold up the server's close: end them first.
  app.addHook('preClose', async () => events.close());
  r.add('GET', '/stratus/health', async () => checkHealth(deps), { public: true });
  r.add(
    'GET',
    '/stratus/metrics',
    async (_request, reply) => {
      reply.type(metrics.registry.contentType);
      return metrics.text();
    },
    { public: true },
  );

  r.add('GET', '/stratus/v1/servers/:id/timeline', async (request) =>
    renderTimeline(await serverTimeline(deps, callerOf(request), (request.params as { id: string }).id)),
  );

  r.add('GET', '/stratus/v1/faults', async (request) => ({
    faults: await listFaults(deps, callerOf(request), scalar(request.query as Query, 'host')),
  }));
  r.add(
    'POST',
    '/stratus/v1/faults',
    async (request, reply) => {
      const fault = await addFault(deps, callerOf(request), (request.body as { fault: FaultInput }).fault);
      reply.code(201);
      return { fault };
    },
    {
      schema: {
        body: {
          type: 'object',
          required: ['fault'],
          additionalProperties: false,
          properties: {
            fault: {
              type: 'object',
              required: ['host', 'operation', 'mode'],
              additionalProperties: false,
              properties: {
                host: { type: 'string', minLength: 1, maxLength: 255 },
                server_id: { type: ['string', 'null'], maxLength: 64 },
                operation: {
                  enum: [
                    'destroy',
                    'spawn',
                    'power_off',
                    'power_on',
                    'reboot',
                    'pause',
                    'unpause',
                    'suspend',
                    'resume',
                    'shelve',
                    'restore',
                    'soft_delete',
                    'rescue',
                    'unrescue',
                    'set_password',
                    'diagnostics',
                    'attach_interface',
                    'detach_interface',
                    'attach_volume',
                    'detach_volume',
                    'evacuate',
                    'rebuild',
                    'snapshot',
                    'backup',
                    'resize',
                    'finish_resize',
                    'confirm_resize',
                    'revert_resize',
                    'finish_revert_resize',
                    'live_migration',
                    'pre_live_migration',
                    'post_live_migration',
                    'lease',
                    'freeze',
                  ],
                },
                mode: { enum: ['fail', 'delay', 'hang'] },
                count: { type: ['integer', 'null'], minimum: 1 },
                delay_ms: { type: 'integer', minimum: 0, maximum: 600000 },
              },
            },
          },
        },
      },
    },
  );
  r.add('DELETE', '/stratus/v1/faults', async (request, reply) => {
    await clearFaults(deps, callerOf(request), scalar(request.query as Query, 'host'));
    reply.code(204);
    return null;
  });
  r.add('DELETE', '/stratus/v1/faults/:id', async (request, reply) => {
    await removeFault(deps, callerOf(request), (request.params as { id: string }).id);
    reply.code(204);
    return null;
  });
  // The watch API: a Server-Sent Events stream of server changes (README "Watch API").
  r.add('GET', '/stratus/v1/events', async (request, reply) => {
    const q = request.query as Query;
    const scope = watchScope(deps, callerOf(request), {
      allTenants: allTenantsFlag(q),
      projectId: scalar(q, 'project_id'),
      serverId: scalar(q, 'server_id'),
    });
    if (request.method === 'HEAD') {
      // The stream's headers, no stream (HEAD has no body, so one would never end).
      reply.type('text/event-stream; charset=utf-8').header('cache-control', 'no-store');
      return '';
    }
    const last = request.headers['last-event-id'];
    const start = await events.prepare(Array.isArray(last) ? last[last.length - 1] : last);
    // The app began closing during prepare: a plain 503, never a stream that would hold the close.
    if (events.isClosing) throw shuttingDown();
    const token = request.headers['x-auth-token'] as string;
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      connection: 'close',
    });
    raw.socket?.setNoDelay(true);
    events.attach(raw, scope, start, token, request.token?.expiresAt ?? new Date(0).toISOString());
  });
  r.finish();
}
