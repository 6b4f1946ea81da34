import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Caller, Deps } from '../context.js';
import { allowed } from '../access.js';
import { baseUrl, callerOf } from '../../http/request.js';
import { HttpFault } from '../../http/fault-mapper.js';
import { RouteTable } from '../../http/route-table.js';
import { VOLUME_MAX_STRING } from '../../http/microversion.js';
import type { Query } from '../../http/query.js';
import {
  createVolume,
  deleteVolume,
  extendVolume,
  forceDeleteVolume,
  listVolumes,
  resetVolumeStatus,
  setBootable,
  setReadonly,
  showVolume,
  updateVolume,
  viewFlags,
  VOLUME_ZONE,
  type VolumeView,
} from './volumes.js';
import { createType, deleteType, listTypes, showType } from './volume-types.js';
import { deleteVolumeQuotas, showVolumeQuotas, updateVolumeQuotas, volumeLimits } from './volume-quotas.js';
import { createSnapshot, deleteSnapshot, listSnapshots, showSnapshot, updateSnapshot } from './snapshots.js';
import {
  completeAttachment,
  createAttachment,
  deleteAttachment,
  LEGACY_ACTIONS,
  legacyAction,
  listAttachments,
  showAttachment,
  updateAttachment,
} from './attachments.js';
import {
  actionOf,
  isObject,
  parseAttachmentCreate,
  parseAttachmentListQuery,
  parseAttachmentUpdate,
  parseBoolField,
  parseCreateSnapshot,
  parseCreateType,
  parseCreateVolume,
  parseExtend,
  parseQuotaSet,
  parseResetStatus,
  parseSnapshotListQuery,
  parseUpdateSnapshot,
  parseUpdateVolume,
  parseVolumeListQuery,
} from './volume.schemas.js';
import { renderAttachment, renderSnapshot, renderType, renderVolume, renderVolumeSummary } from './volume.view.js';

type Handler = (request: FastifyRequest, reply: FastifyReply, caller: Caller) => Promise<unknown>;

const notFound = () => new HttpFault(404, 'itemNotFound', 'The resource could not be found.');

