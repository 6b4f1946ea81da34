import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * server_changes: the watch API's change log (GET /stratus/v1/events), one row per change of a
 * server's watched fields. Written by triggers on `servers`, so every code path that writes a
 * server (API, agents, periodic jobs, other processes) is covered without touching the use cases.
 * `tx` names the writing transaction (PostgreSQL: txid_current(); SQLite: the one-row counter
 * server_change_tx, bumped by the group commit at each unit), so that an instance action recorded
 * after the server write in the same transaction still gives the change its request id.
 * request_id is otherwise the server's newest action (by start_time) when the change is written:
 * a change by an agent or a periodic job while a newer action exists carries the newer one's id.
 * prev_vm_state / prev_task_state let the reader tell whether the derived status changed.
 * The trigger sends no NOTIFY: pg_notify takes a cluster-wide lock at commit, which would
 * serialise every server-writing commit; each process notifies after its own commits instead.
 */
const WATCHED = ['name', 'vm_state', 'task_state', 'power_state', 'host', 'locked_by', 'fault', 'deleted'];

/** `changed`: a comma list of the watched fields that differ (`locked` for locked_by). */
const changedList = (distinct: string) =>
  ['name', 'vm_state', 'task_state', 'power_state', 'host', 'locked_by', 'fault']
    .map((c) => `CASE WHEN NEW.${c} ${distinct} OLD.${c} THEN '${c === 'locked_by' ? 'locked' : c},' ELSE '' END`)
    .join(' || ');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('server_changes')
    .ifNotExists()
    .addColumn('seq', postgres ? 'bigserial' : 'integer', (c) =>
      postgres ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('server_id', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('changed', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('vm_state', 'text', (c) => c.notNull())
    .addColumn('task_state', 'text')
    .addColumn('prev_vm_state', 'text')
    .addColumn('prev_task_state', 'text')
    .addColumn('power_state', 'integer', (c) => c.notNull())
    .addColumn('host', 'text')
    .addColumn('locked', 'integer', (c) => c.notNull())
    .addColumn('fault', 'text')
    .addColumn('request_id', 'text')
    .addColumn('tx', 'bigint', (c) => c.notNull())
    .addColumn('changed_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('server_changes_changed_at')
    .ifNotExists()
    .on('server_changes')
    .column('changed_at')
    .execute();
  await db.schema
    .createIndex('server_changes_server_tx')
    .ifNotExists()
    .on('server_changes')
    .columns(['server_id', 'tx'])
    .execute();
  const cols =
    'server_id, project_id, kind, changed, name, vm_state, task_state, prev_vm_state, prev_task_state, power_state, host, locked, fault, request_id, tx, changed_at';
  // The newest action by start time (ids are random uuids): index instance_actions_server, read backwards.
  const latestRequest =
    '(SELECT request_id FROM instance_actions WHERE server_id = NEW.id ORDER BY start_time DESC, id DESC LIMIT 1)';
  if (postgres) {
    await sql
      .raw(`
CREATE OR REPLACE FUNCTION stratus_server_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ch text := '';
  k text := 'created';
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF OLD.deleted <> 0 THEN RETURN NULL; END IF;
    IF NOT (${WATCHED.map((c) => `NEW.${c} IS DISTINCT FROM OLD.${c}`).join(' OR ')}) THEN RETURN NULL; END IF;
    ch := ${changedList('IS DISTINCT FROM')};
    k := CASE WHEN NEW.deleted <> 0 THEN 'deleted' ELSE 'updated' END;
    INSERT INTO server_changes (${cols}) VALUES (NEW.id, NEW.project_id, k, rtrim(ch, ','), NEW.name,
      NEW.vm_state, NEW.task_state, OLD.vm_state, OLD.task_state, NEW.power_state, NEW.host,
      CASE WHEN NEW.locked_by IS NULL THEN 0 ELSE 1 END, NEW.fault, ${latestRequest}, txid_current(), NEW.updated_at);
  ELSE
    INSERT INTO server_changes (${cols}) VALUES (NEW.id, NEW.project_id,
      CASE WHEN NEW.deleted <> 0 THEN 'deleted' ELSE 'created' END, '', NEW.name,
      NEW.vm_state, NEW.task_state, NULL, NULL, NEW.power_state, NEW.host,
      CASE WHEN NEW.locked_by IS NULL THEN 0 ELSE 1 END, NEW.fault, ${latestRequest}, txid_current(), NEW.created_at);
  END IF;
  RETURN NULL;
END $$`)
      .execute(db);
    await sql
      .raw(`
CREATE OR REPLACE FUNCTION stratus_server_change_action() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE server_changes SET request_id = NEW.request_id
   WHERE server_id = NEW.server_id AND tx = txid_current() AND request_id IS DISTINCT FROM NEW.request_id;
  RETURN NULL;
END $$`)
      .execute(db);
    await sql.raw('DROP TRIGGER IF EXISTS server_changes_write ON servers').execute(db);
    await sql
      .raw(
        'CREATE TRIGGER server_changes_write AFTER INSERT OR UPDATE ON servers FOR EACH ROW EXECUTE FUNCTION stratus_server_change()',
      )
      .execute(db);
    await sql.raw('DROP TRIGGER IF EXISTS server_changes_action ON instance_actions').execute(db);
    await sql
      .raw(
        'CREATE TRIGGER server_changes_action AFTER INSERT ON instance_actions FOR EACH ROW EXECUTE FUNCTION stratus_server_change_action()',
      )
      .execute(db);
    return;
  }
  await db.schema
    .createTable('server_change_tx')
    .ifNotExists()
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('n', 'integer', (c) => c.notNull())
    .execute();
  await sql.raw('INSERT OR IGNORE INTO server_change_tx (id, n) VALUES (1, 0)').execute(db);
  const tx = '(SELECT n FROM server_change_tx WHERE id = 1)';
  await sql
    .raw(`
CREATE TRIGGER IF NOT EXISTS server_changes_insert AFTER INSERT ON servers BEGIN
  INSERT INTO server_changes (${cols}) VALUES (NEW.id, NEW.project_id,
    CASE WHEN NEW.deleted <> 0 THEN 'deleted' ELSE 'created' END, '', NEW.name,
    NEW.vm_state, NEW.task_state, NULL, NULL, NEW.power_state, NEW.host,
    NEW.locked_by IS NOT NULL, NEW.fault, ${latestRequest}, ${tx}, NEW.created_at);
END`)
    .execute(db);
  await sql
    .raw(`
CREATE TRIGGER IF NOT EXISTS server_changes_update AFTER UPDATE ON servers
WHEN OLD.deleted = 0 AND (${WATCHED.map((c) => `NEW.${c} IS NOT OLD.${c}`).join(' OR ')}) BEGIN
  INSERT INTO server_changes (${cols}) VALUES (NEW.id, NEW.project_id,
    CASE WHEN NEW.deleted <> 0 THEN 'deleted' ELSE 'updated' END, rtrim(${changedList('IS NOT')}, ','), NEW.name,
    NEW.vm_state, NEW.task_state, OLD.vm_state, OLD.task_state, NEW.power_state, NEW.host,
    NEW.locked_by IS NOT NULL, NEW.fault, ${latestRequest}, ${tx}, NEW.updated_at);
END`)
    .execute(db);
  await sql
    .raw(`
CREATE TRIGGER IF NOT EXISTS server_changes_action AFTER INSERT ON instance_actions BEGIN
  UPDATE server_changes SET request_id = NEW.request_id
   WHERE server_id = NEW.server_id AND tx = ${tx} AND request_id IS NOT NEW.request_id;
END`)
    .execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  if (postgres) {
    await sql.raw('DROP TRIGGER IF EXISTS server_changes_write ON servers').execute(db);
    await sql.raw('DROP TRIGGER IF EXISTS server_changes_action ON instance_actions').execute(db);
    await sql.raw('DROP FUNCTION IF EXISTS stratus_server_change()').execute(db);
    await sql.raw('DROP FUNCTION IF EXISTS stratus_server_change_action()').execute(db);
  } else {
    for (const t of ['server_changes_insert', 'server_changes_update', 'server_changes_action'])
      await sql.raw(`DROP TRIGGER IF EXISTS ${t}`).execute(db);
    await db.schema.dropTable('server_change_tx').ifExists().execute();
  }
  await db.schema.dropTable('server_changes').ifExists().execute();
}
