import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../context.js';
import {
  deleteImageMetadataItem,
  deleteProxyImage,
  listImageMetadata,
  listProxyImages,
  propertiesOf,
  showImageMetadataItem,
  showProxyImage,
  updateImageMetadata,
  type ImageRow,
} from './proxy-images.js';
import {
  listNovaNetworks,
  listTenantNetworks,
  showNovaNetwork,
  serverAddresses,
  serverAddressesOn,
  showTenantNetwork,
  type TenantNetwork,
} from './network-proxies.js';
import * as sg from './server-security-groups.js';
import { metaItemBody, metadataBody } from './server-metadata.schemas.js';
import { GONE_MESSAGE } from './removed.routes.js';
import { invalid } from '../../domain/errors.js';
import { baseUrl, callerOf } from '../../http/request.js';
import { HttpFault } from '../../http/fault-mapper.js';
import { atLeast } from '../../http/microversion.js';
import { RouteTable } from '../../http/route-table.js';
import { scalar, type Query } from '../../http/query.js';

type Params = { id: string; key: string; label: string; project_id?: string };
const params = (request: FastifyRequest) => request.params as Params;

const empty = (reply: FastifyReply, code: number) => {
  reply.code(code).type('application/json');
  return reply.send();
};

/** Nova's MAX_PROXY_API_SUPPORT_VERSION (2.35); image metadata lasts to 2.38. Past it the router has no method: 404. */
const MAX_PROXY = 35;
const MAX_IMAGE_METADATA = 38;
const upTo = (request: FastifyRequest, max: number) => {
  if (atLeast(request.mv, max + 1)) throw new HttpFault(404, 'itemNotFound', 'The resource could not be found.');
};

function linkBases(request: FastifyRequest) {
  const p = params(request).project_id;
  const b = baseUrl(request);
  return { base: `${b}/v2.1${p ? `/${p}` : ''}`, bookmarkBase: `${b}${p ? `/${p}` : ''}`, root: b };
}

/** utils.isotime: seconds and a Z. */
const isotime = (s: string | null) => (s ? `${new Date(s).toISOString().slice(0, 19)}Z` : null);

const STATUS: Record<string, string> = {
  active: 'ACTIVE',
  queued: 'SAVING',
  saving: 'SAVING',
  deleted: 'DELETED',
  pending_delete: 'DELETED',
  killed: 'ERROR',
};
const PROGRESS: Record<string, number> = { queued: 25, saving: 50, active: 100 };

function imageLinks(request: FastifyRequest, id: string) {
  const { base, bookmarkBase, root } = linkBases(request);
  return [
    { rel: 'self', href: `${base}/images/${id}` },
    { rel: 'bookmark', href: `${bookmarkBase}/images/${id}` },
    { rel: 'alternate', type: 'application/vnd.openstack.image', href: `${root}/image/images/${id}` },
  ];
}

const imageBrief = (request: FastifyRequest, img: ImageRow) => ({
  id: img.id,
  name: img.name,
  links: imageLinks(request, img.id),
});

/** nova/api/openstack/compute/views/images.py show. */
function imageDetail(request: FastifyRequest, img: ImageRow) {
  const metadata = propertiesOf(img);
  const out: Record<string, unknown> = {
    id: img.id,
    name: img.name,
    minRam: img.min_ram,
    minDisk: img.min_disk,
    metadata,
    created: isotime(img.created_at),
    updated: isotime(img.updated_at),
    status: STATUS[img.status] ?? 'UNKNOWN',
    progress: PROGRESS[img.status] ?? 0,
    'OS-EXT-IMG-SIZE:size': img.size,
    links: imageLinks(request, img.id),
  };
  const server = metadata.instance_uuid;
  if (server !== undefined) {
    const { base, bookmarkBase } = linkBases(request);
    out.server = {
      id: server,
      links: [
        { rel: 'self', href: `${base}/servers/${server}` },
        { rel: 'bookmark', href: `${bookmarkBase}/servers/${server}` },
      ],
    };
  }
  const adc = metadata.auto_disk_config;
  if (adc !== undefined)
    out['OS-DCF:diskConfig'] = ['1', 't', 'true', 'on', 'y', 'yes'].includes(String(adc).toLowerCase())
      ? 'AUTO'
      : 'MANUAL';
  return out;
}

const networkView = (n: TenantNetwork) => ({ id: n.id, cidr: 'None', label: n.label });

