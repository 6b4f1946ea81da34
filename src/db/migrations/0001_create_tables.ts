import type { Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>): Promise<void> {
  const t = (name: string) => db.schema.createTable(name).ifNotExists();
  await t('domains')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .execute();
  await t('projects')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('domain_id', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addUniqueConstraint('projects_domain_name', ['domain_id', 'name'])
    .execute();
  await t('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('domain_id', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('default_project_id', 'text')
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addUniqueConstraint('users_domain_name', ['domain_id', 'name'])
    .execute();
  await t('roles')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .execute();
  await t('role_assignments')
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('role_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('role_assignments_pk', ['user_id', 'project_id', 'role_id'])
    .execute();
  await t('tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('roles', 'text', (c) => c.notNull())
    .addColumn('issued_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('revoked', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await t('flavors')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('vcpus', 'integer', (c) => c.notNull())
    .addColumn('ram', 'integer', (c) => c.notNull())
    .addColumn('disk', 'integer', (c) => c.notNull())
    .addColumn('ephemeral', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('swap', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rxtx_factor', 'real', (c) => c.notNull().defaultTo(1))
    .addColumn('is_public', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('description', 'text')
    .addColumn('extra_specs', 'text', (c) => c.notNull().defaultTo('{}'))
    .execute();
  await t('images')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('visibility', 'text', (c) => c.notNull())
    .addColumn('owner', 'text')
    .addColumn('disk_format', 'text')
    .addColumn('container_format', 'text')
    .addColumn('size', 'bigint')
    .addColumn('min_disk', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('min_ram', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('properties', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('protected', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await t('networks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('shared', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('external', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('mtu', 'integer', (c) => c.notNull().defaultTo(1500))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await t('subnets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('network_id', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('cidr', 'text', (c) => c.notNull())
    .addColumn('gateway_ip', 'text')
    .addColumn('ip_version', 'integer', (c) => c.notNull().defaultTo(4))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await t('ports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('network_id', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('mac_address', 'text', (c) => c.notNull())
    .addColumn('fixed_ips', 'text', (c) => c.notNull())
    .addColumn('device_id', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('device_owner', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('binding_host_id', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('admin_state_up', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_for_server', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ports_device_id').ifNotExists().on('ports').column('device_id').execute();
  await db.schema.createIndex('ports_network_id').ifNotExists().on('ports').column('network_id').execute();
  await t('servers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('image_id', 'text', (c) => c.notNull())
    .addColumn('flavor_id', 'text', (c) => c.notNull())
    .addColumn('flavor', 'text', (c) => c.notNull())
    .addColumn('vm_state', 'text', (c) => c.notNull())
    .addColumn('task_state', 'text')
    .addColumn('power_state', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('host', 'text')
    .addColumn('launched_at', 'text')
    .addColumn('terminated_at', 'text')
    .addColumn('locked_by', 'text')
    .addColumn('locked_reason', 'text')
    .addColumn('metadata', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('key_name', 'text')
    .addColumn('reservation_id', 'text', (c) => c.notNull())
    .addColumn('launch_index', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('hostname', 'text', (c) => c.notNull())
    .addColumn('access_ipv4', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('access_ipv6', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('availability_zone', 'text', (c) => c.notNull().defaultTo('nova'))
    .addColumn('user_data', 'text')
    .addColumn('requested_networks', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('fault', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('deleted_at', 'text')
    .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // Listing pages by (created_at, id) within a project, live rows first: keeps list cost flat as deleted rows pile up.
  await db.schema
    .createIndex('servers_project_live')
    .ifNotExists()
    .on('servers')
    .columns(['project_id', 'deleted', 'created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('servers_live')
    .ifNotExists()
    .on('servers')
    .columns(['deleted', 'created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('servers_updated')
    .ifNotExists()
    .on('servers')
    .columns(['project_id', 'updated_at'])
    .execute();
  await db.schema.createIndex('servers_deleted_at').ifNotExists().on('servers').columns(['deleted_at']).execute();
  await db.schema.createIndex('servers_host').ifNotExists().on('servers').columns(['host', 'vm_state']).execute();
  await t('instance_actions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('server_id', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('start_time', 'text', (c) => c.notNull())
    .addColumn('finish_time', 'text')
    .addColumn('message', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('instance_actions_server')
    .ifNotExists()
    .on('instance_actions')
    .columns(['server_id', 'start_time'])
    .execute();
  await t('instance_action_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('action_id', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('start_time', 'text', (c) => c.notNull())
    .addColumn('finish_time', 'text')
    .addColumn('result', 'text')
    .addColumn('traceback', 'text')
    .addColumn('host', 'text')
    .addColumn('details', 'text')
    .execute();
  await db.schema
    .createIndex('instance_action_events_action')
    .ifNotExists()
    .on('instance_action_events')
    .column('action_id')
    .execute();
  await t('tasks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('server_id', 'text')
    .addColumn('host', 'text')
    .addColumn('payload', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'text')
    .addColumn('run_after', 'text', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('tasks_ready')
    .ifNotExists()
    .on('tasks')
    .columns(['host', 'state', 'run_after'])
    .execute();
  await db.schema.createIndex('tasks_server').ifNotExists().on('tasks').columns(['server_id', 'state']).execute();
  await t('services')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('binary', 'text', (c) => c.notNull())
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('zone', 'text', (c) => c.notNull().defaultTo('nova'))
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('disabled_reason', 'text')
    .addColumn('forced_down', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addColumn('vcpus', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('memory_mb', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('disk_gb', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('services_host_binary', ['host', 'binary'])
    .execute();
  await t('driver_faults')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('server_id', 'text')
    .addColumn('operation', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('remaining', 'integer')
    .addColumn('delay_ms', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const name of [
    'driver_faults',
    'services',
    'tasks',
    'instance_action_events',
    'instance_actions',
    'servers',
    'ports',
    'subnets',
    'networks',
    'images',
    'flavors',
    'tokens',
    'role_assignments',
    'roles',
    'users',
    'projects',
    'domains',
  ]) {
    await db.schema.dropTable(name).ifExists().execute();
  }
}
