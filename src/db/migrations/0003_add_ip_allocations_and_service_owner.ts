import type { Kysely } from 'kysely';

/**
 * ip_allocations: one row per fixed IP in use, unique per network, so concurrent boots on
 * PostgreSQL can never hand out the same address. services.owner: the agent incarnation that
 * holds a host name, so a second agent with the same name fences the first.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('ip_allocations')
    .ifNotExists()
    .addColumn('network_id', 'text', (c) => c.notNull())
    .addColumn('ip_address', 'text', (c) => c.notNull())
    .addColumn('port_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('ip_allocations_pk', ['network_id', 'ip_address'])
    .execute();
  await db.schema.createIndex('ip_allocations_port').ifNotExists().on('ip_allocations').column('port_id').execute();
  // Existing ports keep their addresses.
  const ports = await db.selectFrom('ports').select(['id', 'network_id', 'fixed_ips']).execute();
  for (const p of ports) {
    for (const ip of JSON.parse(p.fixed_ips) as Array<{ ip_address: string }>) {
      await db
        .insertInto('ip_allocations')
        .values({ network_id: p.network_id, ip_address: ip.ip_address, port_id: p.id })
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
  }
  await db.schema.alterTable('services').addColumn('owner', 'text').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('ip_allocations').ifExists().execute();
  await db.schema.alterTable('services').dropColumn('owner').execute();
}
