import type { Kysely } from 'kysely';

/**
 * users.password_generation counts password changes; each token keeps the generation it was
 * issued under, and validation refuses a token whose generation is no longer the user's. The
 * check is in the database, so it holds across restarts and across API processes sharing it.
 * Existing rows start at 0 on both sides: tokens issued before this migration stay valid.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('password_generation', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('tokens')
    .addColumn('password_generation', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('tokens').dropColumn('password_generation').execute();
  await db.schema.alterTable('users').dropColumn('password_generation').execute();
}
