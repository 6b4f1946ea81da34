import { createHash } from 'node:crypto';
import type { ServerRow } from './servers.js';
import type { PortRow } from '../network/ports.js';
import { serverStatus } from '../../domain/states.js';
import { novaTime, novaUsecTime } from '../../domain/clock.js';
import { atLeast, type Microversion } from '../../http/microversion.js';

export interface ViewContext {
  mv: Microversion;
  /** `http://host:port/v2.1` or `http://host:port/v2.1/<project>` as the client addressed us. */
  base: string;
  /** `http://host:port` or `http://host:port/<project>` for bookmark links. */
  bookmarkBase: string;
  isAdmin: boolean;
  showHostStatus: boolean;
  networkNames: Map<string, string>;
  hostStatus?: (host: string | null) => string;
  /** The tags of a server (2.26+). */
  tagsOf?: (id: string) => string[];
  /** The group of a server, as a list (2.71+). */
  serverGroupsOf?: (id: string) => string[];
  /** The names of the security groups on the server's ports. */
  securityGroupsOf?: (server: { id: string; project_id: string }) => string[];
  /** The floating addresses mapped to a port's fixed address. */
  floatingIpsOf?: (portId: string, fixedIp: string) => string[];
  /** The volumes mapped to a server (os-extended-volumes:volumes_attached). */
  volumesOf?: (id: string) => Array<{ id: string; delete_on_termination: boolean }>;
}

export function serverLinks(ctx: ViewContext, id: string) {
  return [
    { rel: 'self', href: `${ctx.base}/servers/${id}` },
    { rel: 'bookmark', href: `${ctx.bookmarkBase}/servers/${id}` },
  ];
}

/** Nova's hostId: sha224(project_id + host), empty without a host. */
function hostId(row: ServerRow): string {
  return row.host
    ? createHash('sha224')
        .update(row.project_id + row.host)
        .digest('hex')
    : '';
}

function addresses(ctx: ViewContext, ports: PortRow[], extended = true) {
  const out: Record<string, Array<Record<string, unknown>>> = {};
  for (const p of ports) {
    const net = ctx.networkNames.get(p.network_id) ?? p.network_id;
    for (const ip of JSON.parse(p.fixed_ips) as Array<{ ip_address: string }>) {
      out[net] ??= [];
      const a: Record<string, unknown> = { version: ip.ip_address.includes(':') ? 6 : 4, addr: ip.ip_address };
      if (extended) {
        a['OS-EXT-IPS:type'] = 'fixed';
        a['OS-EXT-IPS-MAC:mac_addr'] = p.mac_address;
      }
      out[net].push(a);
      // Nova's network info cache lists a fixed IP's floating IPs right after it (views/addresses.py).
      for (const f of ctx.floatingIpsOf?.(p.id, ip.ip_address) ?? [])
        out[net].push(
          extended
            ? { version: 4, addr: f, 'OS-EXT-IPS:type': 'floating', 'OS-EXT-IPS-MAC:mac_addr': p.mac_address }
            : { version: 4, addr: f },
        );
    }
  }
  return out;
}

const PROGRESS_STATUSES = new Set(['ACTIVE', 'BUILD', 'REBUILD', 'RESIZE', 'VERIFY_RESIZE', 'MIGRATING']);

