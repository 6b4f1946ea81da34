import type { Caller, Deps } from '../context.js';
import { allowed } from '../access.js';
import { serviceIsUp } from './access.js';
import * as net from '../../db/repositories/network.repository.js';
import * as svcRepo from '../../db/repositories/services.repository.js';
import type { PortRow } from '../network/ports.js';
import { tagsOfServers } from './server-tags.js';
import { groupNames, groupsOfPorts } from '../network/security-groups.js';
import { floatingIpsOfPorts } from '../network/floating-ips.js';

/** What the server views show beside the rows: network names, ports, and each host's status. */
export interface ServerDetails {
  networkNames: Map<string, string>;
  /** The ports whose addresses a server shows (empty unless ports were asked for). */
  portsOf(server: { id: string; project_id: string }): PortRow[];
  /** Set when the caller may see host status (2.16+ and `servers:show:host_status`). */
  hostStatus?: (host: string | null) => string;
  /** The tags of a server (empty unless tags were asked for). */
  tagsOf(id: string): string[];
  /** The names of the groups on a server's ports, one entry per port and group, as Nova lists them. */
  securityGroupsOf(server: { id: string; project_id: string }): string[];
  /** The floating addresses mapped to a port's fixed address. */
  floatingIpsOf(portId: string, fixedIp: string): string[];
}

/**
 * Reads what the views of `servers` need. Host status is a policy decision (Nova:
 * os_compute_api:servers:show:host_status), taken here, not in the view.
 */
export async function serverDetails(
  deps: Deps,
  caller: Caller,
  servers: Array<{ id: string }>,
  opts: { ports: boolean; hostStatus: boolean; tags?: boolean },
): Promise<ServerDetails> {
  const nets = await net.listNetworks(deps.db);
  let hostStatus: ServerDetails['hostStatus'];
  if (opts.hostStatus && allowed(deps, caller, 'os_compute_api:servers:show:host_status')) {
    const svcs = await svcRepo.listServices(deps.db, { binary: 'nova-compute' });
    const byHost = new Map(svcs.map((s) => [s.host, s]));
    hostStatus = (host) => {
      if (!host) return '';
      const s = byHost.get(host);
      if (!s) return 'UNKNOWN';
      if (!serviceIsUp(deps, s)) return 'DOWN';
      return s.disabled ? 'MAINTENANCE' : 'UP';
    };
  }
  const ports = opts.ports
    ? await net.portsOfServers(
        deps.db,
        servers.map((s) => s.id),
      )
    : [];
  const tags = opts.tags
    ? await tagsOfServers(
        deps,
        servers.map((s) => s.id),
      )
    : new Map<string, string[]>();
  const portGroups = await groupsOfPorts(
    deps,
    ports.map((p) => p.id),
  );
  const names = await groupNames(deps, [...portGroups.values()].flat());
  const floating = await floatingIpsOfPorts(
    deps,
    ports.map((p) => p.id),
  );
  const portsOf: ServerDetails['portsOf'] = (server) =>
    ports.filter((p) => p.device_id === server.id && p.project_id === server.project_id);
  return {
    networkNames: new Map(nets.map((n) => [n.id, n.name])),
    // Anyone may write any device_id on a port (as in Neutron), but that must not put an address
    // into another project's server: a server's addresses come from its own project's ports.
    portsOf,
    hostStatus,
    tagsOf: (id) => tags.get(id) ?? [],
    // Nova's get_instances_security_groups_bindings: each port's groups, named (or by id).
    securityGroupsOf: (server) =>
      portsOf(server).flatMap((p) => (portGroups.get(p.id) ?? []).map((g) => names.get(g) ?? g)),
    floatingIpsOf: (portId, fixedIp) =>
      floating.filter((f) => f.port_id === portId && f.fixed_ip_address === fixedIp).map((f) => f.floating_ip_address),
  };
}
