import type { Kysely } from 'kysely';

/**
 * server_tags: Nova's `tags` table (resource_id, tag). The primary key (server_id, tag) makes a
 * tag unique per server and answers "the tags of these servers"; the (tag, server_id) index
 * answers the list filters (tags, tags-any, not-tags, not-tags-any) without scanning servers.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('server_tags')
    .ifNotExists()
    .addColumn('server_id', 'text', (c) => c.notNull())
    .addColumn('tag', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('server_tags_pk', ['server_id', 'tag'])
    .execute();
  await db.schema
    .createIndex('server_tags_tag')
    .ifNotExists()
    .on('server_tags')
    .columns(['tag', 'server_id'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('server_tags').ifExists().execute();
}
