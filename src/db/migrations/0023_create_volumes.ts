import type { Kysely } from 'kysely';

/**
 * Block storage (Cinder): volumes, their snapshots and attachments, volume types and Cinder's
 * own quota rows. Cinder's quotas live in their own table so they never appear in Nova's quota
 * views (Nova's `quotas` table names Nova's resources only). Metadata and image metadata are
 * JSON objects on the volume row (Cinder's volume_metadata / volume_glance_metadata tables).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('volume_types')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('description', 'text')
    .addColumn('is_public', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('extra_specs', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('volumes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('description', 'text')
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attach_status', 'text', (c) => c.notNull().defaultTo('detached'))
    .addColumn('volume_type_id', 'text', (c) => c.notNull())
    .addColumn('availability_zone', 'text', (c) => c.notNull())
    .addColumn('bootable', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('readonly', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('snapshot_id', 'text')
    .addColumn('source_volid', 'text')
    .addColumn('image_id', 'text')
    .addColumn('metadata', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('image_metadata', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text')
    .execute();
  await db.schema.createIndex('volumes_project_idx').on('volumes').column('project_id').execute();
  await db.schema
    .createTable('volume_snapshots')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('volume_id', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('description', 'text')
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('metadata', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text')
    .execute();
  await db.schema.createIndex('volume_snapshots_volume_idx').on('volume_snapshots').column('volume_id').execute();
  await db.schema
    .createTable('volume_attachments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('volume_id', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('instance_uuid', 'text')
    .addColumn('attach_status', 'text', (c) => c.notNull())
    .addColumn('attach_mode', 'text', (c) => c.notNull().defaultTo('null'))
    .addColumn('connector', 'text')
    .addColumn('connection_info', 'text')
    .addColumn('mountpoint', 'text')
    .addColumn('attached_host', 'text')
    .addColumn('attach_time', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('volume_attachments_volume_idx').on('volume_attachments').column('volume_id').execute();
  await db.schema
    .createTable('volume_quotas')
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('resource', 'text', (c) => c.notNull())
    .addColumn('hard_limit', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('volume_quotas_pk', ['project_id', 'resource'])
    .execute();
  await db.schema
    .createTable('volume_quota_locks')
    .addColumn('project_id', 'text', (c) => c.primaryKey())
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [
    'volume_quota_locks',
    'volume_quotas',
    'volume_attachments',
    'volume_snapshots',
    'volumes',
    'volume_types',
  ])
    await db.schema.dropTable(t).ifExists().execute();
}
