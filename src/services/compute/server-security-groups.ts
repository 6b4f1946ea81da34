// Nova's security groups (nova/api/openstack/compute/security_groups.py and
// nova/network/security_group_api.py): the os-security-groups and os-security-group-rules proxies
// (to 2.35), GET /servers/{id}/os-security-groups and the addSecurityGroup / removeSecurityGroup
// actions. Compute answers them by calling the network service's use cases, as Nova calls Neutron
// with the caller's token; Neutron's refusals come back in Nova's words and codes.
import type { Caller, Deps } from '../context.js';
import { authorize, canonicalUuid } from '../access.js';
import { findServer } from './access.js';
import { listPorts, updatePort } from '../network/ports.js';
import * as sg from '../network/security-groups.js';
import {
  DomainError,
  invalid,
  securityGroupIdNotUuid,
  securityGroupNoUniqueMatch,
  securityGroupNotFoundForProject,
  serverHasNoPorts,
  securityGroupNotAssociated,
} from '../../domain/errors.js';

export interface NovaRule {
  id: string;
  parent_group_id: string;
  ip_protocol: string | null;
  from_port: number | null;
  to_port: number | null;
  group: { name?: string; tenant_id?: string };
  ip_range: { cidr?: string };
}

export interface NovaSecurityGroup {
  id: string;
  name: string;
  description: string;
  tenant_id: string;
  rules: NovaRule[];
}

/** security_group_api.parse_cidr of a stored prefix: none is every IPv4 address. */
const cidrOf = (prefix: string | null) => prefix || '0.0.0.0/0';

/** _convert_to_nova_security_group_rule_format, then the controller's _format_security_group_rule. */
function novaRule(r: sg.SecurityGroupRuleRow, groups: Map<string, sg.SecurityGroupRow>): NovaRule | undefined {
  let from = r.port_range_min;
  let to = r.port_range_max;
  if (r.protocol && from === null && to === null) {
    const tcpUdp = ['tcp', 'udp'].includes(r.protocol.toLowerCase());
    from = tcpUdp ? 1 : -1;
    to = tcpUdp ? 65535 : -1;
  }
  const out: NovaRule = {
    id: r.id,
    parent_group_id: r.security_group_id,
    ip_protocol: r.protocol,
    from_port: from,
    to_port: to,
    group: {},
    ip_range: {},
  };
  if (r.remote_group_id) {
    const g = groups.get(r.remote_group_id);
    // Nova drops a rule whose source group it cannot read.
    if (!g) return undefined;
    out.group = { name: g.name, tenant_id: g.project_id };
  } else out.ip_range = { cidr: cidrOf(r.remote_ip_prefix) };
  return out;
}

/** Nova shows a group's ingress rules only. */
async function novaGroups(deps: Deps, groups: sg.SecurityGroup[]): Promise<NovaSecurityGroup[]> {
  const remote = groups.flatMap((g) => g.rules.map((r) => r.remote_group_id).filter((x): x is string => !!x));
  const byId = new Map((await sg.groupsById(deps, remote)).map((g) => [g.group.id, g.group]));
  for (const g of groups) byId.set(g.group.id, g.group);
  return groups.map(({ group, rules }) => ({
    id: group.id,
    name: group.name,
    description: group.description,
    tenant_id: group.project_id,
    rules: rules
      .filter((r) => r.direction === 'ingress')
      .map((r) => novaRule(r, byId))
      .filter((r): r is NovaRule => !!r),
  }));
}

const byTenantAndName = (a: NovaSecurityGroup, b: NovaSecurityGroup) =>
  a.tenant_id < b.tenant_id ? -1 : a.tenant_id > b.tenant_id ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

/** Neutron's answers, as security_group_api maps them: 409 becomes `conflictAs`, the rest keep their kind. */
async function viaNeutron<T>(fn: () => Promise<T>, conflictAs: DomainError['kind']): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof DomainError && e.kind === 'conflict') throw new DomainError(conflictAs, e.code, e.message);
    throw e;
  }
}

/** validate_id, then Neutron's show (its 404 message passed on). */
async function groupById(deps: Deps, caller: Caller, id: unknown): Promise<sg.SecurityGroup> {
  const uuid = typeof id === 'string' ? canonicalUuid(id) : null;
  if (!uuid) throw securityGroupIdNotUuid();
  return sg.showSecurityGroup(deps, caller, uuid);
}

// --- os-security-groups --------------------------------------------------------------------------

