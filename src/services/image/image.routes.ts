import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../compute/context.js';
import { authorize, canonicalUuid } from '../compute/access.js';
import * as catalog from '../../db/repositories/catalog.repository.js';
import { DomainError } from '../../domain/errors.js';
import { iso } from '../../domain/clock.js';
import { imageVisibleTo } from '../../domain/images.js';
import { baseUrl, callerOf } from '../../http/app.js';
import { RouteTable } from '../../http/route-table.js';

type ImageRow = NonNullable<Awaited<ReturnType<typeof catalog.getImage>>>;

function renderImage(i: ImageRow) {
  // Properties first: a stored property can never shadow a core field (create refuses those
  // names, and rows written before it did are still rendered truthfully).
  return {
    ...JSON.parse(i.properties),
    id: i.id, name: i.name, status: i.status, visibility: i.visibility, owner: i.owner, disk_format: i.disk_format,
    container_format: i.container_format, size: i.size, virtual_size: null, min_disk: i.min_disk, min_ram: i.min_ram,
    protected: i.protected === 1, checksum: null, os_hidden: false, tags: [],
    created_at: i.created_at.replace(/\.\d{3}Z$/, 'Z'), updated_at: i.updated_at.replace(/\.\d{3}Z$/, 'Z'),
    self: `/v2/images/${i.id}`, file: `/v2/images/${i.id}/file`, schema: '/v2/schemas/image',
  };
}

/**
 * Glance's refusals for fields a client may not set (glance/api/v2/images.py and
 * glance/domain ImageFactory): server-computed fields are read-only, these others reserved.
 */
const READ_ONLY = ['created_at', 'updated_at', 'status', 'checksum', 'os_hash_algo', 'os_hash_value', 'size', 'virtual_size', 'direct_url', 'self', 'file', 'schema'];
const RESERVED = ['location', 'locations', 'deleted', 'deleted_at'];

/** Glance's disk and container formats (its default `disk_formats` and `container_formats`). */
const DISK_FORMATS = ['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop'];
const CONTAINER_FORMATS = ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'];

const imageCreateSchema = {
  type: 'object',
  properties: {
    name: { type: ['string', 'null'], maxLength: 255 }, visibility: { enum: ['public', 'private', 'shared', 'community'] },
    min_disk: { type: 'integer', minimum: 0 }, min_ram: { type: 'integer', minimum: 0 }, protected: { type: 'boolean' },
    disk_format: { enum: [null, ...DISK_FORMATS] }, container_format: { enum: [null, ...CONTAINER_FORMATS] },
    owner: { type: ['string', 'null'], maxLength: 255 }, id: { type: 'string', maxLength: 64 },
    tags: { type: 'array', maxItems: 128, items: { type: 'string', maxLength: 255 } }, os_hidden: { type: 'boolean' },
  },
  // Extra properties are strings in Glance (its schema's additionalProperties).
  additionalProperties: { type: 'string', maxLength: 65535 },
};

const notFound = (id: string) => new DomainError('not-found', 'ImageNotFound', `No image found with ID ${id}`);

export function registerImageRoutes(app: FastifyInstance, deps: Deps): void {
  const r = new RouteTable(app);
  const versions = async (request: FastifyRequest) => ({ versions: [{ id: 'v2.9', status: 'CURRENT', links: [{ rel: 'self', href: `${baseUrl(request)}/image/v2/` }] }] });
  r.add('GET', '/image', versions, { public: true });
  r.add('GET', '/image/versions', versions, { public: true });
  const scope = (request: FastifyRequest) => { const c = callerOf(request); return c.isAdmin ? undefined : c.projectId; };
  r.add('GET', '/image/v2/images', async (request) => {
    const q = request.query as Record<string, string | undefined>; // scalars only: query.ts takes the last of repeated ones
    let images = await catalog.listImages(deps.db, scope(request));
    if (q.name) images = images.filter((i) => i.name === q.name);
    if (q.status) images = images.filter((i) => i.status === q.status);
    if (q.visibility) images = images.filter((i) => i.visibility === q.visibility);
    if (q.id) images = images.filter((i) => i.id === q.id);
    return { images: images.map(renderImage), schema: '/v2/schemas/images', first: '/v2/images' };
  });
  const getImage = async (request: FastifyRequest) => {
    const { id } = request.params as { id: string };
    const uuid = canonicalUuid(id);
    const img = uuid ? await catalog.getImage(deps.db, uuid) : undefined;
    const s = scope(request);
    if (!img || !imageVisibleTo(img, s)) throw notFound(id);
    return img;
  };
  r.add('GET', '/image/v2/images/:id', async (request) => renderImage(await getImage(request)));
  r.add('POST', '/image/v2/images', async (request, reply) => {
    const caller = callerOf(request);
    authorize(deps, caller, 'stratus:image:create', { project_id: caller.projectId });
    const b = (request.body ?? {}) as Record<string, unknown>;
    for (const key of READ_ONLY) if (Object.hasOwn(b, key)) throw new DomainError('forbidden', 'ReadonlyProperty', `Attribute '${key}' is read-only.`);
    for (const key of RESERVED) if (Object.hasOwn(b, key)) throw new DomainError('forbidden', 'ReservedProperty', `Attribute '${key}' is reserved.`);
    // Glance: only an admin may create an image owned by another project.
    const owner = typeof b.owner === 'string' ? b.owner : caller.projectId;
    if (owner !== caller.projectId && !caller.isAdmin) {
      throw new DomainError('forbidden', 'Forbidden', `You are not permitted to create images owned by '${owner}'.`);
    }
    const now = iso(deps.clock.now());
    const known = new Set(['name', 'visibility', 'disk_format', 'container_format', 'min_disk', 'min_ram', 'protected', 'id', 'tags', 'owner', 'os_hidden']);
    const props = Object.fromEntries(Object.entries(b).filter(([k]) => !known.has(k)));
    const id = typeof b.id === 'string' && canonicalUuid(b.id) ? canonicalUuid(b.id)! : deps.ids.uuid();
    // Glance's wording; a create racing this one still gets the generic 409 from the unique key.
    if (await catalog.getImage(deps.db, id)) throw new DomainError('conflict', 'Duplicate', `Image ID ${id} already exists!`);
    await catalog.insertImage(deps.db, {
      id, name: String(b.name ?? ''), status: 'active', visibility: String(b.visibility ?? 'shared'), owner,
      disk_format: (b.disk_format as string | null) ?? null, container_format: (b.container_format as string | null) ?? null, size: 0,
      min_disk: Number(b.min_disk ?? 0), min_ram: Number(b.min_ram ?? 0), protected: b.protected ? 1 : 0,
      properties: JSON.stringify(props), created_at: now, updated_at: now,
    });
    reply.code(201);
    return renderImage((await catalog.getImage(deps.db, id))!);
  }, { schema: { body: imageCreateSchema } });
  r.add('DELETE', '/image/v2/images/:id', async (request, reply) => {
    const caller = callerOf(request);
    const id = (request.params as { id: string }).id;
    const img = await getImage(request).catch((e: unknown) => {
      // Glance words a missing image differently when deleting.
      throw e instanceof DomainError && e.code === 'ImageNotFound' ? new DomainError('not-found', 'ImageNotFound', `Failed to find image ${id} to delete`) : e;
    });
    authorize(deps, caller, 'stratus:image:delete', { project_id: img.owner ?? caller.projectId });
    if (img.protected) throw new DomainError('forbidden', 'ImageProtected', `Image ${img.id} is protected and cannot be deleted.`);
    await catalog.deleteImage(deps.db, img.id);
    reply.code(204);
    return null;
  });
  r.finish();
}
