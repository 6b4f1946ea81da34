// Neutron's faults for networks, subnets, IPAM, routers and quotas (neutron_lib/exceptions and
// neutron_lib/exceptions/l3.py), with its messages; the code is the NeutronError type on the wire.
import { DomainError } from './errors.js';

/** 409 `Unable to complete operation on network <id>. There are one or more ports still in use on the network.` */
export const networkInUse = (id: string) =>
  new DomainError(
    'conflict',
    'NetworkInUse',
    `Unable to complete operation on network ${id}. There are one or more ports still in use on the network.`,
    { id },
  );

/** 409 SubnetInUse (neutron-lib's default reason). */
export const subnetInUse = (id: string) =>
  new DomainError(
    'conflict',
    'SubnetInUse',
    `Unable to complete operation on subnet ${id}: One or more ports have an IP allocation from this subnet.`,
    { id },
  );

/** 400 `The allocation pool <pool> is not valid.` */
export const invalidAllocationPool = (pool: string) =>
  new DomainError('invalid', 'InvalidAllocationPool', `The allocation pool ${pool} is not valid.`);

/** 400 `The allocation pool <range> spans beyond the subnet cidr <cidr>.` */
export const outOfBoundsAllocationPool = (pool: string, cidr: string) =>
  new DomainError(
    'invalid',
    'OutOfBoundsAllocationPool',
    `The allocation pool ${pool} spans beyond the subnet cidr ${cidr}.`,
  );

/** 409 `Found overlapping allocation pools: <a> <b> for subnet <cidr>.` */
export const overlappingAllocationPools = (a: string, b: string, cidr: string) =>
  new DomainError(
    'conflict',
    'OverlappingAllocationPools',
    `Found overlapping allocation pools: ${a} ${b} for subnet ${cidr}.`,
  );

/** 409 `Gateway ip <ip> conflicts with allocation pool <pool>.` */
export const gatewayConflictWithAllocationPools = (ip: string, pool: string) =>
  new DomainError(
    'conflict',
    'GatewayConflictWithAllocationPools',
    `Gateway ip ${ip} conflicts with allocation pool ${pool}.`,
  );

/** 400 `IP address <ip> is not a valid IP for the specified subnet.` */
export const invalidIpForSubnet = (ip: string) =>
  new DomainError('invalid', 'InvalidIpForSubnet', `IP address ${ip} is not a valid IP for the specified subnet.`);

/** 400 `IP address <ip> is not a valid IP for any of the subnets on the specified network.` */
export const invalidIpForNetwork = (ip: string) =>
  new DomainError(
    'invalid',
    'InvalidIpForNetwork',
    `IP address ${ip} is not a valid IP for any of the subnets on the specified network.`,
  );

/** 409 `IP address <ip> already allocated in subnet <id>` */
export const ipAddressAlreadyAllocated = (ip: string, subnetId: string) =>
  new DomainError('conflict', 'IpAddressAlreadyAllocated', `IP address ${ip} already allocated in subnet ${subnetId}`);

/** 404 `Router <id> could not be found.` */
export const routerNotFound = (id: string) =>
  new DomainError('not-found', 'RouterNotFound', `Router ${id} could not be found.`, { id });

/** 409 `Router <id> still has ports` (RouterInUse with its default reason). */
export const routerInUse = (id: string) =>
  new DomainError('conflict', 'RouterInUse', `Router ${id} still has ports`, { id });

/** 409: a floating IP reaches its port through this interface (Neutron's RouterInterfaceInUseByFloatingIP). */
export const routerInterfaceInUseByFloatingIp = (routerId: string, subnetId: string) =>
  new DomainError(
    'conflict',
    'RouterInterfaceInUseByFloatingIP',
    `Router interface for subnet ${subnetId} on router ${routerId} cannot be deleted, as it is required by one or more floating IPs.`,
  );

/** 409: floating IPs go out through this gateway (Neutron's RouterExternalGatewayInUseByFloatingIp). */
export const routerGatewayInUseByFloatingIp = (routerId: string, networkId: string) =>
  new DomainError(
    'conflict',
    'RouterExternalGatewayInUseByFloatingIp',
    `Gateway cannot be updated for router ${routerId}, since a gateway to external network ${networkId} is required by one or more floating IPs.`,
  );

/** 404 `Router <id> does not have an interface with id <port>` */
export const routerInterfaceNotFound = (routerId: string, portId: string) =>
  new DomainError(
    'not-found',
    'RouterInterfaceNotFound',
    `Router ${routerId} does not have an interface with id ${portId}`,
  );

/** 404 `Router <id> has no interface on subnet <subnet>` */
export const routerInterfaceNotFoundForSubnet = (routerId: string, subnetId: string) =>
  new DomainError(
    'not-found',
    'RouterInterfaceNotFoundForSubnet',
    `Router ${routerId} has no interface on subnet ${subnetId}`,
  );

/** 400 Neutron's BadRequest: `Bad <resource> request: <msg>.` */
export const neutronBadRequest = (resource: string, msg: string) =>
  new DomainError('invalid', 'BadRequest', `Bad ${resource} request: ${msg}.`);

/** 409 `Port <id> cannot be deleted directly via the port API: has device owner <owner>.` */
export const servicePortInUse = (portId: string, owner: string) =>
  new DomainError(
    'conflict',
    'ServicePortInUse',
    `Port ${portId} cannot be deleted directly via the port API: has device owner ${owner}.`,
  );

/** 409 making an external network with router gateways internal. */
export const externalNetworkInUse = (id: string) =>
  new DomainError(
    'conflict',
    'ExternalNetworkInUse',
    `External network ${id} cannot be updated to be made non-external, since it has existing gateway ports.`,
  );
