/**
 * Default policy rules, as data.
 *
 * Rule names and check strings follow Nova's in-code defaults
 * (nova/policies/*.py, "new defaults" without system scope: project reader /
 * member / admin personas). Stratus-specific rules use the `stratus:` prefix.
 * Operators override any of these by name with a policy file.
 */

import { KEYSTONE_ADMIN_RULES } from './identity-rules.js';
import { NEUTRON_L3_RULES } from './network-rules.js';
import { VOLUME_RULES } from './volume-rules.js';

export interface PolicyRule {
  name: string;
  checkStr: string;
  description: string;
}

// Shorthands for the base rules, mirroring nova/policies/base.py.
const ADMIN = 'rule:context_is_admin';
const PROJECT_MEMBER_OR_ADMIN = 'rule:project_member_or_admin';
const PROJECT_READER_OR_ADMIN = 'rule:project_reader_or_admin';

const rule = (name: string, checkStr: string, description: string): PolicyRule => ({ name, checkStr, description });

const SERVERS = (action: string): string => `os_compute_api:servers:${action}`;

const BASE_RULES: PolicyRule[] = [
  rule('context_is_admin', 'role:admin', "Decides what is required for the 'is_admin:True' check to succeed."),
  rule(
    'admin_or_owner',
    'is_admin:True or project_id:%(project_id)s',
    'Legacy default for non-admin APIs (deprecated).',
  ),
  rule('admin_api', 'is_admin:True', 'Legacy default for admin APIs (deprecated).'),
  rule('project_manager_api', 'role:manager and project_id:%(project_id)s', 'Project level management APIs.'),
  rule('project_member_api', 'role:member and project_id:%(project_id)s', 'Project level non-admin APIs.'),
  rule('project_reader_api', 'role:reader and project_id:%(project_id)s', 'Project level read-only APIs.'),
  rule(
    'project_manager_or_admin',
    'rule:project_manager_api or rule:context_is_admin',
    'Project manager or admin APIs.',
  ),
  rule('project_member_or_admin', 'rule:project_member_api or rule:context_is_admin', 'Project member or admin APIs.'),
  rule('project_reader_or_admin', 'rule:project_reader_api or rule:context_is_admin', 'Project reader or admin APIs.'),
  rule('service_api', 'role:service', 'Default rule for service-to-service APIs.'),
  rule('service_or_admin', 'rule:service_api or rule:context_is_admin', 'Default rule for service or admin APIs.'),
];

