import type { Kysely } from 'kysely';

/**
 * server_interfaces: Nova's virtual_interfaces, reduced to what the API shows: the device tag a
 * port was attached with (os-interface 2.49, shown from 2.70). The port itself stays the record
 * of the attachment (its device_id); a row whose server_id no longer matches it is stale.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('server_interfaces')
    .ifNotExists()
    .addColumn('port_id', 'text', (c) => c.primaryKey())
    .addColumn('server_id', 'text', (c) => c.notNull())
    .addColumn('tag', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('server_interfaces_server')
    .ifNotExists()
    .on('server_interfaces')
    .column('server_id')
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('server_interfaces').ifExists().execute();
}
