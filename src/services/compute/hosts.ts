/**
 * os-hosts (before 2.43), Nova's deprecated host administration (nova/api/openstack/compute/hosts.py
 * and HostAPI in nova/compute/api.py), built from the real compute services and servers.
 */
import type { Caller, Deps } from '../context.js';
import { authorize } from '../access.js';
import { allHypervisors, flavorOf } from './hypervisors.js';
import { zonedServices } from './zones.js';
import * as svcRepo from '../../db/repositories/services.repository.js';
import * as usageRepo from '../../db/repositories/usage.repository.js';
import { iso } from '../../domain/clock.js';
import { hostNotMapped } from '../../domain/errors.js';

const rule = (action: string) => `os_compute_api:os-hosts:${action}`;

export interface HostEntry {
  host_name: string;
  service: string;
  zone: string;
}

/** GET /os-hosts: the hosts of the enabled services but the API ones, optionally in one zone. */
export async function listHosts(deps: Deps, caller: Caller, zone: string | undefined): Promise<HostEntry[]> {
  authorize(deps, caller, rule('list'), { project_id: caller.projectId });
  const services = await zonedServices(deps.db);
  return services
    .filter((s) => !s.disabled)
    .filter((s) => !zone || s.availability_zone === zone)
    .filter((s) => s.binary !== 'nova-osapi_compute' && s.binary !== 'nova-metadata')
    .map((s) => ({ host_name: s.host, service: s.topic, zone: s.availability_zone }));
}

export interface HostResource {
  host: string;
  project: string;
  cpu: number;
  memory_mb: number;
  disk_gb: number;
}

/**
 * GET /os-hosts/{host}: the node's totals, what it uses now, the sum over its servers
 * ("used_max") and that sum per project, in the order Nova builds them.
 */
export async function showHost(deps: Deps, caller: Caller, host: string): Promise<HostResource[]> {
  authorize(deps, caller, rule('show'), { project_id: caller.projectId });
  const node = (await allHypervisors(deps, false)).find((h) => h.service.host === host);
  if (!node) throw hostNotMapped(host);
  const servers = await usageRepo.liveServersOnHosts(deps.db, [host]);
  const total = (project: string): HostResource => ({ host, project, cpu: 0, memory_mb: 0, disk_gb: 0 });
  const usedMax = total('(used_max)');
  const byProject = new Map<string, HostResource>();
  for (const s of servers) {
    const f = flavorOf(s.flavor);
    const mine = byProject.get(s.project_id) ?? total(s.project_id);
    byProject.set(s.project_id, mine);
    for (const r of [usedMax, mine]) {
      r.cpu += f.vcpus;
      r.memory_mb += f.ram;
      r.disk_gb += f.disk + f.ephemeral;
    }
  }
  return [
    { host, project: '(total)', cpu: node.vcpus, memory_mb: node.memoryMb, disk_gb: node.localGb },
    { host, project: '(used_now)', cpu: node.vcpusUsed, memory_mb: node.memoryMbUsed, disk_gb: node.localGbUsed },
    usedMax,
    ...byProject.values(),
  ];
}

async function computeServiceOf(deps: Deps, host: string) {
  const svc = await svcRepo.getComputeService(deps.db, host);
  if (!svc) throw hostNotMapped(host);
  return svc;
}

/**
 * PUT /os-hosts/{host}. `status` sets whether the host takes new servers: Nova's compute manager
 * adds or removes the COMPUTE_STATUS_DISABLED trait so placement skips it; Stratus' placement
 * reads the service's disabled flag, so this writes the same flag `os-services` disable does
 * (with no reason, as a plain disable). `maintenance_mode` is answered 501, as by Nova's
 * production drivers (only the fake and the removed XenAPI ones implemented it): Stratus cannot
 * evacuate a host. As in Nova, a status change is made before maintenance_mode is refused.
 */
export async function updateHost(
  deps: Deps,
  caller: Caller,
  host: string,
  changes: { enabled?: boolean; maintenance?: boolean },
): Promise<{ result: { host: string; status?: 'enabled' | 'disabled' }; maintenanceSupported: boolean }> {
  authorize(deps, caller, rule('update'), { project_id: caller.projectId });
  const result: { host: string; status?: 'enabled' | 'disabled' } = { host };
  if (changes.enabled !== undefined) {
    const svc = await computeServiceOf(deps, host);
    await svcRepo.updateService(deps.db, svc.id, {
      disabled: changes.enabled ? 0 : 1,
      disabled_reason: null,
      updated_at: iso(deps.clock.now()),
    });
    result.status = changes.enabled ? 'enabled' : 'disabled';
  }
  // The route answers Nova's 501 (common.raise_feature_not_supported) for maintenanceSupported false.
  if (changes.maintenance !== undefined) await computeServiceOf(deps, host);
  return { result, maintenanceSupported: changes.maintenance === undefined };
}

/**
 * GET /os-hosts/{host}/reboot|shutdown|startup: the host must exist; then Nova asks the driver,
 * and no production driver powers its host (NotImplementedError, 501). Neither do Stratus' drivers:
 * the answer is null, which the route turns into Nova's 501.
 */
export async function hostPowerAction(
  deps: Deps,
  caller: Caller,
  host: string,
  action: 'reboot' | 'shutdown' | 'startup',
): Promise<{ host: string; powerAction: string | null }> {
  authorize(deps, caller, rule(action === 'startup' ? 'start' : action), { project_id: caller.projectId });
  await computeServiceOf(deps, host);
  return { host, powerAction: null };
}
