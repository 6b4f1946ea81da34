// Neutron's rule names and defaults for networks, subnets, routers and quotas
// (neutron/conf/policies/network.py, subnet.py, router.py, quotas.py; project personas without
// system scope). The subnet rules are checked against the network owner's project, as Neutron's
// ADMIN_OR_NET_OWNER_MEMBER.
/** As rules.ts's PolicyRule (not imported: rules.ts imports this file). */
interface PolicyRule {
  name: string;
  checkStr: string;
  description: string;
}

const ADMIN = 'rule:context_is_admin';
const MEMBER = 'rule:project_member_or_admin';
const READER = 'rule:project_reader_or_admin';
const rule = (name: string, checkStr: string, description: string): PolicyRule => ({ name, checkStr, description });

export const NEUTRON_L3_RULES: PolicyRule[] = [
  rule('create_network', MEMBER, 'Create a network.'),
  rule('create_network:shared', ADMIN, 'Create a shared network.'),
  rule('create_network:router:external', ADMIN, 'Create an external network.'),
  rule('create_network:port_security_enabled', MEMBER, 'Set port_security_enabled of a new network.'),
  rule('get_network', READER, 'Get a network.'),
  rule('update_network', MEMBER, 'Update a network.'),
  rule('update_network:shared', ADMIN, 'Update the shared attribute of a network.'),
  rule('update_network:router:external', ADMIN, 'Update the router:external attribute of a network.'),
  rule('update_network:port_security_enabled', MEMBER, 'Update port_security_enabled of a network.'),
  rule('delete_network', MEMBER, 'Delete a network.'),
  rule('create_subnet', MEMBER, "Create a subnet (the network owner's members)."),
  rule('get_subnet', READER, 'Get a subnet.'),
  rule('update_subnet', MEMBER, "Update a subnet (the network owner's members)."),
  rule('delete_subnet', MEMBER, "Delete a subnet (the network owner's members)."),
  rule('create_router', MEMBER, 'Create a router.'),
  rule('create_router:external_gateway_info', MEMBER, 'Create a router with a gateway.'),
  rule('create_router:external_gateway_info:enable_snat', ADMIN, 'Set enable_snat of a new router.'),
  rule('create_router:external_gateway_info:external_fixed_ips', ADMIN, "Choose a new router's gateway addresses."),
  rule('get_router', READER, 'Get a router.'),
  rule('update_router', MEMBER, 'Update a router.'),
  rule('update_router:external_gateway_info', MEMBER, "Update a router's gateway."),
  rule('update_router:external_gateway_info:enable_snat', ADMIN, 'Update enable_snat of a router.'),
  rule('update_router:external_gateway_info:external_fixed_ips', ADMIN, "Choose a router's gateway addresses."),
  rule('delete_router', MEMBER, 'Delete a router.'),
  rule('add_router_interface', MEMBER, 'Add an interface to a router.'),
  rule('remove_router_interface', MEMBER, 'Remove an interface from a router.'),
  rule('update_quota', ADMIN, "Update a project's network quotas."),
  rule('delete_quota', ADMIN, "Reset a project's network quotas to the defaults."),
];
