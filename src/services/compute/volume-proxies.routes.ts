import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../context.js';
import {
  createProxySnapshot,
  createProxyVolume,
  deleteProxySnapshot,
  deleteProxyVolume,
  listProxySnapshots,
  listProxyVolumes,
  showProxySnapshot,
  showProxyVolume,
  type Page,
} from './volume-proxies.js';
import { novaTrue } from './server-create.schemas.js';
import { invalid } from '../../domain/errors.js';
import { callerOf } from '../../http/request.js';
import { HttpFault } from '../../http/fault-mapper.js';
import { atLeast } from '../../http/microversion.js';
import { RouteTable } from '../../http/route-table.js';
import { scalar, type Query } from '../../http/query.js';

/** Nova's MAX_PROXY_API_SUPPORT_VERSION (2.35): past it the router has no method, 404. */
const upTo35 = (request: FastifyRequest) => {
  if (atLeast(request.mv, 36)) throw new HttpFault(404, 'itemNotFound', 'The resource could not be found.');
};

/** schemas/volumes.py create (the deprecated API's loose types). */
const createVolumeBody = {
  type: 'object',
  required: ['volume'],
  additionalProperties: false,
  properties: {
    volume: {
      type: 'object',
      required: ['size'],
      additionalProperties: false,
      properties: {
        volume_type: { type: 'string' },
        metadata: { type: 'object', additionalProperties: true },
        snapshot_id: { type: 'string' },
        size: { type: ['integer', 'string'], pattern: '^[0-9]+$', minimum: 1 },
        availability_zone: { type: 'string' },
        display_name: { type: 'string' },
        display_description: { type: 'string' },
      },
    },
  },
};

/** schemas/snapshots.py create. */
const createSnapshotBody = {
  type: 'object',
  required: ['snapshot'],
  additionalProperties: false,
  properties: {
    snapshot: {
      type: 'object',
      required: ['volume_id'],
      additionalProperties: false,
      properties: {
        volume_id: { type: 'string' },
        force: { type: ['boolean', 'string'] },
        display_name: { type: 'string' },
        display_description: { type: 'string' },
      },
    },
  },
};

const FORCE_VALUES =
  "[True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no']";

/** index_query: limit and offset, non-negative integers (the last value counts). */
function page(request: FastifyRequest): Page {
  const q = request.query as Query;
  const int = (name: string) => {
    const v = scalar(q, name);
    if (v === undefined) return undefined;
    if (!/^[0-9]+$/.test(v))
      throw invalid(`Invalid input for field/attribute ${name}. Value: ${v}. '${v}' does not match '^[0-9]+$'`);
    return Number(v);
  };
  return { limit: int('limit'), offset: int('offset') };
}

const accepted = (reply: FastifyReply) => {
  reply.code(202).type('application/json');
  return reply.send();
};

/** os-volumes and os-snapshots (volumes.py, snapshots.py): the Cinder proxies, 2.1 to 2.35. */
export function registerVolumeProxyRoutes(app: FastifyInstance, deps: Deps): void {
  const r = new RouteTable(app, ['/v2.1', '/v2.1/:project_id']);
  const id = (request: FastifyRequest) => (request.params as { id: string }).id;

  r.add('GET', '/os-volumes', async (request) => {
    upTo35(request);
    return { volumes: await listProxyVolumes(deps, callerOf(request), false, page(request)) };
  });
  r.add('GET', '/os-volumes/detail', async (request) => {
    upTo35(request);
    return { volumes: await listProxyVolumes(deps, callerOf(request), true, page(request)) };
  });
  r.add(
    'POST',
    '/os-volumes',
    async (request, reply) => {
      upTo35(request);
      const v = (request.body as { volume: Record<string, unknown> }).volume;
      const volume = await createProxyVolume(deps, callerOf(request), {
        size: Number(v.size),
        name: (v.display_name as string | undefined) ?? null,
        description: (v.display_description as string | undefined) ?? null,
        volumeType: (v.volume_type as string | undefined) ?? null,
        availabilityZone: (v.availability_zone as string | undefined) ?? null,
        snapshotId: (v.snapshot_id as string | undefined) ?? null,
        metadata: (v.metadata as Record<string, string> | undefined) ?? {},
      });
      // Nova answers 200 with the location of the new volume.
      reply.header('location', `${request.protocol}://${request.host}${request.url.split('?')[0]}/${volume.id}`);
      return { volume };
    },
    { schema: { body: createVolumeBody } },
  );
  r.add('GET', '/os-volumes/:id', async (request) => {
    upTo35(request);
    return { volume: await showProxyVolume(deps, callerOf(request), id(request)) };
  });
  r.add('DELETE', '/os-volumes/:id', async (request, reply) => {
    upTo35(request);
    await deleteProxyVolume(deps, callerOf(request), id(request));
    return accepted(reply);
  });

  r.add('GET', '/os-snapshots', async (request) => {
    upTo35(request);
    return { snapshots: await listProxySnapshots(deps, callerOf(request), false, page(request)) };
  });
  r.add('GET', '/os-snapshots/detail', async (request) => {
    upTo35(request);
    return { snapshots: await listProxySnapshots(deps, callerOf(request), true, page(request)) };
  });
  r.add(
    'POST',
    '/os-snapshots',
    async (request) => {
      upTo35(request);
      const s = (request.body as { snapshot: Record<string, unknown> }).snapshot;
      // parameter_types.boolean, then strutils.bool_from_string(strict=True).
      if (s.force !== undefined && !novaTrue(s.force) && !isNovaFalse(s.force))
        throw invalid(
          `Invalid input for field/attribute force. Value: ${String(s.force)}. ${typeof s.force === 'string' ? `'${s.force}'` : JSON.stringify(s.force)} is not one of ${FORCE_VALUES}`,
        );
      const snapshot = await createProxySnapshot(deps, callerOf(request), {
        volumeId: s.volume_id as string,
        force: s.force !== undefined && novaTrue(s.force),
        name: (s.display_name as string | undefined) ?? null,
        description: (s.display_description as string | undefined) ?? null,
      });
      return { snapshot };
    },
    { schema: { body: createSnapshotBody } },
  );
  r.add('GET', '/os-snapshots/:id', async (request) => {
    upTo35(request);
    return { snapshot: await showProxySnapshot(deps, callerOf(request), id(request)) };
  });
  r.add('DELETE', '/os-snapshots/:id', async (request, reply) => {
    upTo35(request);
    await deleteProxySnapshot(deps, callerOf(request), id(request));
    return accepted(reply);
  });
  r.finish();
}

const FALSE = new Set<unknown>([false, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no']);
const isNovaFalse = (v: unknown) => FALSE.has(v);