export async function listSecurityGroups(
  deps: Deps,
  caller: Caller,
  opts: { allTenants: boolean; limit?: number; offset?: number },
): Promise<NovaSecurityGroup[]> {
  authorize(deps, caller, 'os_compute_api:os-security-groups:get', { project_id: caller.projectId });
  const all = caller.isAdmin && opts.allTenants;
  const groups = await sg.listSecurityGroups(deps, caller, all ? {} : { projectIds: [caller.projectId] });
  // common.limited: offset, then at most `limit` (Nova's max_limit, 1000, when none).
  const page = groups.slice(opts.offset ?? 0, (opts.offset ?? 0) + Math.min(opts.limit ?? 1000, 1000));
  return (await novaGroups(deps, page)).sort(byTenantAndName);
}

export async function showSecurityGroup(deps: Deps, caller: Caller, id: string): Promise<NovaSecurityGroup> {
  authorize(deps, caller, 'os_compute_api:os-security-groups:show', { project_id: caller.projectId });
  return (await novaGroups(deps, [await groupById(deps, caller, id)]))[0];
}

/** security_group_api.validate_property: oslo's check_string_length, 0 to 255 characters. */
function validateProperty(value: unknown, property: 'name' | 'description'): string {
  if (typeof value !== 'string') throw invalid(`${property} is not a string or unicode`);
  if (value.length > 255) throw invalid(`${property} has ${value.length} characters, more than 255.`);
  return value;
}

/** The controller's _from_body. */
export function fromBody(body: unknown, key: string): Record<string, unknown> {
  if (!body || (typeof body === 'object' && Object.keys(body).length === 0))
    throw invalid("The request body can't be empty");
  const value = typeof body === 'object' ? (body as Record<string, unknown>)[key] : undefined;
  if (value === undefined || value === null) throw invalid(`Missing parameter ${key}`);
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(`Missing parameter ${key}`);
  return value as Record<string, unknown>;
}

/** Create: Neutron's 409 (a second `default`, the quota) is Nova's SecurityGroupLimitExceeded, 403. */
export async function createSecurityGroup(deps: Deps, caller: Caller, body: unknown): Promise<NovaSecurityGroup> {
  authorize(deps, caller, 'os_compute_api:os-security-groups:create', { project_id: caller.projectId });
  const g = fromBody(body, 'security_group');
  const name = validateProperty(g.name, 'name');
  const description = validateProperty(g.description, 'description');
  const created = await viaNeutron(() => sg.createSecurityGroup(deps, caller, { name, description }), 'forbidden');
  return (await novaGroups(deps, [created]))[0];
}

export async function updateSecurityGroup(
  deps: Deps,
  caller: Caller,
  id: string,
  body: unknown,
): Promise<NovaSecurityGroup> {
  authorize(deps, caller, 'os_compute_api:os-security-groups:update', { project_id: caller.projectId });
  const group = await groupById(deps, caller, id);
  const g = fromBody(body, 'security_group');
  const name = validateProperty(g.name, 'name');
  const description = validateProperty(g.description, 'description');
  const updated = await viaNeutron(
    () => sg.updateSecurityGroup(deps, caller, group.group.id, { name, description }),
    'invalid',
  );
  return (await novaGroups(deps, [updated]))[0];
}

/** Delete: Neutron's 409 (the default group, a group in use) is Nova's Invalid, 400. */
export async function deleteSecurityGroup(deps: Deps, caller: Caller, id: string): Promise<void> {
  authorize(deps, caller, 'os_compute_api:os-security-groups:delete', { project_id: caller.projectId });
  const group = await groupById(deps, caller, id);
  await viaNeutron(() => sg.deleteSecurityGroup(deps, caller, group.group.id), 'invalid');
}

// --- os-security-group-rules ---------------------------------------------------------------------

/** Python's int() of a port as Nova applies it; undefined when it is not an integer. */
function toInt(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v)) return Number(v);
  return undefined;
}

interface NewRule {
  group_id?: string;
  cidr?: string;
  protocol?: string;
  from_port?: number;
  to_port?: number;
}

