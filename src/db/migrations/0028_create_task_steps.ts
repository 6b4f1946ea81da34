import type { Kysely } from 'kysely';

/**
 * task_steps: the timeline of the work done for a server (issue 14): each step of a task the agent
 * ran (queued, leased, driver calls, releases, finished) and of a local delete, with its start and
 * finish. Observability only: written with the task's completion, read by server, purged with it.
 * `seq` orders the steps of one write (the clock has millisecond resolution).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('task_steps')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('task_id', 'text')
    .addColumn('server_id', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('step', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('host', 'text')
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addColumn('result', 'text')
    .addColumn('message', 'text')
    .execute();
  await db.schema.createIndex('task_steps_server').ifNotExists().on('task_steps').column('server_id').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('task_steps').ifExists().execute();
}
