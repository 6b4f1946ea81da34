import type { AttachedPort } from './interfaces.js';

/** nova/api/openstack/compute/attach_interfaces.py _translate_interface_attachment_view; `tag` from 2.70. */
export function renderInterface(a: AttachedPort, showTag: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    net_id: a.port.network_id,
    port_id: a.port.id,
    mac_addr: a.port.mac_address,
    port_state: a.port.status,
    fixed_ips: JSON.parse(a.port.fixed_ips) as Array<{ subnet_id: string; ip_address: string }>,
  };
  if (showTag) out.tag = a.tag;
  return out;
}
