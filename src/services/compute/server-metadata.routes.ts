import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../context.js';
import { deleteMetadataItem, listMetadata, showMetadataItem, updateMetadata } from './server-metadata.js';
import { addTag, checkTag, deleteAllTags, deleteTag, listTags, replaceTags } from './server-tags.js';
import { metaItemBody, metadataBody, noBody, tagsBody } from './server-metadata.schemas.js';
import { baseUrl, callerOf } from '../../http/request.js';
import { HttpFault } from '../../http/fault-mapper.js';
import { atLeast } from '../../http/microversion.js';
import { RouteTable } from '../../http/route-table.js';

type Params = { id: string; key: string; tag: string; project_id?: string };
const params = (request: FastifyRequest) => request.params as Params;

const empty = (reply: FastifyReply, code: number) => {
  reply.code(code).type('application/json');
  return reply.send();
};

/**
 * /servers/{id}/metadata[/{key}] (every microversion) and /servers/{id}/tags[/{tag}] (2.26+;
 * before it Nova's router has no such method: 404).
 */
export function registerServerMetadataRoutes(app: FastifyInstance, deps: Deps): void {
  const r = new RouteTable(app, ['/v2.1', '/v2.1/:project_id']);

  // --- metadata ----------------------------------------------------------------------
  r.add('GET', '/servers/:id/metadata', async (request) => ({
    metadata: await listMetadata(deps, callerOf(request), params(request).id),
  }));
  r.add('POST', '/servers/:id/metadata', async (request) => {
    const metadata = metadataBody(request.body);
    return { metadata: await updateMetadata(deps, callerOf(request), params(request).id, 'create', metadata) };
  });
  r.add('PUT', '/servers/:id/metadata', async (request) => {
    const metadata = metadataBody(request.body);
    return { metadata: await updateMetadata(deps, callerOf(request), params(request).id, 'update_all', metadata) };
  });
  r.add('GET', '/servers/:id/metadata/:key', async (request) => {
    const p = params(request);
    return { meta: await showMetadataItem(deps, callerOf(request), p.id, p.key) };
  });
  r.add('PUT', '/servers/:id/metadata/:key', async (request) => {
    const meta = metaItemBody(request.body);
    const p = params(request);
    await updateMetadata(deps, callerOf(request), p.id, 'update', meta, p.key);
    return { meta };
  });
  r.add('DELETE', '/servers/:id/metadata/:key', async (request, reply) => {
    const p = params(request);
    await deleteMetadataItem(deps, callerOf(request), p.id, p.key);
    return empty(reply, 204);
  });

  // --- tags (2.26) -------------------------------------------------------------------
  const since226 = (request: FastifyRequest) => {
    if (!atLeast(request.mv, 26)) throw new HttpFault(404, 'itemNotFound', 'The resource could not be found.');
  };
  r.add('GET', '/servers/:id/tags', async (request) => {
    since226(request);
    return { tags: await listTags(deps, callerOf(request), params(request).id) };
  });
  r.add('PUT', '/servers/:id/tags', async (request) => {
    since226(request);
    const tags = tagsBody(request.body);
    return { tags: await replaceTags(deps, callerOf(request), params(request).id, tags) };
  });
  r.add('DELETE', '/servers/:id/tags', async (request, reply) => {
    since226(request);
    await deleteAllTags(deps, callerOf(request), params(request).id);
    return empty(reply, 204);
  });
  r.add('GET', '/servers/:id/tags/:tag', async (request, reply) => {
    since226(request);
    const p = params(request);
    await checkTag(deps, callerOf(request), p.id, p.tag);
    return empty(reply, 204);
  });
  r.add('PUT', '/servers/:id/tags/:tag', async (request, reply) => {
    since226(request);
    noBody(request.body);
    const p = params(request);
    const outcome = await addTag(deps, callerOf(request), p.id, p.tag);
    if (outcome === 'exists') return empty(reply, 204);
    // Nova's get_location: the server's self link, then tags/<tag>.
    const base = `${baseUrl(request)}/v2.1${p.project_id ? `/${p.project_id}` : ''}`;
    reply.header('location', `${base}/servers/${p.id}/tags/${encodeURIComponent(p.tag)}`);
    return empty(reply, 201);
  });
  r.add('DELETE', '/servers/:id/tags/:tag', async (request, reply) => {
    since226(request);
    const p = params(request);
    await deleteTag(deps, callerOf(request), p.id, p.tag);
    return empty(reply, 204);
  });

  r.finish();
}
