import { randomBytes } from 'node:crypto';
import type { Caller, Deps } from '../context.js';
import { authorize, allowed, canonicalUuid } from '../access.js';
import { findServer } from './access.js';
import { recordAction } from './record-action.js';
import * as servers from '../../db/repositories/servers.repository.js';
import * as net from '../../db/repositories/network.repository.js';
import { usableFlavor } from './flavors.js';
import * as catalog from '../../db/repositories/catalog.repository.js';
import { upComputeServices } from './services.js';
import { keypairForServer } from './keypairs.js';
import { placementCandidates, resolvePlacement, zoneOfHost, type Placement } from './zones.js';
import { reserveServers } from './quotas.js';
import { createPort, portLimitExceeded } from '../network/ports.js';
import type { TaskRow } from '../../tasks/queue.js';
import { iso } from '../../domain/clock.js';
import { DomainError, conflict, invalid, deletedListingForbidden, invalidStatusFilter } from '../../domain/errors.js';
import { statesForStatus } from '../../domain/states.js';
import { imageVisibleTo } from '../../domain/images.js';
import { LIFECYCLE } from '../../domain/lifecycle.js';
import type { ServersTable } from '../../db/schema.js';
import { checkMetadataQuota } from './server-metadata.js';
import { setInitialTags, type TagFilters } from './server-tags.js';
import { groupForServer, joinGroup, placeInGroup } from './server-groups.js';
import { checkCreateOptions, type CreateOptions } from './server-create.js';
import { planBootVolumes, writeBootVolumes } from './boot-volumes.js';

export type { ServerRow } from '../../db/repositories/servers.repository.js';

const MAX_SERVERS_PER_REQUEST = 1000;

export type RequestedNetworks =
  | 'auto'
  | 'none'
  | Array<{ uuid?: string; port?: string; fixed_ip?: string }>
  | undefined;

export interface CreateServerInput {
  name: string;
  imageRef: string;
  flavorRef: string;
  networks: RequestedNetworks;
  metadata?: Record<string, string>;
  /** 2.52+ */
  tags?: string[];
  description?: string | null;
  keyName?: string;
  availabilityZone?: string;
  userData?: string;
  adminPass?: string;
  accessIPv4?: string;
  accessIPv6?: string;
  minCount: number;
  maxCount: number;
  returnReservationId: boolean;
  /** The `group` scheduler hint: the server group the servers join. */
  group?: string;
  /** personality, config_drive, security groups, trusted certs, requested host, hostname, bdm v2 (server-create.ts). */
  options?: CreateOptions;
}

/** Last path segment of an href, as Nova accepts `imageRef`/`flavorRef` as links too. */
const lastSegment = (href: string) => href.replace(/\/+$/, '').split('/').pop() ?? href;

/** Nova's hostname sanitising (hostname from display name). */
function sanitizeHostname(name: string): string {
  const h = name
    .toLowerCase()
    .replace(/[ _]/g, '-')
    .replace(/[^a-z0-9.-]/g, '')
    .replace(/^[.-]+|[.-]+$/g, '')
    .slice(0, 63);
  return h || 'server';
}

/**
 * Stratus' placement rule: among enabled compute services that are up (in the requested zone, or
 * the forced host) with room for the flavor, the least loaded first (a server group's policy
 * then chooses among these, server-groups.ts).
 */
async function rankHosts(
  deps: Deps,
  flavor: { vcpus: number; ram: number; disk: number },
  where: Placement = {},
): Promise<string[]> {
  const svcs = await placementCandidates(deps, await upComputeServices(deps), where);
  if (svcs.length === 0) return [];
  if (svcs.length === 1) return svcs[0].memory_mb === 0 || svcs[0].memory_mb >= flavor.ram ? [svcs[0].host] : [];
  const count = await servers.liveServerCounts(
    deps.db,
    svcs.map((s) => s.host),
  );
  const fits = svcs.filter((s) => s.memory_mb === 0 || s.memory_mb >= flavor.ram);
  fits.sort((a, b) => (count.get(a.host) ?? 0) - (count.get(b.host) ?? 0));
  return fits.map((s) => s.host);
}

