import { atLeast, type Microversion } from '../../http/microversion.js';
import type { Hypervisor } from './hypervisors.js';

export interface HypervisorViewOpts {
  detail: boolean;
  /** The driver Stratus' nodes run (Nova's hypervisor_type: its fake driver says 'fake'). */
  hypervisorType: string;
  hostIp: string;
  /** with_servers was asked for (2.75: `servers` is then always there, [] when none). */
  withServers?: boolean;
  /** 2.88 folds the uptime into the detail view. */
  uptime?: string | null;
}

/** Nova's HypervisorsController._view_hypervisor, by microversion. */
export function renderHypervisor(mv: Microversion, h: Hypervisor, o: HypervisorViewOpts): Record<string, unknown> {
  const uuids = atLeast(mv, 53);
  const out: Record<string, unknown> = {
    id: uuids ? h.nodeUuid : h.nodeId,
    hypervisor_hostname: h.service.host,
    state: h.up ? 'up' : 'down',
    status: h.service.disabled ? 'disabled' : 'enabled',
  };
  if (o.detail) {
    out.hypervisor_type = o.hypervisorType;
    // Nova's fake driver: versionutils.convert_version_to_int('1.0').
    out.hypervisor_version = 1000;
    out.host_ip = o.hostIp;
    out.service = {
      id: uuids ? h.service.id : h.serviceIndex,
      host: h.service.host,
      disabled_reason: h.service.disabled_reason,
    };
    if (!atLeast(mv, 88)) {
      out.vcpus = h.vcpus;
      out.memory_mb = h.memoryMb;
      out.local_gb = h.localGb;
      out.vcpus_used = h.vcpusUsed;
      out.memory_mb_used = h.memoryMbUsed;
      out.local_gb_used = h.localGbUsed;
      out.free_ram_mb = h.memoryMb - h.memoryMbUsed;
      out.free_disk_gb = h.localGb - h.localGbUsed;
      out.current_workload = h.currentWorkload;
      out.running_vms = h.runningVms;
      out.disk_available_least = h.localGb - h.localGbUsed;
      // A JSON string before 2.28, an object from 2.28; Stratus' nodes report no CPU model.
      out.cpu_info = atLeast(mv, 28) ? {} : '{}';
    } else {
      out.uptime = o.uptime ?? null;
    }
  }
  if (h.servers && h.servers.length > 0) out.servers = h.servers;
  else if (o.withServers && atLeast(mv, 75)) out.servers = [];
  return out;
}
