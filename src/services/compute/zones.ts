import type { Caller, Deps } from '../context.js';
import { authorize } from '../access.js';
import { serviceIsUp } from './access.js';
import type { Executor } from '../../db/executor.js';
import * as svcRepo from '../../db/repositories/services.repository.js';
import * as aggRepo from '../../db/repositories/aggregates.repository.js';
import { invalid } from '../../domain/errors.js';

/** Nova's internal_service_availability_zone: where services other than nova-compute live (hidden from the list). */
export const INTERNAL_ZONE = 'internal';

type ServiceRow = Awaited<ReturnType<typeof svcRepo.listServices>>[number];
export type ZonedService = ServiceRow & { availability_zone: string };

/**
 * The availability zone of every service (Nova's set_availability_zones): a compute host in an
 * aggregate with `availability_zone` metadata is in that zone; otherwise in the zone its agent
 * registered with (`stratus agent --zone`, Stratus' per-node default_availability_zone). Other
 * services are in the internal zone.
 */
export async function zonedServices(ex: Executor, filter: { host?: string; binary?: string } = {}) {
  const [services, byHost] = await Promise.all([svcRepo.listServices(ex, filter), aggRepo.zonesByHost(ex)]);
  return services.map(
    (s): ZonedService => ({
      ...s,
      availability_zone: s.topic === 'compute' ? (byHost.get(s.host) ?? s.zone) : INTERNAL_ZONE,
    }),
  );
}

/** The zone of one compute host (null: no such compute service). */
export async function zoneOfHost(ex: Executor, host: string): Promise<string | null> {
  const svc = await svcRepo.getComputeService(ex, host);
  if (!svc) return null;
  const agg = (await aggRepo.aggregatesOfHosts(ex, [host])).find((a) => a.metadata.availability_zone);
  return agg?.metadata.availability_zone ?? svc.zone;
}

/** Zones with an enabled service (available) and zones whose services are all disabled (Nova's get_availability_zones). */
export function splitZones(services: ZonedService[]) {
  const available = new Set(services.filter((s) => !s.disabled).map((s) => s.availability_zone));
  const unavailable = new Set(
    services.filter((s) => s.disabled && !available.has(s.availability_zone)).map((s) => s.availability_zone),
  );
  return { available: [...available].sort(), unavailable: [...unavailable].sort() };
}

/** The zones a server may be created in (Nova: zones of enabled services, internal included). */
export async function availableZones(deps: Deps): Promise<string[]> {
  return splitZones(await zonedServices(deps.db)).available;
}

export interface ZoneInfo {
  zoneName: string;
  zoneState: { available: boolean };
  hosts: null | Record<string, Record<string, { available: boolean; active: boolean; updated_at: string | null }>>;
}

/** GET /os-availability-zone: every zone but the internal one, available ones first. */
export async function listZones(deps: Deps, caller: Caller): Promise<ZoneInfo[]> {
  authorize(deps, caller, 'os_compute_api:os-availability-zone:list', { project_id: caller.projectId });
  const { available, unavailable } = splitZones(await zonedServices(deps.db));
  const info = (zone: string, ok: boolean): ZoneInfo => ({ zoneName: zone, zoneState: { available: ok }, hosts: null });
  return [
    ...available.filter((z) => z !== INTERNAL_ZONE).map((z) => info(z, true)),
    ...unavailable.filter((z) => z !== INTERNAL_ZONE).map((z) => info(z, false)),
  ];
}

/**
 * GET /os-availability-zone/detail (admin): available zones with their enabled hosts and each
 * host's services (available = heartbeat within service_down_time, active = enabled); the
 * internal zone is listed here, as in Nova; unavailable zones have no hosts.
 */
export async function describeZones(deps: Deps, caller: Caller): Promise<ZoneInfo[]> {
  authorize(deps, caller, 'os_compute_api:os-availability-zone:detail', { project_id: caller.projectId });
  const services = await zonedServices(deps.db);
  const { available, unavailable } = splitZones(services);
  const out: ZoneInfo[] = [];
  for (const zone of available) {
    const hosts: NonNullable<ZoneInfo['hosts']> = {};
    for (const s of services) {
      // Nova skips the API services (nova-osapi_compute, nova-metadata) and disabled ones.
      if (
        s.disabled ||
        s.availability_zone !== zone ||
        s.binary === 'nova-osapi_compute' ||
        s.binary === 'nova-metadata'
      )
        continue;
      hosts[s.host] ??= {};
      hosts[s.host][s.binary] = { available: serviceIsUp(deps, s), active: true, updated_at: s.last_seen_at };
    }
    out.push({ zoneName: zone, zoneState: { available: true }, hosts });
  }
  for (const zone of unavailable) out.push({ zoneName: zone, zoneState: { available: false }, hosts: null });
  return out;
}

/**
 * Nova's parse_availability_zone: `zone`, `zone:host`, `zone::node` or `zone:host:node` (the
 * legacy way for an admin to force a host). Stratus' node is its host.
 */
export function parseAvailabilityZone(value: string | undefined): { zone?: string; host?: string } | null {
  if (value === undefined || value === '') return {};
  if (!value.includes(':')) return { zone: value };
  const parts = value.split(':');
  if (parts.length === 2) return { zone: parts[0] || undefined, host: parts[1] || undefined };
  if (parts.length === 3) {
    if (value.includes('::')) return { zone: parts[0] || undefined, host: parts[2] || undefined };
    return { zone: parts[0] || undefined, host: parts[1] || parts[2] || undefined };
  }
  return null;
}

/** Where a new server may go: a zone, or (admins, `zone:host`) one host. */
export interface Placement {
  zone?: string;
  host?: string;
}

/**
 * Server create's `availability_zone`: the forced-host form needs
 * os_compute_api:servers:create:forced_host; a plain zone must be one with an enabled compute
 * service, else 400 with Nova's message (nova/compute/api.py create).
 */
export async function resolvePlacement(deps: Deps, caller: Caller, requested: string | undefined): Promise<Placement> {
  const parsed = parseAvailabilityZone(requested);
  if (!parsed) throw invalid('Invalid input received: Unable to parse availability_zone');
  if (parsed.host) {
    authorize(deps, caller, 'os_compute_api:servers:create:forced_host', {
      project_id: caller.projectId,
      user_id: caller.userId,
    });
    return { host: parsed.host };
  }
  if (parsed.zone && !(await availableZones(deps)).includes(parsed.zone))
    throw invalid('The requested availability zone is not available');
  return parsed.zone ? { zone: parsed.zone } : {};
}

/** The candidate compute services for `where` (all of them when nothing was asked for). */
export async function placementCandidates<S extends { host: string; topic: string; zone: string }>(
  deps: Deps,
  services: S[],
  where: Placement,
): Promise<S[]> {
  if (where.host) return services.filter((s) => s.host === where.host);
  if (!where.zone) return services;
  const byHost = await aggRepo.zonesByHost(deps.db);
  return services.filter((s) => (byHost.get(s.host) ?? s.zone) === where.zone);
}
