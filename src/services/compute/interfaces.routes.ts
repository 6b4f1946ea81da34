import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../context.js';
import { attachInterface, detachInterface, listInterfaces, showInterface } from './interfaces.js';
import { parseInterfaceBody } from './interfaces.schemas.js';
import { renderInterface } from './interfaces.view.js';
import { callerOf } from '../../http/request.js';
import { atLeast } from '../../http/microversion.js';
import { RouteTable } from '../../http/route-table.js';

type Params = { id: string; port_id: string; project_id?: string };
const params = (request: FastifyRequest) => request.params as Params;

/** /servers/{id}/os-interface[/{port_id}] (attach_interfaces.py); `tag` in the view from 2.70. */
export function registerInterfaceRoutes(app: FastifyInstance, deps: Deps): void {
  const r = new RouteTable(app, ['/v2.1', '/v2.1/:project_id']);
  const showTag = (request: FastifyRequest) => atLeast(request.mv, 70);

  r.add('GET', '/servers/:id/os-interface', async (request) => ({
    interfaceAttachments: (await listInterfaces(deps, callerOf(request), params(request).id)).map((a) =>
      renderInterface(a, showTag(request)),
    ),
  }));
  r.add('GET', '/servers/:id/os-interface/:port_id', async (request) => {
    const p = params(request);
    return {
      interfaceAttachment: renderInterface(
        await showInterface(deps, callerOf(request), p.id, p.port_id),
        showTag(request),
      ),
    };
  });
  r.add('POST', '/servers/:id/os-interface', async (request) => {
    const body = parseInterfaceBody(request.body, request.mv.minor);
    const a = await attachInterface(deps, callerOf(request), params(request).id, body);
    return { interfaceAttachment: renderInterface(a, showTag(request)) };
  });
  r.add('DELETE', '/servers/:id/os-interface/:port_id', async (request, reply: FastifyReply) => {
    const p = params(request);
    await detachInterface(deps, callerOf(request), p.id, p.port_id);
    reply.code(202).type('application/json');
    return reply.send();
  });
  r.finish();
}