export async function createServer(deps: Deps, caller: Caller, input: CreateServerInput) {
  authorize(deps, caller, LIFECYCLE.create.rule, { project_id: caller.projectId, user_id: caller.userId });
  if (input.minCount > input.maxCount) throw invalid('min_count must be <= max_count');
  // On top of the quotas (unlimited by default), this bound keeps one request from holding the writer for long.
  if (input.maxCount > MAX_SERVERS_PER_REQUEST) throw invalid(`max_count may not exceed ${MAX_SERVERS_PER_REQUEST}`);
  const where = await resolvePlacement(deps, caller, input.availabilityZone);
  const extra = await checkCreateOptions(deps, caller, input.options, where);
  const bdms = input.options?.blockDeviceMappings ?? [];
  // Nova's _image_from_req_data: no imageRef is fine when block devices are given (boot from volume).
  const imageGiven = input.imageRef !== '' || bdms.length === 0;
  const imageId = imageGiven ? canonicalUuid(lastSegment(input.imageRef)) : null;
  if (imageGiven && !imageId) throw invalid('Invalid imageRef provided.');
  const image = imageId ? await catalog.getImage(deps.db, imageId) : undefined;
  if (imageId && (!image || !imageVisibleTo(image, caller.isAdmin ? undefined : caller.projectId)))
    throw invalid('Can not find requested image');
  if (image && image.status !== 'active') throw invalid(`Image ${imageId} is not active.`);
  const flavorId = lastSegment(input.flavorRef);
  // A private flavor the project has no access to is not found (Nova's context-filtered lookup).
  const flavor = await usableFlavor(deps, caller, flavorId);
  if (!flavor) throw invalid(`Flavor ${flavorId} could not be found.`);
  const boot = await planBootVolumes(deps, caller, bdms, image?.id ?? null, input.maxCount);
  const minRam = boot.volumeBacked ? (boot.rootImage?.min_ram ?? 0) : (image?.min_ram ?? 0);
  if (minRam > flavor.ram) throw invalid("Flavor's memory is too small for requested image.");
  // Nova parity: the key is the caller's own (looked up under context.user_id), else 400.
  if (input.keyName !== undefined) await keypairForServer(deps, caller, input.keyName);
  await checkMetadataQuota(deps, deps.db, caller.projectId, input.metadata ?? {});
  const group = input.group !== undefined ? await groupForServer(deps, caller, input.group) : undefined;

  // Resolve the requested networks before writing anything (Nova validates them in the API).
  const visibleNets = await net.listNetworks(deps.db, caller.isAdmin ? undefined : caller.projectId);
  const plan: Array<{ networkId: string } | { portId: string }> = [];
  const nets = input.networks;
  if (nets === undefined || nets === 'auto') {
    const candidates = visibleNets.filter((n) => !n.external);
    const own = candidates.filter((n) => n.project_id === caller.projectId);
    const pick = own.length === 1 ? own[0] : candidates.length === 1 ? candidates[0] : candidates.find((n) => n.shared);
    if (pick) plan.push({ networkId: pick.id });
  } else if (nets !== 'none') {
    for (const n of nets) {
      if (n.port) {
        const portId = canonicalUuid(n.port);
        const port = portId ? await net.getPort(deps.db, portId) : undefined;
        if (!port || (!caller.isAdmin && port.project_id !== caller.projectId))
          throw invalid(`Port id ${n.port} could not be found.`); // Nova parity: servers.create maps PortNotFound to 400
        if (port.device_id) throw conflict(`Port ${port.id} is still in use.`, 'PortInUse');
        if (input.maxCount > 1)
          throw invalid(
            'Failed to launch instances: Unable to launch multiple instances with a single configured port ID. Please launch your instance one by one with different ports.',
          );
        plan.push({ portId: port.id });
      } else if (n.uuid) {
        const id = canonicalUuid(n.uuid);
        const found = id ? visibleNets.find((x) => x.id === id) : undefined;
        if (!found) throw invalid(`Network ${n.uuid} could not be found.`);
        plan.push({ networkId: found.id });
      } else {
        throw invalid('Bad networks format: network uuid is not in proper format');
      }
    }
  }

  await extra.checkQuotas();
  const ranked = await rankHosts(deps, flavor, extra.where);
  const now = iso(deps.clock.now());
  const reservationId = `r-${randomBytes(4).toString('hex').slice(0, 8)}`;
  const flavorSnapshot = JSON.stringify({
    id: flavor.id,
    name: flavor.name,
    vcpus: flavor.vcpus,
    ram: flavor.ram,
    disk: flavor.disk,
    ephemeral: flavor.ephemeral,
    swap: flavor.swap,
    extra_specs: JSON.parse(flavor.extra_specs),
  });
  const adminPass = input.adminPass ?? randomBytes(9).toString('base64url').slice(0, 12);
  const created: string[] = [];
  const spawns: TaskRow[] = [];
  await deps.transact(async (tx) => {
    created.length = spawns.length = 0; // PostgreSQL may run this again after a deadlock
    // Quota: counted and checked under the project's quota lock, in this transaction (quotas.ts).
    const count = await reserveServers(
      deps,
      tx,
      caller.projectId,
      flavor,
      input.minCount,
      input.maxCount,
      caller.userId,
    );
    // Without a group every server goes to the best host; a group's policy places each one
    // (none placed: all of them are in ERROR with NoValidHost, as below).
    const hosts: Array<string | null> = group
      ? await placeInGroup(deps, tx, caller, group.id, ranked, count)
      : Array.from({ length: count }, () => ranked[0] ?? null);
    const zones = new Map<string, string>();
    for (const h of new Set(hosts)) if (h) zones.set(h, (await zoneOfHost(tx, h)) ?? '');
    for (let i = 0; i < count; i++) {
      const host = hosts[i];
      const zone = host ? (zones.get(host) ?? '') : (where.zone ?? '');
      const id = deps.ids.uuid();
      const name = count > 1 ? `${input.name}-${i + 1}` : input.name;
      const row: servers.NewServer = {
        id,
        project_id: caller.projectId,
        user_id: caller.userId,
        name,
        description: input.description ?? null,
        // Nova: a volume-backed server's image_ref is '' (the image is the root volume's).
        image_id: boot.volumeBacked || !image ? '' : image.id,
        flavor_id: flavor.id,
        flavor: flavorSnapshot,
        vm_state: host ? 'building' : 'error',
        task_state: host ? LIFECYCLE.create.setsTaskState : null,
        power_state: 0,
        host: null,
        launched_at: null,
        terminated_at: null,
        locked_by: null,
        locked_reason: null,
        metadata: JSON.stringify(input.metadata ?? {}),
        key_name: input.keyName ?? null,
        reservation_id: reservationId,
        launch_index: i,
        hostname: extra.hostname ?? sanitizeHostname(name),
        personality: extra.personality,
        config_drive: extra.configDrive,
        trusted_image_certificates: extra.trustedImageCertificates,
        access_ipv4: input.options?.accessIPv4 ?? input.accessIPv4 ?? '',
        access_ipv6: input.options?.accessIPv6 ?? input.accessIPv6 ?? '',
        availability_zone: zone,
        pinned_availability_zone: where.zone ?? null,
        user_data: input.userData ?? null,
        requested_networks: JSON.stringify(plan),
        fault: host
          ? null
          : JSON.stringify({
              code: 500,
              message: 'No valid host was found. ',
              details: 'There are not enough hosts available.',
              created: now,
            }),
        created_at: now,
        updated_at: now,
        deleted_at: null,
        deleted: 0,
      };
      await servers.insertServer(tx, row);
      if (input.tags?.length) await setInitialTags(tx, id, input.tags);
      await writeBootVolumes(deps, tx, caller, id, boot, now);
      if (group) await joinGroup(deps, tx, group.id, id, host);
      for (const p of plan) {
        if ('portId' in p) {
          if (!(await net.claimPort(tx, p.portId, id, now)))
            throw conflict(`Port ${p.portId} is still in use.`, 'PortInUse');
        } else {
          await createPort(deps, tx, {
            networkId: p.networkId,
            projectId: caller.projectId,
            deviceId: id,
            deviceOwner: 'compute:nova',
            createdForServer: true,
            securityGroupIds: extra.securityGroups,
          }).catch(portLimitExceeded);
        }
      }
      const actionId = await recordAction(deps, tx, caller, id, 'create');
      if (host)
        spawns.push(
          await deps.tasks.enqueue(tx, {
            kind: LIFECYCLE.create.task!,
            serverId: id,
            host,
            payload: { actionId, requestId: caller.requestId },
          }),
        );
      created.push(id);
    }
  });
  deps.tasks.dispatch(spawns);
  return { ids: created, adminPass, reservationId, securityGroups: extra.securityGroups };
}

