import type { Diagnostics } from './rescue.js';

/** The 2.48 diagnostics (nova/api/openstack/compute/views/server_diagnostics.py). */
export function renderDiagnostics(d: Diagnostics): Record<string, unknown> {
  const g = d.guest;
  return {
    state: g.state,
    driver: g.driver,
    hypervisor: g.hypervisor,
    hypervisor_os: g.hypervisorOs,
    uptime: g.uptime,
    config_drive: g.configDrive,
    num_cpus: g.numCpus,
    num_nics: d.nics.length,
    num_disks: g.diskDetails.length,
    cpu_details: g.cpuDetails.map((c) => ({ id: c.id, time: c.time, utilisation: c.utilisation })),
    // The hypervisor counts no traffic of Stratus' ports: the NICs are listed, their counters null.
    nic_details: d.nics.map((n) => ({
      mac_address: n.macAddress,
      rx_octets: null,
      rx_errors: null,
      rx_drop: null,
      rx_packets: null,
      rx_rate: null,
      tx_octets: null,
      tx_errors: null,
      tx_drop: null,
      tx_packets: null,
      tx_rate: null,
    })),
    disk_details: g.diskDetails.map((k) => ({
      read_bytes: k.readBytes,
      read_requests: k.readRequests,
      write_bytes: k.writeBytes,
      write_requests: k.writeRequests,
      errors_count: k.errorsCount,
    })),
    memory_details: { maximum: g.memoryDetails.maximum, used: g.memoryDetails.used },
  };
}

/** Before 2.48 the driver's free-form dict; these are the keys Nova's libvirt driver uses. */
export function renderLegacyDiagnostics(d: Diagnostics): Record<string, unknown> {
  const g = d.guest;
  const out: Record<string, unknown> = {};
  for (const c of g.cpuDetails) out[`cpu${c.id ?? 0}_time`] = c.time;
  out.memory = g.memoryDetails.maximum === null ? null : g.memoryDetails.maximum * 1024;
  out['memory-rss'] = g.memoryDetails.used === null ? null : g.memoryDetails.used * 1024;
  g.diskDetails.forEach((k, i) => {
    const dev = `vd${String.fromCharCode(97 + i)}`;
    out[`${dev}_read`] = k.readBytes;
    out[`${dev}_read_req`] = k.readRequests;
    out[`${dev}_write`] = k.writeBytes;
    out[`${dev}_write_req`] = k.writeRequests;
    out[`${dev}_errors`] = k.errorsCount;
  });
  return out;
}
