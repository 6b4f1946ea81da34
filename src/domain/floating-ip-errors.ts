// Neutron's floating IP faults (neutron_lib/exceptions/l3.py and neutron_lib/exceptions/__init__.py),
// with its messages; the code is the NeutronError type on the wire.
import { DomainError } from './errors.js';

/** 404 `Floating IP <id> could not be found` (FloatingIPNotFound). */
export const floatingIpNotFoundNeutron = (id: string) =>
  new DomainError('not-found', 'FloatingIPNotFound', `Floating IP ${id} could not be found`, { id });

/** 400 `Bad floatingip request: <msg>.` (neutron_lib BadRequest with resource floatingip). */
export const badFloatingIpRequest = (msg: string) =>
  new DomainError('invalid', 'BadRequest', `Bad floatingip request: ${msg}.`);

/** 409 FloatingIPPortAlreadyAssociated: the fixed IP already has a floating IP on that network. */
export const floatingIpPortAlreadyAssociated = (a: {
  floatingIpAddress: string;
  fipId: string;
  portId: string;
  fixedIp: string;
  networkId: string;
}) =>
  new DomainError(
    'conflict',
    'FloatingIPPortAlreadyAssociated',
    `Cannot associate floating IP ${a.floatingIpAddress} (${a.fipId}) with port ${a.portId} using fixed IP ${a.fixedIp}, as that fixed IP already has a floating IP on external network ${a.networkId}.`,
  );

/** 404 ExternalGatewayForFloatingIPNotFound (no router joins the port's subnet to the external network). */
export const externalGatewayForFloatingIpNotFound = (networkId: string, subnetId: string, portId: string) =>
  new DomainError(
    'not-found',
    'ExternalGatewayForFloatingIPNotFound',
    `External network ${networkId} is not reachable from subnet ${subnetId}.  Therefore, cannot associate Port ${portId} with a Floating IP.`,
  );

/** 409 `IP address <ip> already allocated in subnet <subnet>` (IpAddressAlreadyAllocated). */
export const ipAddressAlreadyAllocated = (ip: string, subnetId: string) =>
  new DomainError('conflict', 'IpAddressAlreadyAllocated', `IP address ${ip} already allocated in subnet ${subnetId}`);

/** 400 `IP address <ip> is not a valid IP for the specified subnet.` (InvalidIpForSubnet). */
export const invalidIpForSubnet = (ip: string) =>
  new DomainError('invalid', 'InvalidIpForSubnet', `IP address ${ip} is not a valid IP for the specified subnet.`);

/**
 * 409 for the loser of two concurrent changes of one floating IP's association (the compare-and-set
 * on the association read): Neutron serialises them on the row; Stratus refuses the second, in
 * Neutron's words for a conflicting change (neutron_lib Conflict).
 */
export const floatingIpAssociationChanged = (id: string) =>
  new DomainError(
    'conflict',
    'Conflict',
    `Floating IP ${id} was associated or disassociated by another request meanwhile; retry.`,
  );

/** 409 `Port <id> has owner network:floatingip and therefore cannot be deleted directly via the port API.` */
export const l3PortInUse = (portId: string, owner: string) =>
  new DomainError(
    'conflict',
    'L3PortInUse',
    `Port ${portId} has owner ${owner} and therefore cannot be deleted directly via the port API.`,
  );
