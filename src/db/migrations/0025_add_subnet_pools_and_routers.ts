import type { Kysely } from 'kysely';
import { defaultPools, parseCidr, toPools } from '../../domain/ipv4.js';

/**
 * Neutron's L3 and the rest of its core attributes (neutron/db/models_v2.py, l3.py, quota):
 * networks gain admin_state_up, description, port_security_enabled and a revision; subnets their
 * allocation pools (JSON list of {start, end}; existing subnets get Neutron's default pools),
 * enable_dhcp, dns_nameservers, host_routes, description; routers (gw_network_id: the external
 * network of the gateway, whose port is a row of ports with device_owner network:router_gateway;
 * interfaces are ports with network:router_interface); network_quotas, the per-project limits
 * that override Neutron's defaults (apart from Nova's quotas table: Neutron keeps its own).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  const add = async (table: string, column: string, type: 'text' | 'integer', value: string | number) =>
    db.schema
      .alterTable(table)
      .addColumn(column, type, (c) => c.notNull().defaultTo(value))
      .execute();
  await add('networks', 'admin_state_up', 'integer', 1);
  await add('networks', 'description', 'text', '');
  await add('networks', 'port_security_enabled', 'integer', 1);
  await add('networks', 'revision_number', 'integer', 1);
  await add('subnets', 'allocation_pools', 'text', '[]');
  await add('subnets', 'enable_dhcp', 'integer', 1);
  await add('subnets', 'dns_nameservers', 'text', '[]');
  await add('subnets', 'host_routes', 'text', '[]');
  await add('subnets', 'description', 'text', '');
  await add('subnets', 'revision_number', 'integer', 0);
  const subnets = await db.selectFrom('subnets').select(['id', 'cidr', 'gateway_ip']).execute();
  for (const s of subnets) {
    const c = parseCidr(s.cidr);
    if (!c) continue;
    await db
      .updateTable('subnets')
      .set({ allocation_pools: JSON.stringify(toPools(defaultPools(c, s.gateway_ip))) })
      .where('id', '=', s.id)
      .execute();
  }
  await db.schema
    .createTable('routers')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('admin_state_up', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('gw_network_id', 'text')
    .addColumn('enable_snat', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('revision_number', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('routers_project').ifNotExists().on('routers').column('project_id').execute();
  await db.schema
    .createTable('network_quotas')
    .ifNotExists()
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('resource', 'text', (c) => c.notNull())
    .addColumn('hard_limit', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('network_quotas_pk', ['project_id', 'resource'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('network_quotas').ifExists().execute();
  await db.schema.dropTable('routers').ifExists().execute();
  for (const c of [
    'allocation_pools',
    'enable_dhcp',
    'dns_nameservers',
    'host_routes',
    'description',
    'revision_number',
  ])
    await db.schema.alterTable('subnets').dropColumn(c).execute();
  for (const c of ['admin_state_up', 'description', 'port_security_enabled', 'revision_number'])
    await db.schema.alterTable('networks').dropColumn(c).execute();
}
