import type { Caller, Deps } from '../context.js';
import * as net from '../../db/repositories/network.repository.js';
import { neutronNotFound } from '../../domain/errors.js';

export type NetworkRow = NonNullable<Awaited<ReturnType<typeof net.getNetwork>>>;
export type SubnetRow = NonNullable<Awaited<ReturnType<typeof net.getSubnet>>>;

/** The project whose resources a caller sees; admins see every project (undefined). */
export const visibleProject = (caller: Caller) => (caller.isAdmin ? undefined : caller.projectId);

/** Networks the caller sees (their project's, shared and external ones), each with its subnets' ids. */
/** Each filter accepts any of its values, as Neutron's do. */
const matches = (values: string[] | undefined, actual: string) => values === undefined || values.includes(actual);

export async function listNetworks(deps: Deps, caller: Caller, filter: { name?: string[]; id?: string[] }) {
  const nets = await net.listNetworks(deps.db, visibleProject(caller));
  const subnets = await net.listSubnets(
    deps.db,
    nets.map((n) => n.id),
  );
  return nets
    .filter((n) => matches(filter.name, n.name) && matches(filter.id, n.id))
    .map((n) => ({ network: n, subnetIds: subnets.filter((s) => s.network_id === n.id).map((s) => s.id) }));
}

export async function showNetwork(deps: Deps, caller: Caller, id: string) {
  const p = visibleProject(caller);
  const n = await net.getNetwork(deps.db, id);
  if (!n || (p !== undefined && n.project_id !== p && !n.shared && !n.external)) throw neutronNotFound('Network', id);
  const subnets = await net.listSubnets(deps.db, [n.id]);
  return { network: n, subnetIds: subnets.map((s) => s.id) };
}

/** Subnets of the networks the caller sees. */
export async function listSubnets(
  deps: Deps,
  caller: Caller,
  filter: { name?: string[]; networkId?: string[] },
): Promise<SubnetRow[]> {
  const nets = await net.listNetworks(deps.db, visibleProject(caller));
  const subnets = await net.listSubnets(
    deps.db,
    nets.map((n) => n.id),
  );
  return subnets.filter((s) => matches(filter.name, s.name) && matches(filter.networkId, s.network_id));
}

export async function showSubnet(deps: Deps, caller: Caller, id: string): Promise<SubnetRow> {
  const s = await net.getSubnet(deps.db, id);
  const nets = await net.listNetworks(deps.db, visibleProject(caller));
  if (!s || !nets.some((n) => n.id === s.network_id)) throw neutronNotFound('Subnet', id);
  return s;
}
