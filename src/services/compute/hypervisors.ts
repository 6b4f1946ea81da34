import { createHash } from 'node:crypto';
import type { Caller, Deps } from '../context.js';
import { authorize, canonicalUuid } from '../access.js';
import { serviceIsUp } from './access.js';
import * as svcRepo from '../../db/repositories/services.repository.js';
import * as usageRepo from '../../db/repositories/usage.repository.js';
import { invalid, hypervisorNotFound, noHypervisorMatching } from '../../domain/errors.js';

type ServiceRow = Awaited<ReturnType<typeof svcRepo.listServices>>[number];

/** What a server's flavor copy says it takes. */
export function flavorOf(json: string): {
  name: string;
  vcpus: number;
  ram: number;
  disk: number;
  ephemeral: number;
} {
  const f = JSON.parse(json) as Partial<{ name: string; vcpus: number; ram: number; disk: number; ephemeral: number }>;
  return { name: f.name ?? '', vcpus: f.vcpus ?? 0, ram: f.ram ?? 0, disk: f.disk ?? 0, ephemeral: f.ephemeral ?? 0 };
}

/**
 * A compute node as Nova's ComputeNode + its Service. Stratus keeps one row per nova-compute
 * service holding the node's declared resources; the node gets its own stable UUID (derived from
 * the service id) so that, as in Nova, a hypervisor id is never the id of its service.
 */
export interface Hypervisor {
  /** Nova's integer compute_nodes.id (before 2.53): 1-based position among compute nodes, oldest first. */
  nodeId: number;
  nodeUuid: string;
  service: ServiceRow;
  /** The integer services.id (before 2.53): 1-based position among all services, as os-services lists them. */
  serviceIndex: number;
  up: boolean;
  vcpus: number;
  vcpusUsed: number;
  memoryMb: number;
  memoryMbUsed: number;
  localGb: number;
  localGbUsed: number;
  runningVms: number;
  currentWorkload: number;
  servers?: Array<{ name: string; uuid: string }>;
}

