import type { FastifyInstance, FastifyRequest } from 'fastify';
import { evacuateServer } from './evacuate.js';
import { parseEvacuate } from './evacuate.schemas.js';
import type { Caller, Deps } from '../context.js';
import { canonicalUuid } from '../access.js';
import { createServer, listServers, showServer, updateServer, MAX_LIMIT, type RequestedNetworks } from './servers.js';
import { deleteServer } from './delete-server.js';
import {
  powerAction,
  lockServer,
  unlockServer,
  resetState,
  restoreServer,
  forceDeleteServer,
} from './server-actions.js';
import { listInstanceActions, showInstanceAction } from './instance-actions.js';
import { listServices, updateService, type ServiceView } from './services.js';
import { consoleOutput } from './console.js';
import { registerFlavorRoutes } from './flavors.routes.js';
import { serverDetails } from './server-details.js';
import { registerKeypairRoutes } from './keypairs.routes.js';
import { registerServerMetadataRoutes } from './server-metadata.routes.js';
import { registerZoneRoutes } from './zones.routes.js';
import { isLegacyConsoleAction, legacyConsoleAction, registerRemoteConsoleRoutes } from './remote-consoles.routes.js';
import { invalid, noSuchAction, unknownServiceAction } from '../../domain/errors.js';
import { novaUsecTime } from '../../domain/clock.js';
import { baseUrl, callerOf } from '../../http/request.js';
import { atLeast, MAX_VERSION_STRING } from '../../http/microversion.js';
import { RouteTable } from '../../http/route-table.js';
import { renderServer, renderServerBrief, serverLinks, type ViewContext } from './servers.view.js';
import * as schemas from './compute.schemas.js';
import { allTenantsFlag, list, scalar, type Query } from '../../http/query.js';
import { registerQuotaRoutes } from './quotas.routes.js';
import { registerProxyRoutes } from './proxies.routes.js';
import { registerAdminReadRoutes } from './hypervisors.routes.js';
import { registerHostRoutes } from './hosts.routes.js';
import { registerServerGroupRoutes } from './server-groups.routes.js';
import { confirmResize, resizeServer, revertResize } from './resize.js';
import { parseResize } from './resize.schemas.js';
import { registerMigrationRoutes } from './migrations.routes.js';
import { serverImageAction } from './server-image-actions.routes.js';
import { createBackupAction, unshelveAction } from './unshelve-backup.routes.js';
import { registerInterfaceRoutes } from './interfaces.routes.js';
import { registerVolumeAttachmentRoutes } from './volume-attachments.routes.js';
import { volumesAttachedOf } from './server-volumes.js';
import { liveMigrateServer, migrateServer } from './migrate-server.js';
import { parseLiveMigrate, parseMigrate } from './migrate-server.schemas.js';
import { registerServerMigrationRoutes } from './migrate-server.routes.js';
import { serverGroupsOf } from './server-groups.js';
import { parseGroupHint } from './server-groups.schemas.js';
import { changeServerSecurityGroup } from './server-security-groups.js';
import { parseCreateOptions, type CreateOptionsBody } from './server-create.schemas.js';
import { registerRescueRoutes, rescueAction } from './rescue.routes.js';
import { floatingIpAction, registerFloatingIpProxyRoutes } from './floating-ip-proxies.routes.js';
import { registerVolumeProxyRoutes } from './volume-proxies.routes.js';

/** The v2.1 entry of the version list (`GET /`); `GET /v2.1` adds its describedby link and media types. */
function versionV21Brief(request: FastifyRequest) {
  return {
    id: 'v2.1',
    status: 'CURRENT',
    version: MAX_VERSION_STRING,
    min_version: '2.1',
    updated: '2013-07-23T11:33:21Z',
    links: [{ rel: 'self', href: `${baseUrl(request)}/v2.1/` }],
  };
}

/** The legacy v2.0 entry Nova still lists as SUPPORTED. */
function versionV20Brief(request: FastifyRequest) {
  return {
    id: 'v2.0',
    status: 'SUPPORTED',
    version: '',
    min_version: '',
    updated: '2011-01-21T11:33:21Z',
    links: [{ rel: 'self', href: `${baseUrl(request)}/v2/` }],
  };
}

