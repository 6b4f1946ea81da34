import type { Selectable, Updateable } from 'kysely';
import type { Executor } from '../executor.js';
import type { RoutersTable } from '../schema.js';
import type { PortRow } from './network.repository.js';

export type RouterRow = Selectable<RoutersTable>;

export async function insertRouter(ex: Executor, row: RoutersTable): Promise<void> {
  await ex.insertInto('routers').values(row).execute();
}

export async function getRouter(ex: Executor, id: string): Promise<RouterRow | undefined> {
  return ex.selectFrom('routers').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A project's routers (every project's: projectId undefined), by name then id. */
export async function listRouters(ex: Executor, projectId?: string): Promise<RouterRow[]> {
  let q = ex.selectFrom('routers').selectAll();
  if (projectId !== undefined) q = q.where('project_id', '=', projectId);
  return q.orderBy('name').orderBy('id').execute();
}

export async function updateRouter(ex: Executor, id: string, changes: Updateable<RoutersTable>): Promise<void> {
  await ex.updateTable('routers').set(changes).where('id', '=', id).execute();
}

export async function deleteRouter(ex: Executor, id: string): Promise<void> {
  await ex.deleteFrom('routers').where('id', '=', id).execute();
}

/** The ports of routers (interfaces and gateways), by device owner when given. */
export async function routerPorts(ex: Executor, routerIds: string[], deviceOwner?: string): Promise<PortRow[]> {
  if (routerIds.length === 0) return [];
  let q = ex.selectFrom('ports').selectAll().where('device_id', 'in', routerIds);
  q = deviceOwner
    ? q.where('device_owner', '=', deviceOwner)
    : q.where('device_owner', 'in', ['network:router_interface', 'network:router_gateway']);
  return q.orderBy('created_at').orderBy('id').execute();
}

/** Routers whose gateway is on a network. */
export async function routersWithGateway(ex: Executor, networkId: string): Promise<RouterRow[]> {
  return ex.selectFrom('routers').selectAll().where('gw_network_id', '=', networkId).orderBy('id').execute();
}
