import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../context.js';
import { callerOf } from '../../http/request.js';
import { atLeast } from '../../http/microversion.js';
import { RouteTable } from '../../http/route-table.js';
import {
  changePassword,
  clearServerPassword,
  rescueServer,
  serverDiagnostics,
  showServerPassword,
  unrescueServer,
} from './rescue.js';
import { parseChangePassword, parseRescue } from './rescue.schemas.js';
import { renderDiagnostics, renderLegacyDiagnostics } from './rescue.view.js';

/** The `POST /servers/{id}/action` keys this module answers (compute.routes.ts hands them over). */
export const RESCUE_ACTION_KEYS = ['rescue', 'unrescue', 'changePassword'] as const;

/** rescue (200 with adminPass: rescue.py has no @wsgi.response(202)), unrescue and changePassword (202, no body). */
export async function rescueAction(
  deps: Deps,
  request: FastifyRequest,
  reply: FastifyReply,
  id: string,
  key: (typeof RESCUE_ACTION_KEYS)[number],
  value: unknown,
) {
  const caller = callerOf(request);
  if (key === 'rescue') {
    reply.code(200);
    const password = await rescueServer(deps, caller, id, {
      ...parseRescue(value),
      allowVolumeBackedRescue: atLeast(request.mv, 87),
    });
    // Nova parity: the password is returned unless [api] enable_instance_password is off.
    return deps.config.enableInstancePassword === 0 ? {} : { adminPass: password };
  }
  reply.code(202);
  // Nova has no schema for unrescue: any value (null, {}) is accepted (Tempest sends {}).
  if (key === 'unrescue') {
    await unrescueServer(deps, caller, id);
  } else {
    await changePassword(deps, caller, id, parseChangePassword(value));
  }
  return reply.send();
}

/** os-server-password (show, clear) and diagnostics. */
export function registerRescueRoutes(app: FastifyInstance, deps: Deps): void {
  const r = new RouteTable(app, ['/v2.1', '/v2.1/:project_id']);
  r.add('GET', '/servers/:id/os-server-password', async (request) => ({
    password: await showServerPassword(deps, callerOf(request), (request.params as { id: string }).id),
  }));
  r.add('DELETE', '/servers/:id/os-server-password', async (request, reply) => {
    await clearServerPassword(deps, callerOf(request), (request.params as { id: string }).id);
    reply.code(204).type('application/json');
    return reply.send();
  });
  r.add('GET', '/servers/:id/diagnostics', async (request) => {
    const d = await serverDiagnostics(deps, callerOf(request), (request.params as { id: string }).id);
    return atLeast(request.mv, 48) ? renderDiagnostics(d) : renderLegacyDiagnostics(d);
  });
  r.finish();
}