/** The 2.1 proxies: /images, image metadata, os-tenant-networks, os-floating-ips(-pools), os-security-groups; and /servers/{id}/ips. */
export function registerProxyRoutes(app: FastifyInstance, deps: Deps): void {
  const r = new RouteTable(app, ['/v2.1', '/v2.1/:project_id']);

  // --- images (images.py) ------------------------------------------------------------
  const imageList = (detail: boolean) => async (request: FastifyRequest) => {
    upTo(request, MAX_PROXY);
    const q = request.query as Query;
    const last = (k: string) => scalar(q, k);
    const limitRaw = last('limit');
    if (limitRaw !== undefined && !/^\d+$/.test(limitRaw))
      throw invalid(
        `Invalid input for field/attribute limit. Value: ${limitRaw}. '${limitRaw}' does not match '^[0-9]*$'`,
      );
    const properties: Record<string, string> = {};
    for (const k of Object.keys(q)) if (k.startsWith('property-')) properties[k.slice(9)] = last(k) ?? '';
    const images = await listProxyImages(deps, callerOf(request), {
      name: last('name'),
      status: last('status'),
      changesSince: last('changes-since'),
      server: last('server'),
      type: last('type'),
      minRam: last('minRam'),
      minDisk: last('minDisk'),
      properties,
      limit: limitRaw === undefined ? undefined : Number(limitRaw),
      marker: last('marker'),
    });
    const body: Record<string, unknown> = {
      images: images.map((i) => (detail ? imageDetail(request, i) : imageBrief(request, i))),
    };
    if (limitRaw !== undefined && images.length > 0 && images.length >= Number(limitRaw)) {
      const sp = new URLSearchParams();
      for (const k of Object.keys(q)) if (k !== 'marker') sp.set(k, last(k) ?? '');
      sp.set('marker', images[images.length - 1].id);
      body.images_links = [
        { rel: 'next', href: `${linkBases(request).base}/images${detail ? '/detail' : ''}?${sp.toString()}` },
      ];
    }
    return body;
  };
  r.add('GET', '/images', imageList(false));
  r.add('GET', '/images/detail', imageList(true));
  r.add('GET', '/images/:id', async (request) => {
    upTo(request, MAX_PROXY);
    return { image: imageDetail(request, await showProxyImage(deps, callerOf(request), params(request).id)) };
  });
  r.add('DELETE', '/images/:id', async (request, reply) => {
    upTo(request, MAX_PROXY);
    await deleteProxyImage(deps, callerOf(request), params(request).id);
    return empty(reply, 204);
  });

  // --- image metadata (image_metadata.py, to 2.38) -----------------------------------
  r.add('GET', '/images/:id/metadata', async (request) => {
    upTo(request, MAX_IMAGE_METADATA);
    return { metadata: await listImageMetadata(deps, callerOf(request), params(request).id) };
  });
  r.add('POST', '/images/:id/metadata', async (request) => {
    upTo(request, MAX_IMAGE_METADATA);
    const metadata = metadataBody(request.body);
    return { metadata: await updateImageMetadata(deps, callerOf(request), params(request).id, 'create', metadata) };
  });
  r.add('PUT', '/images/:id/metadata', async (request) => {
    upTo(request, MAX_IMAGE_METADATA);
    const metadata = metadataBody(request.body);
    return {
      metadata: await updateImageMetadata(deps, callerOf(request), params(request).id, 'update_all', metadata),
    };
  });
  r.add('GET', '/images/:id/metadata/:key', async (request) => {
    upTo(request, MAX_IMAGE_METADATA);
    const p = params(request);
    return { meta: await showImageMetadataItem(deps, callerOf(request), p.id, p.key) };
  });
  r.add('PUT', '/images/:id/metadata/:key', async (request) => {
    upTo(request, MAX_IMAGE_METADATA);
    const meta = metaItemBody(request.body);
    const p = params(request);
    await updateImageMetadata(deps, callerOf(request), p.id, 'update', meta, p.key);
    return { meta };
  });
  r.add('DELETE', '/images/:id/metadata/:key', async (request, reply) => {
    upTo(request, MAX_IMAGE_METADATA);
    const p = params(request);
    await deleteImageMetadataItem(deps, callerOf(request), p.id, p.key);
    return empty(reply, 204);
  });

  // --- /servers/{id}/ips (ips.py, every microversion) --------------------------------
  r.add('GET', '/servers/:id/ips', async (request) => ({
    addresses: await serverAddresses(deps, callerOf(request), params(request).id, 'index'),
  }));
  r.add('GET', '/servers/:id/ips/:label', async (request) => {
    const p = params(request);
    return serverAddressesOn(deps, callerOf(request), p.id, p.label);
  });

  // --- os-tenant-networks (tenant_networks.py) ---------------------------------------
  r.add('GET', '/os-tenant-networks', async (request) => {
    upTo(request, MAX_PROXY);
    return { networks: (await listTenantNetworks(deps, callerOf(request))).map(networkView) };
  });
  r.add('GET', '/os-tenant-networks/:id', async (request) => {
    upTo(request, MAX_PROXY);
    return { network: networkView(await showTenantNetwork(deps, callerOf(request), params(request).id)) };
  });
  // Nova's @wsgi.removed create and delete: 410 at every microversion.
  const gone = async () => {
    throw new HttpFault(410, 'computeFault', GONE_MESSAGE);
  };
  r.add('POST', '/os-tenant-networks', gone);
  r.add('DELETE', '/os-tenant-networks/:id', gone);

  // --- os-networks (networks.py): the reads to 2.35, the writes gone ---------------------
  r.add('GET', '/os-networks', async (request) => {
    upTo(request, MAX_PROXY);
    return { networks: await listNovaNetworks(deps, callerOf(request)) };
  });
  r.add('GET', '/os-networks/:id', async (request) => {
    upTo(request, MAX_PROXY);
    return { network: await showNovaNetwork(deps, callerOf(request), params(request).id) };
  });
  // Its writes are @wsgi.removed: 410 at every microversion.
  r.add('POST', '/os-networks', gone);
  r.add('POST', '/os-networks/add', gone);
  r.add('DELETE', '/os-networks/:id', gone);
  r.add('POST', '/os-networks/:id/action', gone);

  // os-floating-ip-pools and os-floating-ips: floating-ip-proxies.routes.ts.

  // --- os-security-groups, os-security-group-rules (security_groups.py) ----------------
  const sgBase = '/os-security-groups';
  r.add('GET', sgBase, async (request) => {
    upTo(request, MAX_PROXY);
    const q = request.query as Query;
    const int = (k: string) => {
      const v = scalar(q, k);
      if (v === undefined) return undefined;
      if (!/^\d+$/.test(v))
        throw invalid(`Invalid input for query parameters ${k}. Value: ${v}. '${v}' does not match '^[0-9]*$'`);
      return Number(v);
    };
    const all = scalar(q, 'all_tenants');
    return {
      security_groups: await sg.listSecurityGroups(deps, callerOf(request), {
        allTenants: all !== undefined && !['0', 'false', 'f', 'off', 'no', 'n'].includes(all.toLowerCase()),
        limit: int('limit'),
        offset: int('offset'),
      }),
    };
  });
  r.add('POST', sgBase, async (request) => {
    upTo(request, MAX_PROXY);
    return { security_group: await sg.createSecurityGroup(deps, callerOf(request), request.body) };
  });
  r.add('GET', `${sgBase}/:id`, async (request) => {
    upTo(request, MAX_PROXY);
    return { security_group: await sg.showSecurityGroup(deps, callerOf(request), params(request).id) };
  });
  r.add('PUT', `${sgBase}/:id`, async (request) => {
    upTo(request, MAX_PROXY);
    return { security_group: await sg.updateSecurityGroup(deps, callerOf(request), params(request).id, request.body) };
  });
  r.add('DELETE', `${sgBase}/:id`, async (request, reply) => {
    upTo(request, MAX_PROXY);
    await sg.deleteSecurityGroup(deps, callerOf(request), params(request).id);
    return empty(reply, 202);
  });
  r.add('POST', '/os-security-group-rules', async (request) => {
    upTo(request, MAX_PROXY);
    const b = request.body as { security_group_rule?: unknown } | null;
    const rule = b && typeof b === 'object' ? b.security_group_rule : undefined;
    if (!rule || typeof rule !== 'object' || Array.isArray(rule))
      throw invalid(
        "Invalid input for field/attribute security_group_rule. 'security_group_rule' is a required property",
      );
    const parent = (rule as { parent_group_id?: unknown }).parent_group_id;
    if (typeof parent !== 'string')
      throw invalid(
        `Invalid input for field/attribute security_group_rule. Value: ${JSON.stringify(rule)}. 'parent_group_id' is a required property`,
      );
    return { security_group_rule: await sg.createSecurityGroupRule(deps, callerOf(request), b) };
  });
  r.add('DELETE', '/os-security-group-rules/:id', async (request, reply) => {
    upTo(request, MAX_PROXY);
    await sg.deleteSecurityGroupRule(deps, callerOf(request), params(request).id);
    return empty(reply, 202);
  });
  // Not a proxy: served at every microversion.
  r.add('GET', '/servers/:id/os-security-groups', async (request) => ({
    security_groups: await sg.serverSecurityGroups(deps, callerOf(request), params(request).id),
  }));

  r.finish();
}