export function nodeUuidOf(serviceId: string): string {
  const h = createHash('sha1').update(`stratus-compute-node:${serviceId}`).digest('hex');
  // An RFC 4122 name-based (version 5) layout.
  const variant = ((Number.parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Every compute node, oldest first, with what its live servers use. */
export async function allHypervisors(deps: Deps, withServers: boolean): Promise<Hypervisor[]> {
  const services = await svcRepo.listServices(deps.db, {});
  const computes = services.filter((s) => s.binary === 'nova-compute');
  const live = await usageRepo.liveServersOnHosts(
    deps.db,
    computes.map((s) => s.host),
  );
  return computes.map((s, i) => {
    const mine = live.filter((r) => r.host === s.host);
    let vcpusUsed = 0;
    let memoryMbUsed = 0;
    let localGbUsed = 0;
    for (const r of mine) {
      const f = flavorOf(r.flavor);
      vcpusUsed += f.vcpus;
      memoryMbUsed += f.ram;
      localGbUsed += f.disk + f.ephemeral;
    }
    const h: Hypervisor = {
      nodeId: i + 1,
      nodeUuid: nodeUuidOf(s.id),
      service: s,
      serviceIndex: services.indexOf(s) + 1,
      up: serviceIsUp(deps, s),
      vcpus: s.vcpus,
      vcpusUsed,
      memoryMb: s.memory_mb,
      memoryMbUsed,
      localGb: s.disk_gb,
      localGbUsed,
      runningVms: mine.length,
      // Nova's Stats.calculate_workload: guests being built or with a task under way.
      currentWorkload: mine.filter((r) => r.vm_state === 'building' || r.task_state !== null).length,
    };
    if (withServers) h.servers = mine.map((r) => ({ name: r.name, uuid: r.id }));
    return h;
  });
}

const matches = (pattern: string) => (h: Hypervisor) =>
  // Nova's ComputeNodeList.get_by_hypervisor: hypervisor_hostname LIKE '%pattern%'.
  h.service.host.toLowerCase().includes(pattern.toLowerCase());

export interface ListHypervisorsInput {
  detail: boolean;
  /** 2.53: ids are UUIDs, and markers too. */
  uuids: boolean;
  limit?: number;
  /** Whether the request named `limit` (paging with a pattern is refused even for the default). */
  limitGiven?: boolean;
  marker?: string;
  pattern?: string;
  withServers?: boolean;
}

/** GET /os-hypervisors and /os-hypervisors/detail (nova/api/openstack/compute/hypervisors.py _get_hypervisors). */
export async function listHypervisors(deps: Deps, caller: Caller, q: ListHypervisorsInput): Promise<Hypervisor[]> {
  authorize(deps, caller, `os_compute_api:os-hypervisors:${q.detail ? 'list-detail' : 'list'}`, {
    project_id: caller.projectId,
  });
  const all = await allHypervisors(deps, q.withServers === true);
  if (q.pattern !== undefined) {
    if (q.limitGiven || q.marker !== undefined)
      throw invalid('Paging over hypervisors with the hypervisor_hostname_pattern query parameter is not supported.');
    const found = all.filter(matches(q.pattern));
    if (found.length === 0) throw noHypervisorMatching(q.pattern);
    return found;
  }
  let start = 0;
  if (q.marker !== undefined) {
    const at = all.findIndex((h) => (q.uuids ? h.nodeUuid === q.marker : String(h.nodeId) === q.marker));
    if (at < 0) throw invalid(`marker [${q.marker}] not found`);
    start = at + 1;
  }
  return q.limit === undefined ? all.slice(start) : all.slice(start, start + q.limit);
}

/**
 * One hypervisor by id: before 2.53 an integer (anything else is 404), from 2.53 a UUID
 * (anything else is 400 "Invalid uuid", Nova's _validate_id).
 */
async function findHypervisor(deps: Deps, id: string, uuids: boolean, withServers: boolean) {
  let match: (h: Hypervisor) => boolean;
  if (uuids) {
    const u = canonicalUuid(id);
    if (!u) throw invalid(`Invalid uuid ${id}`);
    match = (h) => h.nodeUuid === u;
  } else {
    // Nova's utils.validate_integer: an int() of the string (surrounding blanks allowed).
    if (!/^\s*[+-]?\d+\s*$/.test(id)) throw hypervisorNotFound(id);
    const n = Number(id.trim());
    match = (h) => h.nodeId === n;
  }
  const h = (await allHypervisors(deps, withServers)).find(match);
  if (!h) throw hypervisorNotFound(id);
  return h;
}

export async function showHypervisor(
  deps: Deps,
  caller: Caller,
  id: string,
  opts: { uuids: boolean; withServers: boolean },
): Promise<Hypervisor> {
  authorize(deps, caller, 'os_compute_api:os-hypervisors:show', { project_id: caller.projectId });
  return findHypervisor(deps, id, opts.uuids, opts.withServers);
}

/**
 * GET /os-hypervisors/{id}/uptime (before 2.88). Nova asks the compute service over RPC and
 * needs it up (ComputeServiceUnavailable, 400); its libvirt driver answers with the host's
 * `uptime(1)` line. Stratus' nodes report that line with each heartbeat; a node that has not
 * yet is `null`, which the route turns into Nova's 501 (its answer for drivers without it).
 */
export async function hypervisorUptime(
  deps: Deps,
  caller: Caller,
  id: string,
  opts: { uuids: boolean },
): Promise<{ hypervisor: Hypervisor; uptime: string | null }> {
  authorize(deps, caller, 'os_compute_api:os-hypervisors:uptime', { project_id: caller.projectId });
  const h = await findHypervisor(deps, id, opts.uuids, false);
  if (!h.up) throw invalid(`Compute service of ${h.service.host} is unavailable at this time.`);
  return { hypervisor: h, uptime: h.service.uptime ?? null };
}

/** GET /os-hypervisors/{pattern}/search and /servers (before 2.53). */
export async function searchHypervisors(
  deps: Deps,
  caller: Caller,
  pattern: string,
  withServers: boolean,
): Promise<Hypervisor[]> {
  authorize(deps, caller, `os_compute_api:os-hypervisors:${withServers ? 'servers' : 'search'}`, {
    project_id: caller.projectId,
  });
  const found = (await allHypervisors(deps, withServers)).filter(matches(pattern));
  if (found.length === 0) throw noHypervisorMatching(pattern);
  return found;
}

/** GET /os-hypervisors/statistics (before 2.88): sums over the nodes of enabled compute services (Nova's compute_node_statistics). */
export async function hypervisorStatistics(deps: Deps, caller: Caller) {
  authorize(deps, caller, 'os_compute_api:os-hypervisors:statistics', { project_id: caller.projectId });
  const nodes = (await allHypervisors(deps, false)).filter((h) => !h.service.disabled);
  const sum = (f: (h: Hypervisor) => number) => nodes.reduce((a, h) => a + f(h), 0);
  return {
    count: nodes.length,
    current_workload: sum((h) => h.currentWorkload),
    disk_available_least: sum((h) => h.localGb - h.localGbUsed),
    free_disk_gb: sum((h) => h.localGb - h.localGbUsed),
    free_ram_mb: sum((h) => h.memoryMb - h.memoryMbUsed),
    local_gb: sum((h) => h.localGb),
    local_gb_used: sum((h) => h.localGbUsed),
    memory_mb: sum((h) => h.memoryMb),
    memory_mb_used: sum((h) => h.memoryMbUsed),
    running_vms: sum((h) => h.runningVms),
    vcpus: sum((h) => h.vcpus),
    vcpus_used: sum((h) => h.vcpusUsed),
  };
}