/** The full server view (show, detail) for a microversion, following nova/api/openstack/compute/views/servers.py. */
export function renderServer(
  ctx: ViewContext,
  row: ServerRow,
  ports: PortRow[],
  opts: { show: boolean; update?: boolean },
): Record<string, unknown> {
  const mv = ctx.mv;
  // Nova's update() before 2.75 renders show() without the extension attributes (servers.py update).
  const all = !opts.update || atLeast(mv, 75);
  const status = serverStatus(row.vm_state, row.task_state, row.deleted === 1);
  const flavor = JSON.parse(row.flavor) as {
    id: string;
    name: string;
    vcpus: number;
    ram: number;
    disk: number;
    ephemeral: number;
    swap: number;
    extra_specs: Record<string, string>;
  };
  const s: Record<string, unknown> = {
    id: row.id,
    name: row.name,
    status,
    tenant_id: row.project_id,
    user_id: row.user_id,
    metadata: JSON.parse(row.metadata),
    hostId: hostId(row),
    // Nova's view: a volume-backed server (image_ref '') shows "image": "".
    image: row.image_id
      ? { id: row.image_id, links: [{ rel: 'bookmark', href: `${ctx.bookmarkBase}/images/${row.image_id}` }] }
      : '',
    flavor: atLeast(mv, 47)
      ? {
          vcpus: flavor.vcpus,
          ram: flavor.ram,
          disk: flavor.disk,
          ephemeral: flavor.ephemeral,
          swap: flavor.swap,
          original_name: flavor.name,
          extra_specs: flavor.extra_specs ?? {},
        }
      : { id: flavor.id, links: [{ rel: 'bookmark', href: `${ctx.bookmarkBase}/flavors/${flavor.id}` }] },
    created: novaTime(row.created_at),
    updated: novaTime(row.updated_at),
    addresses: addresses(ctx, ports, all),
    accessIPv4: row.access_ipv4,
    accessIPv6: row.access_ipv6,
    links: serverLinks(ctx, row.id),
    'OS-DCF:diskConfig': 'MANUAL',
  };
  // Stratus does not track build progress: Nova's views show 0 until the driver reports some.
  if (PROGRESS_STATUSES.has(status)) s.progress = 0;
  if (all) {
    s['OS-EXT-AZ:availability_zone'] = row.availability_zone;
    s.config_drive = row.config_drive ?? '';
    s.key_name = row.key_name;
    s['OS-SRV-USG:launched_at'] = novaUsecTime(row.launched_at);
    s['OS-SRV-USG:terminated_at'] = novaUsecTime(row.terminated_at);
  }
  if (ctx.isAdmin && all) {
    s['OS-EXT-SRV-ATTR:host'] = row.host;
    s['OS-EXT-SRV-ATTR:instance_name'] = `instance-${row.id.slice(0, 8)}`;
    s['OS-EXT-SRV-ATTR:hypervisor_hostname'] = row.host;
    if (atLeast(mv, 3)) {
      Object.assign(s, {
        'OS-EXT-SRV-ATTR:reservation_id': row.reservation_id,
        'OS-EXT-SRV-ATTR:launch_index': row.launch_index,
        'OS-EXT-SRV-ATTR:hostname': row.hostname,
        'OS-EXT-SRV-ATTR:kernel_id': '',
        'OS-EXT-SRV-ATTR:ramdisk_id': '',
        'OS-EXT-SRV-ATTR:root_device_name': '/dev/vda',
        'OS-EXT-SRV-ATTR:user_data': row.user_data,
      });
    }
  } else if (atLeast(mv, 90) && all) {
    s['OS-EXT-SRV-ATTR:hostname'] = row.hostname;
  }
  if (all) {
    s['OS-EXT-STS:task_state'] = row.task_state;
    s['OS-EXT-STS:vm_state'] = row.vm_state;
    s['OS-EXT-STS:power_state'] = row.power_state;
    // Nova's extended_volumes: each mapped volume's id; delete_on_termination from 2.3.
    s['os-extended-volumes:volumes_attached'] = (ctx.volumesOf?.(row.id) ?? []).map((v) =>
      atLeast(mv, 3) ? { id: v.id, delete_on_termination: v.delete_on_termination } : { id: v.id },
    );
    const groups = ctx.securityGroupsOf?.(row) ?? [];
    if (groups.length) s.security_groups = groups.map((name) => ({ name }));
  }
  if (atLeast(mv, 9)) s.locked = row.locked_by !== null;
  if (atLeast(mv, 73)) s.locked_reason = row.locked_reason;
  if (atLeast(mv, 19)) s.description = row.description;
  if (atLeast(mv, 26)) s.tags = ctx.tagsOf?.(row.id) ?? [];
  if (atLeast(mv, 63))
    s.trusted_image_certificates = row.trusted_image_certificates ? JSON.parse(row.trusted_image_certificates) : null;
  if (atLeast(mv, 16) && all && ctx.showHostStatus && ctx.hostStatus) s.host_status = ctx.hostStatus(row.host);
  if (atLeast(mv, 71) && opts.show) s.server_groups = ctx.serverGroupsOf?.(row.id) ?? [];
  if (atLeast(mv, 96)) s.pinned_availability_zone = row.pinned_availability_zone ?? null;
  if (row.fault && (status === 'ERROR' || status === 'DELETED')) {
    const f = JSON.parse(row.fault) as { code: number; message: string; details: string; created: string };
    const fault: Record<string, unknown> = { code: f.code, created: novaTime(f.created), message: f.message };
    // Nova shows details to admins, and to everyone when the fault is not a 500.
    if (ctx.isAdmin || f.code !== 500) fault.details = f.details;
    s.fault = fault;
  }
  return s;
}

export function renderServerBrief(ctx: ViewContext, row: ServerRow) {
  return { id: row.id, name: row.name, links: serverLinks(ctx, row.id) };
}
