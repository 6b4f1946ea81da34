import type { Kysely } from 'kysely';

/**
 * floating_ips: Neutron's floatingips table. Each floating IP is backed by a port of device_owner
 * `network:floatingip` on the external network (floating_port_id), which holds its address in
 * ip_allocations. The association is (port_id, fixed_ip_address); the unique index on
 * (floating_network_id, port_id, fixed_ip_address) is Neutron's
 * uniq_floatingips0floatingnetworkid0fixedportid0fixedipaddress: a fixed IP has at most one
 * floating IP per external network, whatever races (NULLs, unassociated rows, never collide).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('floating_ips')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('floating_network_id', 'text', (c) => c.notNull())
    .addColumn('floating_ip_address', 'text', (c) => c.notNull())
    .addColumn('floating_port_id', 'text', (c) => c.notNull())
    .addColumn('subnet_id', 'text')
    .addColumn('port_id', 'text')
    .addColumn('fixed_ip_address', 'text')
    .addColumn('router_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('revision_number', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('floating_ips_association')
    .ifNotExists()
    .unique()
    .on('floating_ips')
    .columns(['floating_network_id', 'port_id', 'fixed_ip_address'])
    .execute();
  await db.schema.createIndex('floating_ips_port').ifNotExists().on('floating_ips').column('port_id').execute();
  await db.schema.createIndex('floating_ips_project').ifNotExists().on('floating_ips').column('project_id').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('floating_ips').ifExists().execute();
}
