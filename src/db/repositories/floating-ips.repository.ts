import type { Selectable } from 'kysely';
import type { Executor } from '../executor.js';
import { isUniqueViolation } from '../dialects/index.js';
import type { FloatingIpsTable } from '../schema.js';

export type FloatingIpRow = Selectable<FloatingIpsTable>;

export async function insertFloatingIp(ex: Executor, row: FloatingIpsTable): Promise<void> {
  await ex.insertInto('floating_ips').values(row).execute();
}

export async function getFloatingIp(ex: Executor, id: string): Promise<FloatingIpRow | undefined> {
  return ex.selectFrom('floating_ips').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Each filter (a list of accepted values, as Neutron's) narrows the list; projectId is the caller's scope. */
export interface FloatingIpFilter {
  projectId?: string;
  ids?: string[];
  projectIds?: string[];
  addresses?: string[];
  networkIds?: string[];
  portIds?: string[];
  fixedIps?: string[];
  routerIds?: string[];
  statuses?: string[];
}

export async function listFloatingIps(ex: Executor, f: FloatingIpFilter = {}): Promise<FloatingIpRow[]> {
  let q = ex.selectFrom('floating_ips').selectAll();
  if (f.projectId !== undefined) q = q.where('project_id', '=', f.projectId);
  const cols = [
    ['id', f.ids],
    ['project_id', f.projectIds],
    ['floating_ip_address', f.addresses],
    ['floating_network_id', f.networkIds],
    ['port_id', f.portIds],
    ['fixed_ip_address', f.fixedIps],
    ['router_id', f.routerIds],
    ['status', f.statuses],
  ] as const;
  for (const [col, values] of cols) if (values !== undefined) q = q.where(col, 'in', values.length ? values : ['']);
  return q.orderBy('created_at').orderBy('id').execute();
}

export interface Association {
  port_id: string | null;
  fixed_ip_address: string | null;
  router_id: string | null;
  status: string;
  updated_at: string;
}

/**
 * Sets the association, compare-and-set on the one read (`expectedPortId`): 'stale' when another
 * request changed it meanwhile, 'taken' when the fixed IP already has a floating IP on that
 * network (the unique index decides, across processes). One statement: on PostgreSQL it must not
 * run inside a transaction the violation would abort.
 */
export async function setAssociation(
  ex: Executor,
  id: string,
  expectedPortId: string | null,
  a: Association & { description?: string },
): Promise<'ok' | 'stale' | 'taken'> {
  try {
    const r = await ex
      .updateTable('floating_ips')
      .set((eb) => ({ ...a, revision_number: eb('revision_number', '+', 1) }))
      .where('id', '=', id)
      .where((eb) => (expectedPortId === null ? eb('port_id', 'is', null) : eb('port_id', '=', expectedPortId)))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0 ? 'ok' : 'stale';
  } catch (e) {
    if (isUniqueViolation(e)) return 'taken';
    throw e;
  }
}

export async function setDescription(ex: Executor, id: string, description: string, nowIso: string): Promise<void> {
  await ex
    .updateTable('floating_ips')
    .set((eb) => ({ description, updated_at: nowIso, revision_number: eb('revision_number', '+', 1) }))
    .where('id', '=', id)
    .execute();
}

export async function deleteFloatingIp(ex: Executor, id: string): Promise<void> {
  await ex.deleteFrom('floating_ips').where('id', '=', id).execute();
}

/** Neutron's disassociate_floatingips: the floating IPs on these ports lose their association (kept, DOWN). */
export async function disassociatePorts(ex: Executor, portIds: string[], nowIso: string): Promise<number> {
  if (portIds.length === 0) return 0;
  const r = await ex
    .updateTable('floating_ips')
    .set((eb) => ({
      port_id: null,
      fixed_ip_address: null,
      router_id: null,
      status: 'DOWN',
      updated_at: nowIso,
      revision_number: eb('revision_number', '+', 1),
    }))
    .where('port_id', 'in', portIds)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** The same for the ports created for a server (those a server delete removes), in one statement. */
export async function disassociateCreatedPortsOfServer(ex: Executor, serverId: string, nowIso: string) {
  const r = await ex
    .updateTable('floating_ips')
    .set((eb) => ({
      port_id: null,
      fixed_ip_address: null,
      router_id: null,
      status: 'DOWN',
      updated_at: nowIso,
      revision_number: eb('revision_number', '+', 1),
    }))
    .where(
      'port_id',
      'in',
      ex.selectFrom('ports').select('id').where('device_id', '=', serverId).where('created_for_server', '=', 1),
    )
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** The floating IPs of a project (the floatingip quota's usage). */
export async function countFloatingIps(ex: Executor, projectId: string): Promise<number> {
  const r = await ex
    .selectFrom('floating_ips')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('project_id', '=', projectId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