const NOVA_RULES: PolicyRule[] = [
  // nova/policies/servers.py
  rule(SERVERS('index'), PROJECT_READER_OR_ADMIN, 'List all servers.'),
  rule(SERVERS('detail'), PROJECT_READER_OR_ADMIN, 'List all servers with detailed information.'),
  rule(SERVERS('index:get_all_tenants'), ADMIN, 'List all servers for all projects.'),
  rule(SERVERS('detail:get_all_tenants'), ADMIN, 'List all servers with details for all projects.'),
  rule(SERVERS('allow_all_filters'), ADMIN, 'Allow all filters when listing servers.'),
  rule(SERVERS('show'), PROJECT_READER_OR_ADMIN, 'Show a server.'),
  rule(SERVERS('show:flavor-extra-specs'), PROJECT_READER_OR_ADMIN, 'Show flavor extra specs in server responses.'),
  rule(SERVERS('show:host_status'), ADMIN, 'Show a server with host status information.'),
  rule(SERVERS('show:host_status:unknown-only'), ADMIN, 'Show host status only when it is UNKNOWN.'),
  rule(SERVERS('create'), PROJECT_MEMBER_OR_ADMIN, 'Create a server.'),
  rule(SERVERS('create:forced_host'), ADMIN, 'Create a server on a forced host/node.'),
  rule('compute:servers:create:requested_destination', ADMIN, 'Create a server on a requested host/node.'),
  rule(SERVERS('create:attach_volume'), PROJECT_MEMBER_OR_ADMIN, 'Create a server with a volume attached.'),
  rule(SERVERS('create:attach_network'), PROJECT_MEMBER_OR_ADMIN, 'Create a server with a network attached.'),
  rule(SERVERS('create:trusted_certs'), PROJECT_MEMBER_OR_ADMIN, 'Create a server with trusted certificate IDs.'),
  rule(SERVERS('create:zero_disk_flavor'), ADMIN, 'Create a server with a zero-disk flavor.'),
  rule('network:attach_external_network', ADMIN, 'Attach an unshared external network to a server.'),
  rule(SERVERS('delete'), PROJECT_MEMBER_OR_ADMIN, 'Delete a server.'),
  rule(SERVERS('update'), PROJECT_MEMBER_OR_ADMIN, 'Update a server.'),
  rule(SERVERS('confirm_resize'), PROJECT_MEMBER_OR_ADMIN, 'Confirm a server resize.'),
  rule(SERVERS('revert_resize'), PROJECT_MEMBER_OR_ADMIN, 'Revert a server resize.'),
  rule(SERVERS('reboot'), PROJECT_MEMBER_OR_ADMIN, 'Reboot a server.'),
  rule(SERVERS('resize'), PROJECT_MEMBER_OR_ADMIN, 'Resize a server.'),
  rule('compute:servers:resize:cross_cell', '!', 'Resize a server across cells (disabled).'),
  rule(SERVERS('rebuild'), PROJECT_MEMBER_OR_ADMIN, 'Rebuild a server.'),
  rule(SERVERS('rebuild:trusted_certs'), PROJECT_MEMBER_OR_ADMIN, 'Rebuild a server with trusted certificate IDs.'),
  rule(SERVERS('create_image'), PROJECT_MEMBER_OR_ADMIN, 'Create an image from a server.'),
  rule(
    SERVERS('create_image:allow_volume_backed'),
    PROJECT_MEMBER_OR_ADMIN,
    'Create an image from a volume-backed server.',
  ),
  rule(SERVERS('start'), PROJECT_MEMBER_OR_ADMIN, 'Start a server.'),
  rule(SERVERS('stop'), PROJECT_MEMBER_OR_ADMIN, 'Stop a server.'),
  rule(SERVERS('trigger_crash_dump'), PROJECT_MEMBER_OR_ADMIN, 'Trigger a crash dump in a server.'),

  // nova/policies/lock_server.py
  rule('os_compute_api:os-lock-server:lock', PROJECT_MEMBER_OR_ADMIN, 'Lock a server.'),
  rule('os_compute_api:os-lock-server:unlock', PROJECT_MEMBER_OR_ADMIN, 'Unlock a server.'),
  rule(
    'os_compute_api:os-lock-server:unlock:unlock_override',
    ADMIN,
    'Unlock a server regardless of who locked it (checked after :unlock).',
  ),

  // nova/policies/deferred_delete.py
  rule('os_compute_api:os-deferred-delete:restore', PROJECT_MEMBER_OR_ADMIN, 'Restore a soft-deleted server.'),
  rule(
    'os_compute_api:os-deferred-delete:force',
    PROJECT_MEMBER_OR_ADMIN,
    'Force delete a server before deferred cleanup.',
  ),

  // nova/policies/instance_actions.py
  rule('os_compute_api:os-instance-actions:list', PROJECT_READER_OR_ADMIN, 'List actions for a server.'),
  rule('os_compute_api:os-instance-actions:show', PROJECT_READER_OR_ADMIN, 'Show action details for a server.'),
  rule('os_compute_api:os-instance-actions:events', ADMIN, 'Include event details in action details.'),
  rule('os_compute_api:os-instance-actions:events:details', ADMIN, 'Include the "details" key in action events.'),

  // nova/policies/admin_actions.py
  rule('os_compute_api:os-admin-actions:reset_state', ADMIN, 'Reset the state of a server.'),
  rule('os_compute_api:os-admin-actions:inject_network_info', ADMIN, 'Inject network information into a server.'),

  // nova/policies/pause_server.py
  rule('os_compute_api:os-pause-server:pause', PROJECT_MEMBER_OR_ADMIN, 'Pause a server.'),
  rule('os_compute_api:os-pause-server:unpause', PROJECT_MEMBER_OR_ADMIN, 'Unpause a paused server.'),

  // nova/policies/suspend_server.py
  rule('os_compute_api:os-suspend-server:suspend', PROJECT_MEMBER_OR_ADMIN, 'Suspend a server.'),
  rule('os_compute_api:os-suspend-server:resume', PROJECT_MEMBER_OR_ADMIN, 'Resume a suspended server.'),

  // nova/policies/shelve.py
  rule('os_compute_api:os-shelve:shelve', PROJECT_MEMBER_OR_ADMIN, 'Shelve a server.'),
  rule('os_compute_api:os-shelve:unshelve', PROJECT_MEMBER_OR_ADMIN, 'Unshelve (restore) a shelved server.'),
  rule('os_compute_api:os-shelve:shelve_offload', ADMIN, 'Shelf-offload (remove) a server.'),
  rule(
    'os_compute_api:os-shelve:unshelve_to_host',
    ADMIN,
    'Unshelve (restore) shelve offloaded server to a specific host',
  ),

  // nova/policies/create_backup.py
  rule('os_compute_api:os-create-backup', PROJECT_MEMBER_OR_ADMIN, 'Create a back up of a server.'),

  // nova/policies/extended_server_attributes.py
  rule('os_compute_api:os-extended-server-attributes', ADMIN, 'Return OS-EXT-SRV-ATTR extended server attributes.'),

  // nova/policies/console_output.py
  rule('os_compute_api:os-console-output', PROJECT_MEMBER_OR_ADMIN, 'Show console output for a server.'),
  // nova/policies/remote_consoles.py, nova/policies/console_auth_tokens.py
  rule('os_compute_api:os-remote-consoles', PROJECT_MEMBER_OR_ADMIN, 'Generate a URL to access remote server console.'),
  rule(
    'os_compute_api:os-console-auth-tokens',
    ADMIN,
    'Show console connection information for a given console authentication token',
  ),

  // nova/policies/rescue.py, admin_password.py, server_password.py, server_diagnostics.py
  rule('os_compute_api:os-rescue', PROJECT_MEMBER_OR_ADMIN, 'Rescue a server.'),
  rule('os_compute_api:os-unrescue', PROJECT_MEMBER_OR_ADMIN, 'Unrescue a server.'),
  rule('os_compute_api:os-admin-password', PROJECT_MEMBER_OR_ADMIN, 'Change the administrative password of a server.'),
  rule('os_compute_api:os-server-password:show', PROJECT_READER_OR_ADMIN, 'Show the encrypted password of a server.'),
  rule('os_compute_api:os-server-password:clear', PROJECT_MEMBER_OR_ADMIN, 'Clear the encrypted password of a server.'),
  rule('os_compute_api:os-server-diagnostics', ADMIN, 'Show the usage data of a server.'),
  // nova/policies/attach_interfaces.py
  rule(
    'os_compute_api:os-attach-interfaces:list',
    PROJECT_READER_OR_ADMIN,
    'List port interfaces attached to a server.',
  ),
  rule('os_compute_api:os-attach-interfaces:show', PROJECT_READER_OR_ADMIN, 'Show details of a port interface.'),
  rule('os_compute_api:os-attach-interfaces:create', PROJECT_MEMBER_OR_ADMIN, 'Attach an interface to a server.'),
  // nova/policies/volumes_attachments.py
  rule(
    'os_compute_api:os-volumes-attachments:index',
    PROJECT_READER_OR_ADMIN,
    'List volume attachments for an instance.',
  ),
  rule('os_compute_api:os-volumes-attachments:create', PROJECT_MEMBER_OR_ADMIN, 'Attach a volume to an instance.'),
  rule('os_compute_api:os-volumes-attachments:show', PROJECT_READER_OR_ADMIN, 'Show details of a volume attachment.'),
  rule('os_compute_api:os-volumes-attachments:update', PROJECT_MEMBER_OR_ADMIN, 'Update a volume attachment.'),
  rule(
    'os_compute_api:os-volumes-attachments:swap',
    // Nova's default is the service role alone (2025.2); admins keep it here, as the
    // external-events rule does, so the Tempest in use (admin swaps) passes.
    'rule:service_or_admin',
    'Update a volume attachment with a different volumeId (swap).',
  ),
  rule('os_compute_api:os-volumes-attachments:delete', PROJECT_MEMBER_OR_ADMIN, 'Detach a volume from an instance.'),
  rule('os_compute_api:os-attach-interfaces:delete', PROJECT_MEMBER_OR_ADMIN, 'Detach an interface from a server.'),

  // nova/policies/services.py
  rule('os_compute_api:os-services:list', ADMIN, 'List compute services.'),
  rule('os_compute_api:os-services:update', ADMIN, 'Update a compute service.'),
  rule('os_compute_api:os-services:delete', ADMIN, 'Delete a compute service.'),

  // nova/policies/server_metadata.py
  rule('os_compute_api:server-metadata:index', PROJECT_READER_OR_ADMIN, 'List all metadata of a server.'),
  rule('os_compute_api:server-metadata:show', PROJECT_READER_OR_ADMIN, 'Show metadata for a server.'),
  rule('os_compute_api:server-metadata:create', PROJECT_MEMBER_OR_ADMIN, 'Create metadata for a server.'),
  rule('os_compute_api:server-metadata:update_all', PROJECT_MEMBER_OR_ADMIN, 'Replace metadata for a server.'),
  rule('os_compute_api:server-metadata:update', PROJECT_MEMBER_OR_ADMIN, 'Update metadata from a server.'),
  rule('os_compute_api:server-metadata:delete', PROJECT_MEMBER_OR_ADMIN, 'Delete metadata from a server.'),

  // nova/policies/server_tags.py
  rule('os_compute_api:os-server-tags:delete_all', PROJECT_MEMBER_OR_ADMIN, 'Delete all the server tags.'),
  rule('os_compute_api:os-server-tags:index', PROJECT_READER_OR_ADMIN, 'List all tags for given server.'),
  rule('os_compute_api:os-server-tags:update_all', PROJECT_MEMBER_OR_ADMIN, 'Replace all tags on specified server.'),
  rule('os_compute_api:os-server-tags:delete', PROJECT_MEMBER_OR_ADMIN, 'Delete a single tag from the server.'),
  rule('os_compute_api:os-server-tags:update', PROJECT_MEMBER_OR_ADMIN, 'Add a single tag to the server.'),
  rule('os_compute_api:os-server-tags:show', PROJECT_READER_OR_ADMIN, 'Check tag existence on the server.'),

  // nova/policies/availability_zone.py
  rule('os_compute_api:os-availability-zone:list', '@', 'List availability zones without host information.'),
  rule('os_compute_api:os-availability-zone:detail', ADMIN, 'List availability zones with host information.'),

  // nova/policies/aggregates.py
  ...['index', 'create', 'show', 'update', 'delete', 'add_host', 'remove_host', 'set_metadata'].map((a) =>
    rule(`os_compute_api:os-aggregates:${a}`, ADMIN, `Host aggregates: ${a}.`),
  ),

  // nova/policies/hypervisors.py
  ...['list', 'list-detail', 'statistics', 'show', 'uptime', 'search', 'servers'].map((a) =>
    rule(`os_compute_api:os-hypervisors:${a}`, ADMIN, `Hypervisors: ${a}.`),
  ),

  // nova/policies/hosts.py
  ...['list', 'show', 'update', 'reboot', 'shutdown', 'start'].map((a) =>
    rule(`os_compute_api:os-hosts:${a}`, ADMIN, `Hosts (deprecated API): ${a}.`),
  ),

  // nova/policies/simple_tenant_usage.py
  rule('os_compute_api:os-simple-tenant-usage:show', PROJECT_READER_OR_ADMIN, "Show a project's usage statistics."),
  rule('os_compute_api:os-simple-tenant-usage:list', ADMIN, 'List usage statistics of all projects.'),

  // nova/policies/migrations.py
  rule('os_compute_api:os-migrations:index', 'rule:project_manager_or_admin', 'List migrations.'),
  rule('os_compute_api:os-migrations:index:all_projects', ADMIN, 'List migrations of all projects.'),
  rule('os_compute_api:os-migrations:index:host', ADMIN, 'List migrations with host information.'),

  // nova/policies/evacuate.py
  rule('os_compute_api:os-evacuate', ADMIN, 'Evacuate a server from a failed host to a new host.'),

  // nova/policies/migrate_server.py, nova/policies/servers_migrations.py (2025.1: the project
  // manager may move its servers; naming the destination stays admin-only)
  rule('os_compute_api:os-migrate-server:migrate', 'rule:project_manager_or_admin', 'Cold migrate a server.'),
  rule('os_compute_api:os-migrate-server:migrate:host', ADMIN, 'Cold migrate a server to a named host.'),
  rule('os_compute_api:os-migrate-server:migrate_live', 'rule:project_manager_or_admin', 'Live migrate a server.'),
  rule('os_compute_api:os-migrate-server:migrate_live:host', ADMIN, 'Live migrate a server to a named host.'),
  rule(SERVERS('migrations:index'), 'rule:project_manager_or_admin', 'List in-progress live migrations of a server.'),
  rule(SERVERS('migrations:show'), 'rule:project_manager_or_admin', 'Show an in-progress live migration.'),
  rule(
    SERVERS('migrations:force_complete'),
    'rule:project_manager_or_admin',
    'Force an in-progress live migration to complete.',
  ),
  rule(SERVERS('migrations:delete'), 'rule:project_manager_or_admin', 'Abort an in-progress live migration.'),

  // nova/policies/extensions.py
  rule('os_compute_api:extensions', '@', 'List available extensions.'),

  // nova/policies/flavor_manage.py
  rule('os_compute_api:os-flavor-manage:create', ADMIN, 'Create a flavor.'),
  rule('os_compute_api:os-flavor-manage:update', ADMIN, 'Update a flavor description.'),
  rule('os_compute_api:os-flavor-manage:delete', ADMIN, 'Delete a flavor.'),

  // nova/policies/flavor_access.py, flavor_extra_specs.py
  rule('os_compute_api:os-flavor-access', ADMIN, 'List the projects a private flavor is shared with.'),
  rule('os_compute_api:os-flavor-access:add_tenant_access', ADMIN, 'Share a private flavor with a project.'),
  rule('os_compute_api:os-flavor-access:remove_tenant_access', ADMIN, 'Stop sharing a private flavor with a project.'),
  rule('os_compute_api:os-flavor-extra-specs:index', PROJECT_READER_OR_ADMIN, 'List the extra specs of a flavor.'),
  rule('os_compute_api:os-flavor-extra-specs:show', PROJECT_READER_OR_ADMIN, 'Show an extra spec of a flavor.'),
  ...['create', 'update', 'delete'].map((a) =>
    rule(`os_compute_api:os-flavor-extra-specs:${a}`, ADMIN, `Flavor extra specs: ${a}.`),
  ),

  // nova/policies/keypairs.py: keypairs are a user's, so the owner check is on user_id.
  rule('os_compute_api:os-keypairs:index', `(${ADMIN}) or user_id:%(user_id)s`, 'List all keypairs'),
  rule('os_compute_api:os-keypairs:create', `(${ADMIN}) or user_id:%(user_id)s`, 'Create a keypair'),
  rule('os_compute_api:os-keypairs:delete', `(${ADMIN}) or user_id:%(user_id)s`, 'Delete a keypair'),
  rule('os_compute_api:os-keypairs:show', `(${ADMIN}) or user_id:%(user_id)s`, 'Show details of a keypair'),

  // nova/policies/server_groups.py
  rule('os_compute_api:os-server-groups:create', PROJECT_MEMBER_OR_ADMIN, 'Create a new server group'),
  rule('os_compute_api:os-server-groups:delete', PROJECT_MEMBER_OR_ADMIN, 'Delete a server group'),
  rule('os_compute_api:os-server-groups:index', PROJECT_READER_OR_ADMIN, 'List all server groups'),
  rule('os_compute_api:os-server-groups:index:all_projects', ADMIN, 'List all server groups for all projects'),
  rule('os_compute_api:os-server-groups:show', PROJECT_READER_OR_ADMIN, 'Show details of a server group'),

  // nova/policies/quota_sets.py, quota_class_sets.py, limits.py
  rule('os_compute_api:os-quota-sets:update', ADMIN, 'Update the quotas.'),
  rule('os_compute_api:os-quota-sets:defaults', '@', 'List default quotas.'),
  rule('os_compute_api:os-quota-sets:show', PROJECT_READER_OR_ADMIN, 'Show a quota.'),
  rule('os_compute_api:os-quota-sets:delete', ADMIN, 'Revert quotas to defaults.'),
  rule('os_compute_api:os-quota-sets:detail', PROJECT_READER_OR_ADMIN, 'Show the detail of quota.'),
  rule('os_compute_api:os-quota-class-sets:show', ADMIN, 'List quotas for specific quota classs.'),
  rule('os_compute_api:os-quota-class-sets:update', ADMIN, 'Update quotas for specific quota class.'),
  rule('os_compute_api:limits', '@', 'Show rate and absolute limits for the current user project.'),
  rule('os_compute_api:limits:other_project', ADMIN, 'Show rate and absolute limits of another project.'),

  // nova/policies/instance_usage_audit_log.py, server_external_events.py
  rule('os_compute_api:os-instance-usage-audit-log:list', ADMIN, 'List all usage audits.'),
  rule(
    'os_compute_api:os-instance-usage-audit-log:show',
    ADMIN,
    'List all usage audits occurred before a specified time.',
  ),
  rule(
    'os_compute_api:os-server-external-events:create',
    'rule:service_or_admin',
    'Create one or more external events.',
  ),
];

