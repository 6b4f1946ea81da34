import type { Kysely } from 'kysely';

/**
 * console_auth_tokens: Nova's table of the same name (nova/objects/console_auth_token.py): the
 * token is kept only as its SHA-256 (as Nova keeps `token_hash`), with the server, the console
 * type, the connect info and the expiry, so any API process can open a console another issued.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('console_auth_tokens')
    .ifNotExists()
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('server_id', 'text', (c) => c.notNull())
    .addColumn('console_type', 'text', (c) => c.notNull())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('port', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('console_auth_tokens_expires')
    .ifNotExists()
    .on('console_auth_tokens')
    .column('expires_at')
    .execute();
  await db.schema
    .createIndex('console_auth_tokens_server')
    .ifNotExists()
    .on('console_auth_tokens')
    .column('server_id')
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('console_auth_tokens').ifExists().execute();
}