export async function showServer(deps: Deps, caller: Caller, id: string) {
  const row = await findServer(deps.db, caller, id);
  authorize(deps, caller, 'os_compute_api:servers:show', { project_id: row.project_id, user_id: row.user_id });
  return row;
}

export interface ListQuery {
  name?: string;
  status?: string[];
  changesSince?: string;
  changesBefore?: string;
  deleted?: string;
  allTenants: boolean;
  projectId?: string;
  image?: string;
  flavor?: string;
  host?: string;
  reservationId?: string;
  locked?: boolean;
  limit?: number;
  marker?: string;
  sortKey?: string;
  sortDir?: string;
  detail: boolean;
  userId?: string;
  /** 2.38+: an unknown status is a 400 instead of an empty list. */
  strictStatus?: boolean;
  /** 2.26+: tags, tags-any, not-tags, not-tags-any. */
  tags?: TagFilters;
  /** Regular expressions matched at the start of a fixed IPv4 / IPv6 address (Nova's _ip_filter). */
  ip?: string;
  ip6?: string;
}

function ipPattern(value: string | undefined, field: string): RegExp | undefined {
  if (value === undefined) return undefined;
  try {
    return new RegExp(`^(?:${value})`);
  } catch {
    throw invalid(`Invalid filter field: ${field}.`);
  }
}

