import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../context.js';
import {
  createImage,
  deleteImage,
  downloadImageData,
  refuseServerSetFields,
  listImages,
  showImage,
  uploadImageData,
  type ImageRow,
} from './images.js';
import { HttpFault } from '../../http/fault-mapper.js';
import type { Readable } from 'node:stream';
import { baseUrl, callerOf } from '../../http/request.js';
import { RouteTable } from '../../http/route-table.js';

function renderImage(i: ImageRow) {
  // Properties first: a stored property can never shadow a core field (create refuses those
  // names, and rows written before it did are still rendered truthfully).
  return {
    ...JSON.parse(i.properties),
    id: i.id,
    name: i.name,
    status: i.status,
    visibility: i.visibility,
    owner: i.owner,
    disk_format: i.disk_format,
    container_format: i.container_format,
    size: i.size,
    virtual_size: null,
    min_disk: i.min_disk,
    min_ram: i.min_ram,
    protected: i.protected === 1,
    checksum: i.checksum ?? null,
    os_hash_algo: i.os_hash_algo ?? null,
    os_hash_value: i.os_hash_value ?? null,
    os_hidden: false,
    tags: [],
    created_at: i.created_at.replace(/\.\d{3}Z$/, 'Z'),
    updated_at: i.updated_at.replace(/\.\d{3}Z$/, 'Z'),
    self: `/v2/images/${i.id}`,
    file: `/v2/images/${i.id}/file`,
    schema: '/v2/schemas/image',
  };
}

/** Glance's disk and container formats (its default `disk_formats` and `container_formats`). */
const DISK_FORMATS = ['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop'];
const CONTAINER_FORMATS = ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'];

const imageCreateSchema = {
  type: 'object',
  properties: {
    name: { type: ['string', 'null'], maxLength: 255 },
    visibility: { enum: ['public', 'private', 'shared', 'community'] },
    // Glance's columns are 4-byte integers.
    min_disk: { type: 'integer', minimum: 0, maximum: 2147483647 },
    min_ram: { type: 'integer', minimum: 0, maximum: 2147483647 },
    protected: { type: 'boolean' },
    disk_format: { enum: [null, ...DISK_FORMATS] },
    container_format: { enum: [null, ...CONTAINER_FORMATS] },
    owner: { type: ['string', 'null'], maxLength: 255 },
    id: {
      type: 'string',
      pattern: '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$',
    },
    tags: { type: 'array', maxItems: 128, items: { type: 'string', maxLength: 255 } },
    os_hidden: { type: 'boolean' },
  },
  // Extra properties are strings in Glance (its schema's additionalProperties).
  additionalProperties: { type: 'string', maxLength: 65535 },
};

export function registerImageRoutes(app: FastifyInstance, deps: Deps): void {
  const r = new RouteTable(app);
  const versions = async (request: FastifyRequest) => ({
    versions: [{ id: 'v2.9', status: 'CURRENT', links: [{ rel: 'self', href: `${baseUrl(request)}/image/v2/` }] }],
  });
  r.add('GET', '/image', versions, { public: true });
  r.add('GET', '/image/versions', versions, { public: true });
  r.add('GET', '/image/v2/images', async (request) => {
    const q = request.query as Record<string, string | undefined>;
    const images = await listImages(deps, callerOf(request), {
      name: q.name,
      status: q.status,
      visibility: q.visibility,
      id: q.id,
      properties: propertyFilters(q),
      sortDir: q.sort_key === 'created_at' && q.sort_dir === 'asc' ? 'asc' : undefined,
    });
    return { images: images.map(renderImage), schema: '/v2/schemas/images', first: '/v2/images' };
  });
  const imageId = (request: FastifyRequest) => (request.params as { id: string }).id;
  r.add('GET', '/image/v2/images/:id', async (request) =>
    renderImage(await showImage(deps, callerOf(request), imageId(request))),
  );
  r.add(
    'POST',
    '/image/v2/images',
    async (request, reply) => {
      const image = await createImage(deps, callerOf(request), (request.body ?? {}) as Record<string, unknown>);
      reply.code(201);
      return renderImage(image);
    },
    {
      schema: { body: imageCreateSchema },
      preValidation: async (request) => refuseServerSetFields(request.body),
    },
  );
  r.add('DELETE', '/image/v2/images/:id', async (request, reply) => {
    await deleteImage(deps, callerOf(request), imageId(request));
    reply.code(204);
    return null;
  });
  // Image data (glance/api/v2/image_data.py): upload answers 204, download 200 with the bytes
  // or 204 for an image without data.
  r.add('PUT', '/image/v2/images/:id/file', async (request, reply) => {
    const ct = String(request.headers['content-type'] ?? '')
      .split(';')[0]
      .trim();
    if (ct !== 'application/octet-stream')
      throw new HttpFault(415, 'HTTPUnsupportedMediaType', 'Content-Type must be application/octet-stream');
    const body = request.body as Readable | undefined;
    await uploadImageData(deps, callerOf(request), imageId(request), body ?? (async function* () {})());
    reply.code(204);
    return null;
  });
  r.add('GET', '/image/v2/images/:id/file', async (request, reply) => {
    const data = await downloadImageData(deps, callerOf(request), imageId(request));
    if (!data) {
      reply.code(204);
      return null;
    }
    reply.header('content-type', 'application/octet-stream').header('content-length', data.size);
    if (data.checksum) reply.header('content-md5', data.checksum);
    return reply.send(data.stream);
  });
  r.finish();
}

/** Glance's list parameters; any other query key filters on an extra property of that name. */
const LIST_PARAMS = new Set([
  'name',
  'status',
  'visibility',
  'id',
  'limit',
  'marker',
  'sort',
  'sort_key',
  'sort_dir',
  'member_status',
  'owner',
  'os_hidden',
  'tag',
  'protected',
  'container_format',
  'disk_format',
  'size_min',
  'size_max',
  'created_at',
  'updated_at',
  'checksum',
  'os_hash_value',
]);
function propertyFilters(q: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(q)) if (!LIST_PARAMS.has(k) && typeof v === 'string') out[k] = v;
  return out;
}