/**
 * Keystone's token rules (keystone/common/policies/base.py and token.py). Keystone lets a system
 * reader (`role:reader and system_scope:all`) validate and check any token and a system admin
 * revoke one; Stratus has no system scope, so its admin persona takes that place.
 */
const KEYSTONE_RULES: PolicyRule[] = [
  rule('service_role', 'role:service', 'A service user (Keystone: role:service).'),
  rule('token_subject', 'user_id:%(target.token.user_id)s', "The caller is the subject token's user."),
  rule('identity:check_token', `${ADMIN} or rule:token_subject`, 'Check a token (HEAD /v3/auth/tokens).'),
  rule(
    'identity:validate_token',
    `${ADMIN} or rule:service_role or rule:token_subject`,
    'Validate a token (GET /v3/auth/tokens).',
  ),
  rule('identity:revoke_token', `${ADMIN} or rule:token_subject`, 'Revoke a token (DELETE /v3/auth/tokens).'),
];

const STRATUS_RULES: PolicyRule[] = [
  rule('stratus:control:faults', ADMIN, 'Use the fault-injection control API.'),
  // Glance's add_image default: an admin, or a member creating an image of their own project.
  rule('stratus:image:create', PROJECT_MEMBER_OR_ADMIN, 'Register an image.'),
  // Glance's delete_image default: an admin, or a member of the project owning the image (a
  // project deletes its own snapshots).
  rule('stratus:image:delete', PROJECT_MEMBER_OR_ADMIN, 'Delete an image.'),
  // Glance's publicize_image: a public image is seen by every project, so only admins make one.
  rule('stratus:image:publicize', ADMIN, 'Create an image with visibility public.'),
  // Glance's modify_image default: an admin, or a member of the project owning the image.
  rule('stratus:image:modify', PROJECT_MEMBER_OR_ADMIN, "Change an image's properties."),
  // Glance's upload_image default: an admin, or a member of the project owning the image.
  rule('stratus:image:upload', PROJECT_MEMBER_OR_ADMIN, "Upload an image's data."),
  // The 2.1 proxies and /servers/{id}/ips (nova/policies/ips.py, floating_ips.py,
  // floating_ip_pools.py, tenant_networks.py, security_groups.py).
  rule('os_compute_api:ips:index', PROJECT_READER_OR_ADMIN, 'List the addresses of a server.'),
  rule('os_compute_api:ips:show', PROJECT_READER_OR_ADMIN, 'Show the addresses of a server on one network.'),
  rule('os_compute_api:os-floating-ip-pools', '@', 'List floating IP pools (deprecated proxy).'),
  // nova/policies/volumes.py (the os-volumes and os-snapshots proxies, to 2.35)
  ...['list', 'detail', 'show', 'snapshots:list', 'snapshots:detail', 'snapshots:show'].map((a) =>
    rule(`os_compute_api:os-volumes:${a}`, PROJECT_READER_OR_ADMIN, `Volumes: ${a} (deprecated proxy).`),
  ),
  ...['create', 'delete', 'snapshots:create', 'snapshots:delete'].map((a) =>
    rule(`os_compute_api:os-volumes:${a}`, PROJECT_MEMBER_OR_ADMIN, `Volumes: ${a} (deprecated proxy).`),
  ),
  ...['list', 'show'].map((a) =>
    rule(`os_compute_api:os-floating-ips:${a}`, PROJECT_READER_OR_ADMIN, `Floating IPs: ${a} (deprecated proxy).`),
  ),
  ...['create', 'delete', 'add', 'remove'].map((a) =>
    rule(`os_compute_api:os-floating-ips:${a}`, PROJECT_MEMBER_OR_ADMIN, `Floating IPs: ${a} (deprecated proxy).`),
  ),
  ...['list', 'show'].map((a) =>
    rule(`os_compute_api:os-tenant-networks:${a}`, PROJECT_READER_OR_ADMIN, `Networks: ${a} (deprecated proxy).`),
  ),
  // nova/policies/networks.py (the nova-network era API, proxied to Neutron to 2.35)
  ...['list', 'view'].map((a) =>
    rule(`os_compute_api:os-networks:${a}`, PROJECT_READER_OR_ADMIN, `Networks: ${a} (deprecated proxy).`),
  ),
  ...['get', 'show', 'list'].map((a) =>
    rule(`os_compute_api:os-security-groups:${a}`, PROJECT_READER_OR_ADMIN, `Security groups: ${a}.`),
  ),
  ...['create', 'update', 'delete', 'rule:create', 'rule:delete', 'add', 'remove'].map((a) =>
    rule(`os_compute_api:os-security-groups:${a}`, PROJECT_MEMBER_OR_ADMIN, `Security groups: ${a}.`),
  ),
  rule('stratus:network:port:create', PROJECT_MEMBER_OR_ADMIN, 'Create a port.'),
  rule('stratus:network:port:update', PROJECT_MEMBER_OR_ADMIN, 'Update a port.'),
  rule('stratus:network:port:delete', PROJECT_MEMBER_OR_ADMIN, 'Delete a port.'),
  // Neutron's rule names and defaults (neutron/conf/policies/security_group.py).
  ...['security_group', 'security_group_rule'].flatMap((res) => [
    rule(`get_${res}`, PROJECT_READER_OR_ADMIN, `Get ${res.replace(/_/g, ' ')}s.`),
    ...['create', 'update', 'delete'].map((a) =>
      rule(`${a}_${res}`, PROJECT_MEMBER_OR_ADMIN, `${a[0].toUpperCase()}${a.slice(1)} a ${res.replace(/_/g, ' ')}.`),
    ),
  ]),
  // Neutron's rule names and defaults (neutron/conf/policies/floatingip.py).
  rule('get_floatingip', PROJECT_READER_OR_ADMIN, 'Get floating IPs.'),
  rule('create_floatingip', PROJECT_MEMBER_OR_ADMIN, 'Create a floating IP.'),
  rule('create_floatingip:floating_ip_address', ADMIN, 'Create a floating IP with a given address.'),
  rule('update_floatingip', PROJECT_MEMBER_OR_ADMIN, 'Update a floating IP.'),
  rule('delete_floatingip', PROJECT_MEMBER_OR_ADMIN, 'Delete a floating IP.'),
  // Neutron's own rule name (neutron/conf/policies/quotas.py): another project's quotas.
  rule('get_quota', ADMIN, "Get another project's network quotas."),
  ...NEUTRON_L3_RULES,
];

/** Every default rule, base rules first. Names are unique. */
export const DEFAULT_RULES: PolicyRule[] = [
  ...BASE_RULES,
  ...NOVA_RULES,
  ...KEYSTONE_RULES,
  ...KEYSTONE_ADMIN_RULES,
  ...STRATUS_RULES,
  ...VOLUME_RULES,
];