/** A version's own document: its list entry plus the describedby link and media types. */
function withDetails(brief: ReturnType<typeof versionV21Brief>, mediaVersion: string) {
  return {
    ...brief,
    links: [...brief.links, { rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' }],
    'media-types': [
      { base: 'application/json', type: `application/vnd.openstack.compute+json;version=${mediaVersion}` },
    ],
  };
}

function versionV21(request: FastifyRequest) {
  return withDetails(versionV21Brief(request), '2.1');
}

/** Prefix of links as the client addressed us (with the project id when the URL had one). */
function linkBases(request: FastifyRequest) {
  const p = (request.params as { project_id?: string }).project_id;
  const b = baseUrl(request);
  return { base: `${b}/v2.1${p ? `/${p}` : ''}`, bookmarkBase: `${b}${p ? `/${p}` : ''}` };
}

function parseIntParam(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min)
    throw invalid(`Invalid input for field/attribute ${name}. Value: ${v}. '${v}' does not match '^[0-9]*$'`);
  return Number(v);
}

export function registerComputeRoutes(app: FastifyInstance, deps: Deps): void {
  const root = new RouteTable(app);
  root.add(
    'GET',
    '/',
    async (request) => ({
      versions: [versionV20Brief(request), versionV21Brief(request)],
    }),
    { public: true },
  );
  root.add('GET', '/v2.1', async (request) => ({ version: versionV21(request) }), { public: true });
  // The v2.0 entry's self link must lead to its document too (Tempest's test_get_version_details
  // follows every link); Stratus serves the API itself under /v2.1 only.
  root.add('GET', '/v2', async (request) => ({ version: withDetails(versionV20Brief(request), '2') }), {
    public: true,
  });
  root.finish();

  const r = new RouteTable(app, ['/v2.1', '/v2.1/:project_id']);

  /** The view context of `rows`, with what the caller may see of them (ports, host status). */
  async function viewContext(
    request: FastifyRequest,
    caller: Caller,
    rows: Array<{ id: string }>,
    opts: { ports: boolean },
  ) {
    const details = await serverDetails(deps, caller, rows, {
      ports: opts.ports,
      hostStatus: atLeast(request.mv, 16),
      tags: atLeast(request.mv, 26),
    });
    const ctx: ViewContext = {
      mv: request.mv,
      ...linkBases(request),
      isAdmin: caller.isAdmin,
      showHostStatus: details.hostStatus !== undefined,
      networkNames: details.networkNames,
      hostStatus: details.hostStatus,
      tagsOf: details.tagsOf,
      securityGroupsOf: details.securityGroupsOf,
      floatingIpsOf: details.floatingIpsOf,
      volumesOf: await volumesAttachedOf(
        deps,
        rows.map((r) => r.id),
      ),
    };
    // 2.71: the show/update views list the server's group.
    if (atLeast(request.mv, 71)) {
      const groups = await serverGroupsOf(
        deps,
        rows.map((r) => r.id),
      );
      ctx.serverGroupsOf = (id) => groups.get(id) ?? [];
    }
    return { ctx, portsOf: details.portsOf };
  }

  registerFlavorRoutes(app, deps);

  // --- servers -------------------------------------------------------------------------
  const listRoute = (detail: boolean) => async (request: FastifyRequest) => {
    const caller = callerOf(request);
    const q = request.query as Query;
    const last = (key: string) => scalar(q, key);
    const limit = parseIntParam('limit', last('limit'), 0);
    const allTenants = allTenantsFlag(q);
    const lockedRaw = atLeast(request.mv, 73) ? last('locked') : undefined;
    const { rows, limit: effective } = await listServers(deps, caller, {
      detail,
      name: last('name'),
      status: list(q, 'status'),
      changesSince: last('changes-since'),
      changesBefore: atLeast(request.mv, 66) ? last('changes-before') : undefined,
      deleted: last('deleted'),
      allTenants,
      projectId: last('project_id') ?? last('tenant_id'),
      image: last('image'),
      flavor: last('flavor'),
      host: last('host'),
      reservationId: last('reservation_id'),
      locked: lockedRaw === undefined ? undefined : ['1', 'true', 't', 'yes', 'on'].includes(lockedRaw.toLowerCase()),
      limit,
      marker: last('marker'),
      sortKey: last('sort_key'),
      sortDir: last('sort_dir'),
      userId: last('user_id'),
      ip: last('ip'),
      ip6: last('ip6'),
      strictStatus: atLeast(request.mv, 38),
      // 2.26: comma-separated tag filters (Nova's TAG_SEARCH_FILTERS).
      tags: atLeast(request.mv, 26)
        ? {
            all: last('tags')?.split(','),
            any: last('tags-any')?.split(','),
            notAll: last('not-tags')?.split(','),
            notAny: last('not-tags-any')?.split(','),
          }
        : undefined,
    });
    const { ctx, portsOf } = await viewContext(request, caller, rows, { ports: detail });
    let body: Record<string, unknown>;
    if (detail) {
      body = { servers: rows.map((s) => renderServer(ctx, s, portsOf(s), { show: false })) };
    } else {
      body = { servers: rows.map((s) => renderServerBrief(ctx, s)) };
    }
    if (rows.length > 0 && rows.length >= Math.min(effective, MAX_LIMIT) && limit !== undefined) {
      const params = new URLSearchParams();
      for (const k of Object.keys(q)) if (k !== 'marker') for (const v of list(q, k) ?? []) params.append(k, v);
      params.set('marker', rows[rows.length - 1].id);
      body.servers_links = [
        { rel: 'next', href: `${ctx.base}/servers${detail ? '/detail' : ''}?${params.toString()}` },
      ];
    }
    return body;
  };
  // Nova reads `status` with getall (every value counts); the other filters take the last value.
  r.add('GET', '/servers', listRoute(false), { listQuery: ['status'] });
  r.add('GET', '/servers/detail', listRoute(true), { listQuery: ['status'] });

  r.add(
    'POST',
    '/servers',
    async (request, reply) => {
      const caller = callerOf(request);
      const s = (request.body as { server: schemas.CreateServerBody }).server;
      if (atLeast(request.mv, 37) && s.networks === undefined)
        throw invalid("Invalid input for field/attribute server. Value: {...}. 'networks' is a required property");
      if (!atLeast(request.mv, 19) && s.description !== undefined)
        throw invalid(
          "Invalid input for field/attribute server. Additional properties are not allowed ('description' was unexpected)",
        );
      if (!atLeast(request.mv, 52) && s.tags !== undefined)
        throw invalid(
          "Invalid input for field/attribute server. Additional properties are not allowed ('tags' was unexpected)",
        );
      const body = request.body as Record<string, unknown>;
      const group = parseGroupHint(body['os:scheduler_hints'] ?? body['OS-SCH-HNT:scheduler_hints']);
      const options = parseCreateOptions(request.mv, s as CreateOptionsBody);
      const toCount = (v: unknown, d: number) => (v === undefined ? d : Number(v));
      const minCount = toCount(s.min_count, 1);
      const maxCount = toCount(s.max_count, minCount);
      const res = await createServer(deps, caller, {
        name: s.name,
        imageRef: s.imageRef ?? '',
        flavorRef: String(s.flavorRef),
        networks: s.networks as RequestedNetworks,
        metadata: s.metadata,
        tags: s.tags,
        description: s.description,
        keyName: s.key_name ?? undefined,
        availabilityZone: s.availability_zone ?? undefined,
        userData: s.user_data,
        adminPass: s.adminPass,
        accessIPv4: s.accessIPv4,
        accessIPv6: s.accessIPv6,
        minCount,
        maxCount,
        returnReservationId: s.return_reservation_id === true,
        group,
        options,
      });
      reply.code(202);
      // Nova's parameter_types.boolean: 'true', '1', 'yes'… ask for the reservation id too.
      if (['true', '1', 'on', 'yes'].includes(String(s.return_reservation_id).toLowerCase()))
        return { reservation_id: res.reservationId };
      const { base, bookmarkBase } = linkBases(request);
      const id = res.ids[0];
      reply.header('location', `${base}/servers/${id}`);
      return {
        server: {
          id,
          links: serverLinks({ base, bookmarkBase } as ViewContext, id),
          'OS-DCF:diskConfig': 'MANUAL',
          // Nova's view echoes the request's groups, else the default group.
          security_groups: s.security_groups ?? [{ name: 'default' }],
          ...(deps.config.enableInstancePassword === 0 ? {} : { adminPass: res.adminPass }),
        },
      };
    },
    { schema: { body: schemas.createServer } },
  );

  r.add('GET', '/servers/:id', async (request) => {
    const caller = callerOf(request);
    const row = await showServer(deps, caller, (request.params as { id: string }).id);
    const { ctx, portsOf } = await viewContext(request, caller, [row], { ports: true });
    return { server: renderServer(ctx, row, portsOf(row), { show: true }) };
  });

  r.add(
    'PUT',
    '/servers/:id',
    async (request) => {
      const caller = callerOf(request);
      const s = (
        request.body as {
          server: { name?: string; description?: string | null; accessIPv4?: string; accessIPv6?: string };
        }
      ).server;
      if (!atLeast(request.mv, 19) && s.description !== undefined)
        throw invalid(
          "Invalid input for field/attribute server. Additional properties are not allowed ('description' was unexpected)",
        );
      // accessIPv4/accessIPv6: Nova's ipv4/ipv6 formats, IPv6 stored compact (as on create).
      const ips = parseCreateOptions(request.mv, { accessIPv4: s.accessIPv4, accessIPv6: s.accessIPv6 });
      const changes = { ...s, accessIPv4: ips.accessIPv4, accessIPv6: ips.accessIPv6 };
      const row = await updateServer(deps, caller, (request.params as { id: string }).id, changes);
      const { ctx, portsOf } = await viewContext(request, caller, [row], { ports: true });
      // Nova: server_groups from 2.71 only (show_server_groups), the rest per update().
      return { server: renderServer(ctx, row, portsOf(row), { show: atLeast(request.mv, 71), update: true }) };
    },
    { schema: { body: schemas.updateServer } },
  );

  r.add('DELETE', '/servers/:id', async (request, reply) => {
    await deleteServer(deps, callerOf(request), (request.params as { id: string }).id);
    reply.code(204).type('application/json');
    return reply.send();
  });

  r.add('POST', '/servers/:id/action', async (request, reply) => {
    const caller = callerOf(request);
    const id = (request.params as { id: string }).id;
    const body = request.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalid('Malformed request body');
    const keys = Object.keys(body);
    // Nova parity (wsgi.action_peek): no key, or more than one, is a malformed body.
    if (keys.length !== 1) throw invalid('Malformed request body');
    const key = keys[0];
    const value = body[key];
    switch (key) {
      case 'lock':
        await lockServer(deps, caller, id, atLeast(request.mv, 73) ? schemas.lockReason(value) : null);
        break;
      case 'unlock':
        await unlockServer(deps, caller, id);
        break;
      case 'os-resetState': {
        const st = (value as { state?: unknown } | null)?.state;
        if (typeof st !== 'string')
          throw invalid(
            'Invalid input for field/attribute os-resetState. Value: ' +
              JSON.stringify(value) +
              ". 'state' is a required property",
          );
        await resetState(deps, caller, id, st);
        break;
      }
      case 'restore':
        await restoreServer(deps, caller, id);
        break;
      case 'forceDelete':
        await forceDeleteServer(deps, caller, id);
        break;
      case 'reboot': {
        const t = (value as { type?: unknown } | null)?.type;
        if (typeof t !== 'string' || !['SOFT', 'HARD'].includes(t.toUpperCase()))
          throw invalid(
            `Invalid input for field/attribute type. Value: ${String(t)}. '${String(t)}' is not one of ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']`,
          );
        await powerAction(deps, caller, id, key, { type: t });
        break;
      }
      case 'os-getConsoleOutput': {
        const raw = (value as { length?: unknown } | null)?.length;
        let lines: number | undefined;
        if (raw !== undefined && raw !== null) {
          const n = typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
          if (typeof n !== 'number' || !Number.isInteger(n) || n < -1)
            throw invalid(`Invalid input for field/attribute length. Value: ${String(raw)}.`);
          lines = n === -1 ? undefined : n;
        }
        const output = await consoleOutput(deps, caller, id, lines);
        reply.code(200);
        return { output };
      }
      case 'resize':
        await resizeServer(deps, caller, id, parseResize(value).flavorRef);
        break;
      case 'confirmResize':
        // Nova: confirmResize answers 204, revertResize 202.
        await confirmResize(deps, caller, id);
        reply.code(204);
        return reply.send();
      case 'revertResize':
        await revertResize(deps, caller, id);
        break;
      case 'migrate':
        await migrateServer(deps, caller, id, parseMigrate(value, atLeast(request.mv, 56)));
        break;
      case 'os-migrateLive':
        await liveMigrateServer(
          deps,
          caller,
          id,
          parseLiveMigrate(value, {
            v25: atLeast(request.mv, 25),
            v30: atLeast(request.mv, 30),
            v68: atLeast(request.mv, 68),
          }),
        );
        break;
      case 'evacuate': {
        const mv = request.mv;
        const req = parseEvacuate(value, {
          v14: atLeast(mv, 14),
          v29: atLeast(mv, 29),
          v68: atLeast(mv, 68),
          v95: atLeast(mv, 95),
        });
        const password = await evacuateServer(deps, caller, id, req);
        // evacuate.py: 200 (not 202, for compatibility); the password only before 2.14.
        reply.code(200);
        if (!atLeast(mv, 14) && deps.config.enableInstancePassword !== 0) return { adminPass: password };
        return reply.send();
      }
      case 'os-stop':
      case 'os-start':
      case 'pause':
      case 'unpause':
      case 'suspend':
      case 'resume':
      case 'shelve':
      case 'shelveOffload':
        await powerAction(deps, caller, id, key, {});
        break;
      case 'unshelve':
        await unshelveAction(deps, request, id, value);
        break;
      case 'createBackup':
        return createBackupAction(deps, request, reply, id, value);
      case 'addSecurityGroup':
      case 'removeSecurityGroup':
        await changeServerSecurityGroup(deps, caller, id, key, value);
        break;
      case 'rescue':
      case 'unrescue':
      case 'changePassword':
        return rescueAction(deps, request, reply, id, key, value);
      case 'addFloatingIp':
      case 'removeFloatingIp':
        return floatingIpAction(deps, request, reply, id, key, value);
      case 'rebuild':
      case 'createImage':
        return serverImageAction(deps, request, reply, key, value, async (req, row) => {
          const { ctx, portsOf } = await viewContext(req, caller, [row], { ports: true });
          return renderServer(ctx, row, portsOf(row), { show: true });
        });
      default:
        if (isLegacyConsoleAction(key))
          return reply.code(200).send(await legacyConsoleAction(deps, request, id, key, value));
        throw noSuchAction(key);
    }
    reply.code(202);
    return reply.send();
  });

  // --- instance actions ----------------------------------------------------------------
  const actionTime = (s: string | null) => novaUsecTime(s);
  const renderAction = (
    request: FastifyRequest,
    a: {
      action: string;
      server_id: string;
      message: string | null;
      project_id: string;
      request_id: string;
      start_time: string;
      user_id: string;
      updated_at: string;
    },
  ) => {
    const out: Record<string, unknown> = {
      action: a.action,
      instance_uuid: a.server_id,
      message: a.message,
      project_id: a.project_id,
      request_id: a.request_id,
      start_time: actionTime(a.start_time),
      user_id: a.user_id,
    };
    if (atLeast(request.mv, 58)) out.updated_at = actionTime(a.updated_at);
    return out;
  };
  r.add('GET', '/servers/:id/os-instance-actions', async (request) => {
    const res = await listInstanceActions(
      deps,
      callerOf(request),
      (request.params as { id: string }).id,
      atLeast(request.mv, 21),
    );
    return { instanceActions: res.actions.map((a) => renderAction(request, a)) };
  });
  r.add('GET', '/servers/:id/os-instance-actions/:request_id', async (request) => {
    const caller = callerOf(request);
    const p = request.params as { id: string; request_id: string };
    const res = await showInstanceAction(deps, caller, p.id, p.request_id, atLeast(request.mv, 21));
    const action = renderAction(request, res.action);
    if (atLeast(request.mv, 51) || res.showEvents) {
      action.events = res.events.map((e) => {
        const ev: Record<string, unknown> = {
          event: e.event,
          start_time: actionTime(e.start_time),
          finish_time: actionTime(e.finish_time),
          result: e.result,
        };
        if (res.showDetails) ev.traceback = e.traceback;
        if (atLeast(request.mv, 62)) {
          if (res.showEvents) ev.host = e.host ?? '';
          ev.hostId = '';
        }
        if (atLeast(request.mv, 84) && res.showDetails) ev.details = e.details;
        return ev;
      });
    }
    return { instanceAction: action };
  });

  // --- os-services ---------------------------------------------------------------------
  const renderService = (request: FastifyRequest, s: ServiceView, i: number) => {
    const out: Record<string, unknown> = {
      id: atLeast(request.mv, 53) ? s.row.id : i + 1,
      binary: s.row.binary,
      host: s.row.host,
      zone: s.zone,
      status: s.row.disabled ? 'disabled' : 'enabled',
      state: s.up ? 'up' : 'down',
      updated_at: novaUsecTime(s.row.last_seen_at),
      disabled_reason: s.row.disabled_reason,
    };
    if (atLeast(request.mv, 11)) out.forced_down = s.row.forced_down === 1;
    return out;
  };
  r.add('GET', '/os-services', async (request) => {
    const q = request.query as Query;
    const rows = await listServices(deps, callerOf(request), { host: scalar(q, 'host'), binary: scalar(q, 'binary') });
    return { services: rows.map((s, i) => renderService(request, s, i)) };
  });
  r.add(
    'PUT',
    '/os-services/:id',
    async (request) => {
      const caller = callerOf(request);
      const id = (request.params as { id: string }).id;
      const b = (request.body ?? {}) as {
        status?: 'enabled' | 'disabled';
        disabled_reason?: string;
        forced_down?: boolean;
        host?: string;
        binary?: string;
      };
      if (atLeast(request.mv, 53)) {
        if (!canonicalUuid(id)) throw invalid(`Invalid uuid ${id}`);
        const res = await updateService(
          deps,
          caller,
          { id: canonicalUuid(id)! },
          { status: b.status, disabledReason: b.disabled_reason, forcedDown: b.forced_down },
        );
        return { service: renderService(request, res, 0) };
      }
      // Before 2.53 the path names the action: enable, disable, disable-log-reason, force-down.
      if (!b.host || !b.binary) throw invalid("'host' is a required property");
      const changes =
        id === 'enable'
          ? { status: 'enabled' as const }
          : id === 'disable'
            ? { status: 'disabled' as const }
            : id === 'disable-log-reason'
              ? { status: 'disabled' as const, disabledReason: b.disabled_reason }
              : id === 'force-down' && atLeast(request.mv, 11)
                ? { forcedDown: b.forced_down === true }
                : null;
      if (!changes) throw unknownServiceAction(id);
      const res = await updateService(deps, caller, { host: b.host, binary: b.binary }, changes);
      const out: Record<string, unknown> = { host: res.row.host, binary: res.row.binary };
      if ('status' in changes) out.status = changes.status;
      if ('disabledReason' in changes) out.disabled_reason = changes.disabledReason;
      if ('forcedDown' in changes) out.forced_down = changes.forcedDown;
      return { service: out };
    },
    { schema: { body: schemas.updateService } },
  );

  r.finish();
  registerKeypairRoutes(app, deps);
  registerServerMetadataRoutes(app, deps);
  registerZoneRoutes(app, deps);
  registerQuotaRoutes(app, deps);
  registerProxyRoutes(app, deps);
  registerAdminReadRoutes(app, deps);
  registerHostRoutes(app, deps);
  registerServerGroupRoutes(app, deps);
  registerMigrationRoutes(app, deps);
  registerRescueRoutes(app, deps);
  registerRemoteConsoleRoutes(app, deps);
  registerInterfaceRoutes(app, deps);
  registerVolumeAttachmentRoutes(app, deps);
  registerServerMigrationRoutes(app, deps);
  registerFloatingIpProxyRoutes(app, deps);
  registerVolumeProxyRoutes(app, deps);
}