/**
 * The name filter is a regular expression (Nova: the database's REGEXP / `~`). One that cannot
 * be compiled is a 400 here, as the ip filters above are; Nova lets the database raise and
 * answers 500, which is no answer for a client's typo.
 */
function nameRegex(value: string | undefined): void {
  if (value === undefined) return;
  try {
    new RegExp(value);
  } catch {
    throw invalid('Invalid filter field: name.');
  }
}

const SORT_KEYS: Record<string, keyof ServersTable> = {
  created_at: 'created_at',
  updated_at: 'updated_at',
  display_name: 'name',
  name: 'name',
  uuid: 'id',
  vm_state: 'vm_state',
  task_state: 'task_state',
  power_state: 'power_state',
  launched_at: 'launched_at',
  terminated_at: 'terminated_at',
  host: 'host',
  hostname: 'hostname',
  key_name: 'key_name',
  project_id: 'project_id',
  user_id: 'user_id',
  locked: 'locked_by',
  availability_zone: 'availability_zone',
  image_ref: 'image_id',
  instance_type_id: 'flavor_id',
};
export const MAX_LIMIT = 1000;

function parseTime(value: string, field: string): string {
  const ok = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(value);
  const t = ok ? Date.parse(value.replace(' ', 'T')) : NaN;
  if (Number.isNaN(t)) throw invalid(`Invalid filter field: ${field}.`);
  return new Date(t).toISOString();
}

/**
 * Which project's servers a listing shows (undefined: every project), after the list policy and
 * the all_tenants policy: Nova's _get_servers visibility. The watch API scopes its stream with it.
 */
export function serverListScope(
  deps: Deps,
  caller: Caller,
  q: { detail: boolean; allTenants: boolean; projectId?: string },
): { projectId: string | undefined } {
  authorize(deps, caller, q.detail ? 'os_compute_api:servers:detail' : 'os_compute_api:servers:index', {
    project_id: caller.projectId,
    user_id: caller.userId,
  });
  let projectId: string | undefined = caller.projectId;
  if (q.allTenants) {
    authorize(
      deps,
      caller,
      q.detail ? 'os_compute_api:servers:detail:get_all_tenants' : 'os_compute_api:servers:index:get_all_tenants',
      { project_id: caller.projectId },
    );
    const allFilters = allowed(deps, caller, 'os_compute_api:servers:allow_all_filters');
    projectId = allFilters && q.projectId ? q.projectId : undefined;
  }
  return { projectId };
}

