import type { Kysely } from 'kysely';

/**
 * block_device_mappings: Nova's BDMs reduced to what Stratus serves — the volumes a server boots
 * from or has attached (os-volume_attachments, boot from volume, delete_on_termination). A row
 * names the Cinder volume and, once Cinder granted it, the attachment; `volume_id` is unique, so
 * one volume is mapped to one server at most (no multiattach) whatever the isolation level.
 * Image-backed root disks and ephemeral disks have no row (the flavor describes them).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('block_device_mappings')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('server_id', 'text', (c) => c.notNull())
    .addColumn('volume_id', 'text')
    .addColumn('attachment_id', 'text')
    .addColumn('source_type', 'text', (c) => c.notNull())
    .addColumn('destination_type', 'text', (c) => c.notNull())
    .addColumn('boot_index', 'integer')
    .addColumn('device_name', 'text')
    .addColumn('delete_on_termination', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('volume_size', 'integer')
    .addColumn('volume_type', 'text')
    .addColumn('image_id', 'text')
    .addColumn('snapshot_id', 'text')
    .addColumn('disk_bus', 'text')
    .addColumn('device_type', 'text')
    .addColumn('guest_format', 'text')
    .addColumn('tag', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('block_device_mappings_server')
    .ifNotExists()
    .on('block_device_mappings')
    .column('server_id')
    .execute();
  await db.schema
    .createIndex('block_device_mappings_volume')
    .ifNotExists()
    .unique()
    .on('block_device_mappings')
    .column('volume_id')
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('block_device_mappings').ifExists().execute();
}