/** security_group_api._new_ingress_rule; null when a cidr rule lacks protocol and ports. */
function newIngressRule(
  protocolIn: unknown,
  fromIn: unknown,
  toIn: unknown,
  target: { group_id?: string; cidr?: string },
): NewRule | null {
  const values: NewRule = {};
  let from = fromIn;
  let to = toIn;
  const protocol =
    protocolIn === undefined || protocolIn === null || protocolIn === '' ? undefined : String(protocolIn);
  if (target.group_id) {
    values.group_id = target.group_id;
    const p = protocol?.toUpperCase() ?? '';
    if (p === 'ICMP' && from == null && to == null) [from, to] = [-1, -1];
    else if (['TCP', 'UDP'].includes(p) && from == null && to == null) [from, to] = [1, 65535];
  } else if (target.cidr) values.cidr = target.cidr;
  if (protocol && from != null && to != null) {
    const f = toInt(from);
    const t = toInt(to);
    const p = protocol.toUpperCase();
    if (f === undefined || t === undefined)
      throw invalid(
        p === 'ICMP'
          ? 'Invalid input received: Type and Code must be integers for ICMP protocol type'
          : 'Invalid input received: To and From ports must be integers',
      );
    if (!['TCP', 'UDP', 'ICMP'].includes(p)) throw invalid(`Invalid IP protocol ${protocol}.`);
    const range = (msg: string) => invalid(`Invalid port range ${f}:${t}. ${msg}`);
    if (p !== 'ICMP' && f > t) throw range('Former value cannot be greater than the later');
    if (p !== 'ICMP' && (f < 1 || t > 65535)) throw range(`Valid ${p} ports should be between 1-65535`);
    if (p === 'ICMP' && (f < -1 || f > 255 || t < -1 || t > 255)) throw range('For ICMP, the type:code must be valid');
    Object.assign(values, { protocol, from_port: f, to_port: t });
  } else if (target.cidr) return null;
  return values;
}

/** security_group_api.parse_cidr: none is 0.0.0.0/0; otherwise a valid network (InvalidCidr). */
function parseCidr(cidr: unknown): string {
  if (cidr === undefined || cidr === null || cidr === '') return '0.0.0.0/0';
  let s = String(cidr);
  try {
    s = decodeURIComponent(s);
  } catch {
    throw invalid(`${s} is not a valid IP network.`);
  }
  if (!sg.parsePrefix(s) || !s.includes('/')) throw invalid(`${s} is not a valid IP network.`);
  return s;
}

export async function createSecurityGroupRule(deps: Deps, caller: Caller, body: unknown): Promise<NovaRule> {
  authorize(deps, caller, 'os_compute_api:os-security-groups:rule:create', { project_id: caller.projectId });
  const r = fromBody(body, 'security_group_rule');
  const parent = await groupById(deps, caller, r.parent_group_id);
  let rule: NewRule | null;
  if (r.group_id !== undefined && r.group_id !== null) {
    const source = await groupById(deps, caller, r.group_id);
    rule = newIngressRule(r.ip_protocol, r.from_port, r.to_port, { group_id: source.group.id });
  } else rule = newIngressRule(r.ip_protocol, r.from_port, r.to_port, { cidr: parseCidr(r.cidr) });
  if (!rule) throw invalid('Not enough parameters to build a valid rule.');
  if (rule.cidr) {
    const [net, bits] = rule.cidr.split('/');
    if (!['0.0.0.0', '::'].includes(net) && bits === '0') throw invalid(`Bad prefix for network in cidr ${rule.cidr}`);
  }
  // _rule_exists: the same source, ports and protocol as one of the group's (Nova-format) rules.
  const mine = (await novaGroups(deps, [parent]))[0].rules;
  const existing = parent.rules.filter((x) => x.direction === 'ingress');
  for (const x of existing) {
    const n = mine.find((m) => m.id === x.id);
    if (!n) continue;
    const same =
      (x.remote_group_id ?? undefined) === rule.group_id &&
      (x.remote_group_id ? undefined : cidrOf(x.remote_ip_prefix)) === rule.cidr &&
      (n.from_port ?? undefined) === rule.from_port &&
      (n.to_port ?? undefined) === rule.to_port &&
      (x.protocol ?? undefined) === rule.protocol;
    if (same) throw invalid(`This rule already exists in group ${parent.group.id}`);
  }
  // _make_neutron_security_group_rules_list: always ingress; the ethertype follows the cidr.
  const ethertype = rule.cidr && sg.parsePrefix(rule.cidr)?.version === 6 ? 'IPv6' : 'IPv4';
  const created = await viaNeutron(
    () =>
      sg.createSecurityGroupRule(deps, caller, {
        security_group_id: parent.group.id,
        direction: 'ingress',
        ethertype,
        protocol: rule.protocol ?? null,
        remote_ip_prefix: rule.cidr ?? null,
        remote_group_id: rule.group_id ?? null,
        port_range_min: rule.from_port !== undefined && rule.from_port !== -1 ? rule.from_port : null,
        port_range_max: rule.to_port !== undefined && rule.to_port !== -1 ? rule.to_port : null,
      }),
    'forbidden',
  );
  const groups = new Map(
    (await sg.groupsById(deps, [created.remote_group_id ?? parent.group.id])).map((g) => [g.group.id, g.group]),
  );
  return novaRule(created, groups)!;
}