/** Nova's _get_servers: visibility, deleted handling, filters and paging. */
export async function listServers(deps: Deps, caller: Caller, q: ListQuery) {
  const { projectId } = serverListScope(deps, caller, q);
  const admin = caller.isAdmin;
  const allFilters = allowed(deps, caller, 'os_compute_api:servers:allow_all_filters');
  // Nova parity (lp:#1185290): without all_tenants, tenant_id/project_id are ignored, even for an admin.
  let deleted: 'no' | 'only' | 'any' = 'no';
  let vmStates: string[] | undefined;
  let taskStates: Array<string | null> | undefined;
  if (q.status && q.status.length) {
    const st = statesForStatus(q.status);
    if (q.status.some((s) => s.toUpperCase() === 'DELETED')) {
      if (!admin) throw deletedListingForbidden();
      deleted = 'only';
    }
    if (!st) {
      if (q.strictStatus) throw invalidStatusFilter();
      vmStates = [];
    } else {
      vmStates = st.vmStates;
      taskStates = st.taskStates;
    }
  }
  const changesSince = q.changesSince !== undefined ? parseTime(q.changesSince, 'changes-since') : undefined;
  const changesBefore = q.changesBefore !== undefined ? parseTime(q.changesBefore, 'changes-before') : undefined;
  if (changesSince && changesBefore && changesBefore < changesSince)
    throw invalid('The value of changes-since must be less than or equal to changes-before.');
  if (changesSince !== undefined || changesBefore !== undefined) deleted = deleted === 'only' ? 'only' : 'any';
  // `deleted` is an admin-only filter; Nova silently drops it for everyone else.
  if (q.deleted !== undefined && allFilters) {
    const truthy = ['1', 't', 'true', 'on', 'y', 'yes'].includes(q.deleted.toLowerCase());
    deleted = truthy ? 'only' : changesSince || changesBefore ? 'any' : 'no';
    if (!truthy && deleted === 'no' && vmStates === undefined) deleted = 'no';
  }
  const sortKey =
    q.sortKey === undefined ? 'created_at' : Object.hasOwn(SORT_KEYS, q.sortKey) ? SORT_KEYS[q.sortKey] : undefined;
  if (!sortKey) throw invalid(`Invalid input for field/attribute sort_key. Value: ${q.sortKey}.`);
  const sortDir = q.sortDir === undefined ? 'desc' : q.sortDir;
  if (sortDir !== 'asc' && sortDir !== 'desc')
    throw invalid(`Invalid input for field/attribute sort_dir. Value: ${q.sortDir}.`);
  const limit = Math.min(q.limit ?? MAX_LIMIT, MAX_LIMIT);
  const ip4 = ipPattern(q.ip, 'ip');
  nameRegex(q.name);
  const ip6 = ipPattern(q.ip6, 'ip6');
  let marker: servers.ServerRow | undefined;
  if (q.marker !== undefined) {
    const mid = canonicalUuid(q.marker);
    marker = mid
      ? await servers.getServer(deps.db, mid, { projectId: admin ? undefined : caller.projectId, readDeleted: true })
      : undefined;
    if (!marker) throw invalid(`marker [${q.marker}] not found`);
  }
  const rows = await servers.listServers(deps.db, {
    projectId,
    name: q.name,
    vmStates,
    taskStates,
    changesSince,
    changesBefore,
    deleted,
    imageId: q.image,
    flavorId: q.flavor,
    host: allFilters ? q.host : undefined,
    reservationId: q.reservationId,
    locked: q.locked,
    userId: allFilters ? q.userId : undefined,
    tags: q.tags,
    sortKey,
    sortDir,
    // Nova filters by IP after the database query, then applies the limit.
    limit: ip4 || ip6 ? MAX_LIMIT : limit,
    marker,
  });
  if (!ip4 && !ip6) return { rows, limit };
  const ports = await net.portsOfServers(
    deps.db,
    rows.map((r) => r.id),
  );
  const matching = new Set<string>();
  for (const p of ports) {
    for (const { ip_address: a } of JSON.parse(p.fixed_ips) as Array<{ ip_address: string }>) {
      if (a.includes(':') ? ip6?.test(a) : ip4?.test(a)) matching.add(p.device_id ?? '');
    }
  }
  return { rows: rows.filter((r) => matching.has(r.id)).slice(0, limit), limit };
}

export async function updateServer(
  deps: Deps,
  caller: Caller,
  id: string,
  changes: { name?: string; description?: string | null; accessIPv4?: string; accessIPv6?: string },
) {
  const row = await findServer(deps.db, caller, id);
  authorize(deps, caller, 'os_compute_api:servers:update', { project_id: row.project_id, user_id: row.user_id });
  const now = iso(deps.clock.now());
  const set: servers.ServerChanges = { updated_at: now };
  if (changes.name !== undefined) {
    set.name = changes.name;
  }
  if (changes.description !== undefined) set.description = changes.description;
  if (changes.accessIPv4 !== undefined) set.access_ipv4 = changes.accessIPv4;
  if (changes.accessIPv6 !== undefined) set.access_ipv6 = changes.accessIPv6;
  await servers.casUpdateServer(deps.db, row.id, undefined, set);
  return (await servers.getServer(deps.db, row.id))!;
}