/** Cinder v3 (/volume/v3/{project_id}/…) and its version documents. */
export function registerVolumeRoutes(app: FastifyInstance, deps: Deps): void {
  const r = new RouteTable(app, ['/volume/v3/:project_id']);
  const mv = (request: FastifyRequest) => request.mv.minor;
  const idOf = (request: FastifyRequest) => (request.params as { id: string }).id;
  /**
   * Cinder's Resource._process_stack: a URL project id that is not the token's is 400
   * "Malformed request url". `since`: the route's first microversion (Cinder answers a request
   * below it 404, VersionNotFoundForAPIMethod).
   */
  const add = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, h: Handler, since = 0) =>
    r.add(method, path, async (request, reply) => {
      const caller = callerOf(request);
      if ((request.params as { project_id: string }).project_id !== caller.projectId)
        throw new HttpFault(400, 'badRequest', 'Malformed request url');
      if (mv(request) < since) throw notFound();
      return h(request, reply, caller);
    });
  const volumeView = (request: FastifyRequest, caller: Caller) => ({
    base: baseUrl(request),
    mv: mv(request),
    ...viewFlags(deps, caller),
  });
  const volumeBody = (request: FastifyRequest, caller: Caller, v: VolumeView) =>
    renderVolume(v, volumeView(request, caller));
  // Cinder's attribute extensions (tenant, host, migration status, image metadata) extend show and
  // detail only: the create and update answers carry the core view.
  const coreBody = (request: FastifyRequest, v: VolumeView) =>
    renderVolume(v, {
      base: baseUrl(request),
      mv: mv(request),
      host: false,
      tenant: false,
      migration: false,
      imageMetadata: false,
    });

  // --- version documents (cinder/api/versions.py) ---------------------------------------
  const versions = (request: FastifyRequest) => ({
    versions: [
      {
        id: 'v3.0',
        status: 'CURRENT',
        version: VOLUME_MAX_STRING,
        min_version: '3.0',
        updated: '2023-08-31T00:00:00Z',
        links: [
          { rel: 'describedby', type: 'text/html', href: 'https://docs.openstack.org/' },
          { rel: 'self', href: `${baseUrl(request)}/volume/v3/` },
        ],
        'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3' }],
      },
    ],
  });
  const v = new RouteTable(app);
  v.add('GET', '/volume', async (request, reply) => reply.code(300).send(versions(request)), { public: true });
  v.add('GET', '/volume/v3', async (request) => versions(request), { public: true });
  v.finish();

  // --- volumes ----------------------------------------------------------------------------
  const list = (detail: boolean) => async (request: FastifyRequest, _reply: FastifyReply, caller: Caller) => {
    const q = parseVolumeListQuery(request.query as Query);
    const res = await listVolumes(deps, caller, q);
    const body: Record<string, unknown> = {
      volumes: res.volumes.map((x) =>
        detail ? volumeBody(request, caller, x) : renderVolumeSummary(x, { base: baseUrl(request) }),
      ),
    };
    if (q.withCount && mv(request) >= 45) body.count = res.count;
    // Cinder's _get_collection_links: a full page links to the next one, from its last id.
    const max = q.limit ?? 1000;
    if (res.volumes.length > 0 && res.volumes.length === max) {
      const params = new URLSearchParams();
      for (const [k, x] of Object.entries(request.query as Query))
        if (x !== undefined && k !== 'marker') params.set(k, String(Array.isArray(x) ? x.at(-1) : x));
      params.set('marker', res.volumes[res.volumes.length - 1].row.id);
      const path = detail ? 'volumes/detail' : 'volumes';
      body.volumes_links = [
        { href: `${baseUrl(request)}/volume/v3/${caller.projectId}/${path}?${params}`, rel: 'next' },
      ];
    }
    return body;
  };
  add('GET', '/volumes', list(false));
  add('GET', '/volumes/detail', list(true));
  add('POST', '/volumes', async (request, reply, caller) => {
    const input = parseCreateVolume(request.body, mv(request));
    const vol = await createVolume(deps, caller, input);
    reply.code(202);
    return { volume: coreBody(request, vol) };
  });
  add('GET', '/volumes/:id', async (request, _reply, caller) => ({
    volume: volumeBody(request, caller, await showVolume(deps, caller, idOf(request))),
  }));
  add('PUT', '/volumes/:id', async (request, _reply, caller) => {
    const patch = parseUpdateVolume(request.body, mv(request));
    return { volume: coreBody(request, await updateVolume(deps, caller, idOf(request), patch)) };
  });
  add('DELETE', '/volumes/:id', async (request, reply, caller) => {
    const q = request.query as Query;
    const flag = (k: string) => ['true', '1', 'yes', 'on'].includes(String(q[k] ?? '').toLowerCase());
    await deleteVolume(deps, caller, idOf(request), {
      cascade: flag('cascade'),
      force: mv(request) >= 23 && flag('force'),
    });
    return reply.code(202).send();
  });
  add('POST', '/volumes/:id/action', async (request, reply, caller) => {
    const [action, value] = actionOf(request.body);
    const id = idOf(request);
    switch (action) {
      case 'os-extend':
        await extendVolume(deps, caller, id, parseExtend(value), mv(request));
        return reply.code(202).send();
      case 'os-reset_status':
        await resetVolumeStatus(deps, caller, id, parseResetStatus(value));
        return reply.code(202).send();
      case 'os-force_delete':
        await forceDeleteVolume(deps, caller, id);
        return reply.code(202).send();
      case 'os-set_bootable':
        await setBootable(deps, caller, id, parseBoolField(value, action, 'bootable'));
        return reply.code(200).send();
      case 'os-update_readonly_flag':
        await setReadonly(deps, caller, id, parseBoolField(value, action, 'readonly'));
        return reply.code(202).send();
      default: {
        if (!(LEGACY_ACTIONS as string[]).includes(action)) throw notFound();
        const res = await legacyAction(
          deps,
          caller,
          id,
          action as (typeof LEGACY_ACTIONS)[number],
          isObject(value) ? value : {},
        );
        if (res === undefined) return reply.code(202).send();
        return res;
      }
    }
  });

  // --- volume types -------------------------------------------------------------------------
  const typeOpts = (caller: Caller) => ({
    extraSpecs: allowed(deps, caller, 'volume_extension:access_types_extra_specs'),
    admin: caller.isAdmin,
  });
  add('GET', '/types', async (request, _reply, caller) => {
    const raw = (request.query as Query).is_public;
    const s = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    const isPublic =
      s === undefined
        ? undefined
        : s.toLowerCase() === 'none'
          ? null
          : ['true', '1', 't', 'yes'].includes(s.toLowerCase());
    return { volume_types: (await listTypes(deps, caller, { isPublic })).map((t) => renderType(t, typeOpts(caller))) };
  });
  add('GET', '/types/:id', async (request, _reply, caller) => ({
    volume_type: renderType(await showType(deps, caller, idOf(request)), typeOpts(caller)),
  }));
  add('POST', '/types', async (request, _reply, caller) => ({
    volume_type: renderType(await createType(deps, caller, parseCreateType(request.body)), typeOpts(caller)),
  }));
  add('DELETE', '/types/:id', async (request, reply, caller) => {
    await deleteType(deps, caller, idOf(request));
    return reply.code(202).send();
  });

  // --- quotas and limits (contrib/quotas.py, limits.py) ------------------------------------
  const tenantOf = (request: FastifyRequest) => (request.params as { tenant: string }).tenant;
  add('GET', '/os-quota-sets/:tenant', async (request, _reply, caller) => {
    const raw = (request.query as Query).usage;
    const usage = ['true', '1', 't', 'yes', 'on'].includes(
      String(Array.isArray(raw) ? raw.at(-1) : (raw ?? '')).toLowerCase(),
    );
    const tenant = tenantOf(request);
    return { quota_set: { id: tenant, ...(await showVolumeQuotas(deps, caller, tenant, { usage })) } };
  });
  add('GET', '/os-quota-sets/:tenant/defaults', async (request, _reply, caller) => {
    const tenant = tenantOf(request);
    return {
      quota_set: { id: tenant, ...(await showVolumeQuotas(deps, caller, tenant, { usage: false, defaults: true })) },
    };
  });
  add('PUT', '/os-quota-sets/:tenant', async (request, _reply, caller) => ({
    quota_set: await updateVolumeQuotas(deps, caller, tenantOf(request), parseQuotaSet(request.body)),
  }));
  add('DELETE', '/os-quota-sets/:tenant', async (request, reply, caller) => {
    await deleteVolumeQuotas(deps, caller, tenantOf(request));
    return reply.code(200).send();
  });
  add('GET', '/limits', async (_request, _reply, caller) => ({
    limits: { rate: [], absolute: await volumeLimits(deps, caller) },
  }));
  // The extensions Stratus' Cinder serves (cinder/api/contrib, the ones in this room).
  add('GET', '/extensions', async () => ({
    extensions: [
      ['AdminActions', 'os-admin-actions', 'Enable admin actions.'],
      ['AvailabilityZones', 'os-availability-zone', 'Describe Availability Zones.'],
      ['Quotas', 'os-quota-sets', 'Quota management support.'],
      ['TypesManage', 'os-types-manage', 'Types manage support.'],
      ['VolumeActions', 'os-volume-actions', 'Enable volume actions.'],
      ['VolumeHostAttribute', 'os-vol-host-attr', 'Expose host as an attribute of a volume.'],
      ['VolumeImageMetadata', 'os-vol-image-meta', 'Show image metadata associated with the volume.'],
      ['VolumeTenantAttribute', 'os-vol-tenant-attr', 'Expose the internal project_id as an attribute of a volume.'],
    ].map(([name, alias, description]) => ({
      alias,
      description,
      links: [],
      name,
      updated: '2012-05-31T00:00:00+00:00',
    })),
  }));
  add('GET', '/os-availability-zone', async () => ({
    availabilityZoneInfo: [{ zoneName: VOLUME_ZONE, zoneState: { available: true } }],
  }));

  // --- snapshots ----------------------------------------------------------------------------
  const snapOpts = (request: FastifyRequest, caller: Caller) => ({
    mv: mv(request),
    extended: allowed(deps, caller, 'volume_extension:extended_snapshot_attributes'),
  });
  const snapList = (detail: boolean) => async (request: FastifyRequest, _reply: FastifyReply, caller: Caller) => {
    const rows = await listSnapshots(deps, caller, parseSnapshotListQuery(request.query as Query));
    return {
      snapshots: rows.map((s) =>
        detail ? renderSnapshot(s, snapOpts(request, caller)) : renderSnapshot(s, { mv: mv(request), extended: false }),
      ),
    };
  };
  add('GET', '/snapshots', snapList(false));
  add('GET', '/snapshots/detail', snapList(true));
  add('POST', '/snapshots', async (request, reply, caller) => {
    const s = await createSnapshot(deps, caller, parseCreateSnapshot(request.body));
    reply.code(202);
    // The extended attributes extend show and detail only (as the volume ones).
    return { snapshot: renderSnapshot(s, { mv: mv(request), extended: false }) };
  });
  add('GET', '/snapshots/:id', async (request, _reply, caller) => ({
    snapshot: renderSnapshot(await showSnapshot(deps, caller, idOf(request)), snapOpts(request, caller)),
  }));
  add('PUT', '/snapshots/:id', async (request, _reply, caller) => ({
    snapshot: renderSnapshot(await updateSnapshot(deps, caller, idOf(request), parseUpdateSnapshot(request.body)), {
      mv: mv(request),
      extended: false,
    }),
  }));
  add('DELETE', '/snapshots/:id', async (request, reply, caller) => {
    await deleteSnapshot(deps, caller, idOf(request));
    return reply.code(202).send();
  });

  // --- attachments (3.27, cinder/api/v3/attachments.py) -------------------------------------
  const attList = (detail: boolean) => async (request: FastifyRequest, _reply: FastifyReply, caller: Caller) => ({
    attachments: (await listAttachments(deps, caller, parseAttachmentListQuery(request.query as Query))).map((a) =>
      renderAttachment(a, detail),
    ),
  });
  add('GET', '/attachments', attList(false), 27);
  add('GET', '/attachments/detail', attList(true), 27);
  add(
    'POST',
    '/attachments',
    async (request, _reply, caller) => ({
      attachment: renderAttachment(
        await createAttachment(deps, caller, parseAttachmentCreate(request.body, mv(request))),
        true,
      ),
    }),
    27,
  );
  add(
    'GET',
    '/attachments/:id',
    async (request, _reply, caller) => ({
      attachment: renderAttachment(await showAttachment(deps, caller, idOf(request)), true),
    }),
    27,
  );
  add(
    'PUT',
    '/attachments/:id',
    async (request, _reply, caller) => ({
      attachment: renderAttachment(
        await updateAttachment(deps, caller, idOf(request), parseAttachmentUpdate(request.body)),
        true,
      ),
    }),
    27,
  );
  add(
    'DELETE',
    '/attachments/:id',
    async (request, _reply, caller) => ({
      attachments: (await deleteAttachment(deps, caller, idOf(request))).map((a) => renderAttachment(a, false)),
    }),
    27,
  );
  add(
    'POST',
    '/attachments/:id/action',
    async (request, reply, caller) => {
      const [action] = actionOf(request.body);
      if (action !== 'os-complete') throw notFound();
      await completeAttachment(deps, caller, idOf(request));
      return reply.code(204).send();
    },
    44,
  );

  r.finish();
}