export async function deleteSecurityGroupRule(deps: Deps, caller: Caller, id: string): Promise<void> {
  authorize(deps, caller, 'os_compute_api:os-security-groups:rule:delete', { project_id: caller.projectId });
  const uuid = canonicalUuid(id);
  if (!uuid) throw securityGroupIdNotUuid();
  const { rule } = await sg.showSecurityGroupRule(deps, caller, uuid);
  await sg.showSecurityGroup(deps, caller, rule.security_group_id);
  await sg.deleteSecurityGroupRule(deps, caller, rule.id);
}

// --- the server's groups ------------------------------------------------------------------------

/** The server's ports (its project's, with this device id), as Nova lists them from Neutron. */
async function serverPorts(deps: Deps, caller: Caller, server: { id: string; project_id: string }) {
  return (await listPorts(deps, caller, { deviceId: [server.id] })).filter((p) => p.project_id === server.project_id);
}

/** GET /servers/{id}/os-security-groups: the groups on each of its ports, in full, sorted as Nova. */
export async function serverSecurityGroups(deps: Deps, caller: Caller, id: string): Promise<NovaSecurityGroup[]> {
  const row = await findServer(deps.db, caller, id);
  authorize(deps, caller, 'os_compute_api:os-security-groups:list', { project_id: row.project_id });
  const ports = await serverPorts(deps, caller, row);
  const byPort = await sg.groupsOfPorts(
    deps,
    ports.map((p) => p.id),
  );
  const ids = ports.flatMap((p) => byPort.get(p.id) ?? []);
  const groups = new Map((await sg.groupsById(deps, ids)).map((g) => [g.group.id, g]));
  const visible = ids.map((g) => groups.get(g)).filter((g): g is sg.SecurityGroup => !!g);
  return (await novaGroups(deps, visible)).sort(byTenantAndName);
}

/** SecurityGroupActionController._parse. */
function groupNameOf(body: unknown, action: string): string {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalid('Missing parameter dict');
  if (!('name' in body)) throw invalid('Security group not specified');
  const name = (body as { name: unknown }).name;
  if (typeof name !== 'string' || name.trim() === '') throw invalid('Security group name cannot be empty');
  void action;
  return name;
}

/** neutronclient's find_resourceid_by_name_or_id within the caller's project. */
async function groupIdByNameOrId(deps: Deps, caller: Caller, name: string): Promise<string> {
  const uuid = canonicalUuid(name);
  const mine = await sg.listSecurityGroups(deps, caller, { projectIds: [caller.projectId] });
  if (uuid) {
    const byId = mine.find((g) => g.group.id === uuid);
    if (byId) return byId.group.id;
  }
  const byName = mine.filter((g) => g.group.name === name);
  if (byName.length > 1) throw securityGroupNoUniqueMatch(name);
  if (!byName.length) throw securityGroupNotFoundForProject(name, caller.projectId);
  return byName[0].group.id;
}

/**
 * addSecurityGroup / removeSecurityGroup (security_group_api add_to_instance and
 * remove_from_instance): every port of the server gains, or loses, the group.
 */
export async function changeServerSecurityGroup(
  deps: Deps,
  caller: Caller,
  id: string,
  action: 'addSecurityGroup' | 'removeSecurityGroup',
  body: unknown,
): Promise<void> {
  const row = await findServer(deps.db, caller, id);
  const verb = action === 'addSecurityGroup' ? 'add' : 'remove';
  authorize(deps, caller, `os_compute_api:os-security-groups:${verb}`, { project_id: row.project_id });
  const name = groupNameOf(body, action);
  const groupId = await groupIdByNameOrId(deps, caller, name);
  const ports = await serverPorts(deps, caller, row);
  if (!ports.length) throw serverHasNoPorts(row.id);
  const byPort = await sg.groupsOfPorts(
    deps,
    ports.map((p) => p.id),
  );
  if (verb === 'add') {
    for (const p of ports) {
      // _has_security_group_requirements: a port without an address takes no group.
      if ((JSON.parse(p.fixed_ips) as unknown[]).length === 0)
        throw invalid(
          'Network requires port_security_enabled and subnet associated in order to apply security groups.',
        );
      await updatePort(deps, caller, p.id, { security_groups: [...(byPort.get(p.id) ?? []), groupId] });
    }
    return;
  }
  let found = false;
  for (const p of ports) {
    const groups = byPort.get(p.id) ?? [];
    if (!groups.includes(groupId)) continue;
    await updatePort(deps, caller, p.id, { security_groups: groups.filter((g) => g !== groupId) });
    found = true;
  }
  if (!found) throw securityGroupNotAssociated(name, row.id);
}
