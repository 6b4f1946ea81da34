import type { Selectable, Updateable } from 'kysely';
import type { Executor } from '../executor.js';
import type { SecurityGroupRulesTable, SecurityGroupsTable } from '../schema.js';

export type SecurityGroupRow = Selectable<SecurityGroupsTable>;
export type SecurityGroupRuleRow = Selectable<SecurityGroupRulesTable>;

/** Each list filter accepts any of its values (Neutron's); projectIds undefined: every project. */
export interface GroupFilter {
  projectIds?: string[];
  ids?: string[];
  names?: string[];
}

export async function insertGroup(ex: Executor, row: SecurityGroupsTable): Promise<void> {
  await ex.insertInto('security_groups').values(row).execute();
}

export async function getGroup(ex: Executor, id: string): Promise<SecurityGroupRow | undefined> {
  return ex.selectFrom('security_groups').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listGroups(ex: Executor, f: GroupFilter = {}): Promise<SecurityGroupRow[]> {
  let q = ex.selectFrom('security_groups').selectAll();
  if (f.projectIds !== undefined) q = q.where('project_id', 'in', f.projectIds.length ? f.projectIds : ['']);
  if (f.ids !== undefined) q = q.where('id', 'in', f.ids.length ? f.ids : ['']);
  if (f.names !== undefined) q = q.where('name', 'in', f.names.length ? f.names : ['']);
  return q.orderBy('created_at').orderBy('id').execute();
}

export async function updateGroup(ex: Executor, id: string, changes: Updateable<SecurityGroupsTable>): Promise<void> {
  await ex.updateTable('security_groups').set(changes).where('id', '=', id).execute();
}

/** Deletes a group (its rules and its default marker go with it); false when there was none. */
export async function deleteGroup(ex: Executor, id: string): Promise<boolean> {
  const r = await ex.deleteFrom('security_groups').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function countGroups(ex: Executor, projectId: string): Promise<number> {
  const row = await ex
    .selectFrom('security_groups')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** The id of the project's default group, if it has one yet. */
export async function defaultGroupOf(ex: Executor, projectId: string): Promise<string | undefined> {
  const row = await ex
    .selectFrom('default_security_groups')
    .select('security_group_id')
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  return row?.security_group_id;
}

/**
 * Marks `groupId` as the project's default group; false when the project already has one (the
 * primary key decides, so two first uses at once make one default group).
 */
export async function claimDefault(ex: Executor, projectId: string, groupId: string): Promise<boolean> {
  const r = await ex
    .insertInto('default_security_groups')
    .values({ project_id: projectId, security_group_id: groupId })
    .onConflict((oc) => oc.column('project_id').doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** Which of `ids` are some project's default group. */
export async function defaultGroupIds(ex: Executor, ids: string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const rows = await ex
    .selectFrom('default_security_groups')
    .select('security_group_id')
    .where('security_group_id', 'in', ids)
    .execute();
  return new Set(rows.map((r) => r.security_group_id));
}

export interface RuleFilter {
  projectIds?: string[];
  ids?: string[];
  groupIds?: string[];
}

export async function insertRule(ex: Executor, row: SecurityGroupRulesTable): Promise<void> {
  await ex.insertInto('security_group_rules').values(row).execute();
}

export async function getRule(ex: Executor, id: string): Promise<SecurityGroupRuleRow | undefined> {
  return ex.selectFrom('security_group_rules').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listRules(ex: Executor, f: RuleFilter = {}): Promise<SecurityGroupRuleRow[]> {
  let q = ex.selectFrom('security_group_rules').selectAll();
  if (f.projectIds !== undefined) q = q.where('project_id', 'in', f.projectIds.length ? f.projectIds : ['']);
  if (f.ids !== undefined) q = q.where('id', 'in', f.ids.length ? f.ids : ['']);
  if (f.groupIds !== undefined) q = q.where('security_group_id', 'in', f.groupIds.length ? f.groupIds : ['']);
  return q.orderBy('created_at').orderBy('id').execute();
}

export async function deleteRule(ex: Executor, id: string): Promise<boolean> {
  const r = await ex.deleteFrom('security_group_rules').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function countRules(ex: Executor, projectId: string): Promise<number> {
  const row = await ex
    .selectFrom('security_group_rules')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Replaces the groups applied to a port. */
export async function setPortGroups(ex: Executor, portId: string, groupIds: string[]): Promise<void> {
  await ex.deleteFrom('port_security_groups').where('port_id', '=', portId).execute();
  const unique = [...new Set(groupIds)];
  if (unique.length)
    await ex
      .insertInto('port_security_groups')
      .values(unique.map((g) => ({ port_id: portId, security_group_id: g })))
      .execute();
}

/** The group ids of each of `portIds` (ports without groups are absent). */
export async function groupsOfPorts(ex: Executor, portIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (!portIds.length) return out;
  const rows = await ex
    .selectFrom('port_security_groups')
    .selectAll()
    .where('port_id', 'in', portIds)
    .orderBy('port_id')
    .orderBy('security_group_id')
    .execute();
  for (const r of rows) out.set(r.port_id, [...(out.get(r.port_id) ?? []), r.security_group_id]);
  return out;
}

/** How many ports a group is applied to. */
export async function portsUsingGroup(ex: Executor, groupId: string): Promise<number> {
  const row = await ex
    .selectFrom('port_security_groups')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('security_group_id', '=', groupId)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
