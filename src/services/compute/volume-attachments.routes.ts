import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../context.js';
import {
  attachVolume,
  detachVolume,
  listVolumeAttachments,
  showVolumeAttachment,
  updateVolumeAttachment,
} from './volume-attachments.js';
import { parseAttachBody, parseAttachmentsQuery, parseUpdateBody } from './volume-attachments.schemas.js';
import { renderVolumeAttachment } from './volume-attachments.view.js';
import { callerOf } from '../../http/request.js';
import type { Query } from '../../http/query.js';
import { RouteTable } from '../../http/route-table.js';

type Params = { id: string; volume_id: string; project_id?: string };
const params = (request: FastifyRequest) => request.params as Params;

/** /servers/{id}/os-volume_attachments[/{volume_id}] (volume_attachments.py). */
export function registerVolumeAttachmentRoutes(app: FastifyInstance, deps: Deps): void {
  const r = new RouteTable(app, ['/v2.1', '/v2.1/:project_id']);

  r.add('GET', '/servers/:id/os-volume_attachments', async (request) => {
    const q = parseAttachmentsQuery(request.query as Query, request.mv.minor);
    const rows = await listVolumeAttachments(deps, callerOf(request), params(request).id, q);
    return { volumeAttachments: rows.map((b) => renderVolumeAttachment(b, request.mv)) };
  });
  r.add('GET', '/servers/:id/os-volume_attachments/:volume_id', async (request) => {
    const p = params(request);
    const bdm = await showVolumeAttachment(deps, callerOf(request), p.id, p.volume_id);
    return { volumeAttachment: renderVolumeAttachment(bdm, request.mv) };
  });
  r.add('POST', '/servers/:id/os-volume_attachments', async (request) => {
    const body = parseAttachBody(request.body, request.mv.minor);
    const bdm = await attachVolume(deps, callerOf(request), params(request).id, body, request.mv.minor);
    return { volumeAttachment: renderVolumeAttachment(bdm, request.mv, { created: true }) };
  });
  r.add('PUT', '/servers/:id/os-volume_attachments/:volume_id', async (request, reply: FastifyReply) => {
    const p = params(request);
    const body = parseUpdateBody(request.body, request.mv.minor);
    await updateVolumeAttachment(deps, callerOf(request), p.id, p.volume_id, body, request.mv.minor);
    reply.code(202).type('application/json');
    return reply.send();
  });
  r.add('DELETE', '/servers/:id/os-volume_attachments/:volume_id', async (request, reply: FastifyReply) => {
    const p = params(request);
    await detachVolume(deps, callerOf(request), p.id, p.volume_id, request.mv.minor);
    reply.code(202).type('application/json');
    return reply.send();
  });
  r.finish();
}
