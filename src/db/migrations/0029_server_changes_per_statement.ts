import { PostgresAdapter, sql, type Kysely } from 'kysely';
import * as m0027 from './0027_create_server_changes.js';

/**
 * PostgreSQL: the watch API's change log (0027) written once per statement instead of once per
 * row (issue 15). The per-row trigger ran its PL/pgSQL function and its INSERT for every server a
 * batched delete wrote (about a third of PostgreSQL's time per delete in the bench); a statement
 * trigger with transition tables writes the same rows with one INSERT … SELECT per statement. The
 * rows are those of 0027: same columns, same request id rule, same `tx`. SQLite keeps its row
 * triggers (in process, no statement triggers there).
 */
const WATCHED = ['name', 'vm_state', 'task_state', 'power_state', 'host', 'locked_by', 'fault', 'deleted'];
const cols =
  'server_id, project_id, kind, changed, name, vm_state, task_state, prev_vm_state, prev_task_state, power_state, host, locked, fault, request_id, tx, changed_at';
const changedList = ['name', 'vm_state', 'task_state', 'power_state', 'host', 'locked_by', 'fault']
  .map((c) => `CASE WHEN n.${c} IS DISTINCT FROM o.${c} THEN '${c === 'locked_by' ? 'locked' : c},' ELSE '' END`)
  .join(' || ');
const latestRequest =
  '(SELECT a.request_id FROM instance_actions a WHERE a.server_id = n.id ORDER BY a.start_time DESC, a.id DESC LIMIT 1)';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  for (const statement of [
    `CREATE OR REPLACE FUNCTION stratus_servers_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO server_changes (${cols})
  SELECT n.id, n.project_id, CASE WHEN n.deleted <> 0 THEN 'deleted' ELSE 'created' END, '', n.name,
    n.vm_state, n.task_state, NULL, NULL, n.power_state, n.host,
    CASE WHEN n.locked_by IS NULL THEN 0 ELSE 1 END, n.fault, ${latestRequest}, txid_current(), n.created_at
  FROM new_rows n;
  RETURN NULL;
END $$`,
    // The join of the two transition tables (no index) is planned once per connection: after a
    // one-row first statement a nested loop, quadratic for the batches. A hash join at any size.
    `CREATE OR REPLACE FUNCTION stratus_servers_updated() RETURNS trigger LANGUAGE plpgsql SET enable_nestloop = off AS $$
BEGIN
  INSERT INTO server_changes (${cols})
  SELECT n.id, n.project_id, CASE WHEN n.deleted <> 0 THEN 'deleted' ELSE 'updated' END, rtrim(${changedList}, ','),
    n.name, n.vm_state, n.task_state, o.vm_state, o.task_state, n.power_state, n.host,
    CASE WHEN n.locked_by IS NULL THEN 0 ELSE 1 END, n.fault, ${latestRequest}, txid_current(), n.updated_at
  FROM new_rows n JOIN old_rows o ON o.id = n.id
  WHERE o.deleted = 0 AND (${WATCHED.map((c) => `n.${c} IS DISTINCT FROM o.${c}`).join(' OR ')});
  RETURN NULL;
END $$`,
    // Of several actions for one server in one statement (none today: a batch has each server
    // once), the newest by start time names the change; the row trigger took the last inserted.
    `CREATE OR REPLACE FUNCTION stratus_instance_actions_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE server_changes c SET request_id = a.request_id
    FROM (SELECT DISTINCT ON (server_id) server_id, request_id FROM new_rows
           ORDER BY server_id, start_time DESC, id DESC) a
   WHERE c.server_id = a.server_id AND c.tx = txid_current() AND c.request_id IS DISTINCT FROM a.request_id;
  RETURN NULL;
END $$`,
    'DROP TRIGGER IF EXISTS server_changes_write ON servers',
    'DROP TRIGGER IF EXISTS server_changes_action ON instance_actions',
    'DROP TRIGGER IF EXISTS server_changes_inserted ON servers',
    'DROP TRIGGER IF EXISTS server_changes_updated ON servers',
    'DROP TRIGGER IF EXISTS server_changes_actions ON instance_actions',
    'CREATE TRIGGER server_changes_inserted AFTER INSERT ON servers REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stratus_servers_inserted()',
    'CREATE TRIGGER server_changes_updated AFTER UPDATE ON servers REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stratus_servers_updated()',
    'CREATE TRIGGER server_changes_actions AFTER INSERT ON instance_actions REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stratus_instance_actions_inserted()',
    'DROP FUNCTION IF EXISTS stratus_server_change()',
    'DROP FUNCTION IF EXISTS stratus_server_change_action()',
  ])
    await sql.raw(statement).execute(db);
}

/** Back to 0027's row triggers. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  for (const statement of [
    'DROP TRIGGER IF EXISTS server_changes_inserted ON servers',
    'DROP TRIGGER IF EXISTS server_changes_updated ON servers',
    'DROP TRIGGER IF EXISTS server_changes_actions ON instance_actions',
    'DROP FUNCTION IF EXISTS stratus_servers_inserted()',
    'DROP FUNCTION IF EXISTS stratus_servers_updated()',
    'DROP FUNCTION IF EXISTS stratus_instance_actions_inserted()',
  ])
    await sql.raw(statement).execute(db);
  await m0027.up(db);
}
