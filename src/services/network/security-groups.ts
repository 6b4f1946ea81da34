// Neutron's security groups and rules (neutron/db/securitygroups_db.py and neutron-lib's
// security-group API definition): each project's `default` group, made on first use with
// Neutron's default rules; groups and rules CRUD with Neutron's validation and conflicts; the
// groups a port carries. Nova reaches all of it through these use cases, as it calls Neutron.
import { isIPv6 } from 'node:net';
import type { Caller, Deps } from '../context.js';
import { allowed, canonicalUuid } from '../access.js';
import type { Executor } from '../../db/executor.js';
import * as repo from '../../db/repositories/security-groups.repository.js';
import { iso } from '../../domain/clock.js';
import { invalid, requestedSecurityGroupNoUniqueMatch } from '../../domain/errors.js';
import {
  neutronInvalidAttr,
  neutronInvalidInput,
  neutronPolicyRefused,
  sgCannotRemoveDefault,
  sgCannotUpdateDefault,
  sgDefaultAlreadyExists,
  sgInUse,
  sgInvalid,
  sgNotFound,
  sgRuleExists,
  sgRuleNotFound,
} from '../../domain/security-group-errors.js';
import { visibleProject } from './networks.js';
import { checkNetworkQuota } from './quotas.js';

export type SecurityGroupRow = repo.SecurityGroupRow;
export type SecurityGroupRuleRow = repo.SecurityGroupRuleRow;

/** The group every project has (Neutron creates it with the project's first port or group list). */
export const DEFAULT_SECURITY_GROUP = 'default';

/** A group with its rules and whether it is its project's default group. */
export interface SecurityGroup {
  group: SecurityGroupRow;
  rules: SecurityGroupRuleRow[];
  isDefault: boolean;
}

/** Neutron's policy (neutron/conf/policies/security_group.py): rule names as Neutron's. */
function authorizeNeutron(deps: Deps, caller: Caller, rule: string, projectId: string): void {
  if (!allowed(deps, caller, rule, { project_id: projectId })) throw neutronPolicyRefused(rule);
}

// --- the default group -----------------------------------------------------------------------

function ruleRow(
  deps: Deps,
  groupId: string,
  projectId: string,
  r: Partial<SecurityGroupRuleRow> & { direction: string; ethertype: string },
): SecurityGroupRuleRow {
  const now = iso(deps.clock.now());
  return {
    id: deps.ids.uuid(),
    security_group_id: groupId,
    project_id: projectId,
    protocol: null,
    port_range_min: null,
    port_range_max: null,
    remote_ip_prefix: null,
    remote_group_id: null,
    description: '',
    created_at: now,
    updated_at: now,
    ...r,
  };
}

/** Neutron's rules of a new group: all egress, both ethertypes (and, for `default`, ingress from itself). */
async function insertGroupWithRules(
  deps: Deps,
  ex: Executor,
  g: { id: string; projectId: string; name: string; description: string; stateful: boolean },
  isDefault: boolean,
): Promise<void> {
  const now = iso(deps.clock.now());
  await repo.insertGroup(ex, {
    id: g.id,
    project_id: g.projectId,
    name: g.name,
    description: g.description,
    stateful: g.stateful ? 1 : 0,
    tags: '[]',
    revision_number: 1,
    created_at: now,
    updated_at: now,
  });
  for (const ethertype of ['IPv4', 'IPv6']) {
    if (isDefault)
      await repo.insertRule(
        ex,
        ruleRow(deps, g.id, g.projectId, { direction: 'ingress', ethertype, remote_group_id: g.id }),
      );
    await repo.insertRule(ex, ruleRow(deps, g.id, g.projectId, { direction: 'egress', ethertype }));
  }
}

/**
 * The id of the project's default group, made now if the project has none yet (Neutron's
 * _ensure_default_security_group). The default_security_groups key decides a race: the loser
 * drops the group it made and takes the winner's.
 */
export async function ensureDefaultGroup(deps: Deps, ex: Executor, projectId: string): Promise<string> {
  const existing = await repo.defaultGroupOf(ex, projectId);
  if (existing) return existing;
  const id = deps.ids.uuid();
  const make = async (tx: Executor) => {
    await insertGroupWithRules(
      deps,
      tx,
      { id, projectId, name: DEFAULT_SECURITY_GROUP, description: 'Default security group', stateful: true },
      true,
    );
    if (await repo.claimDefault(tx, projectId, id)) return id;
    await repo.deleteGroup(tx, id);
    return (await repo.defaultGroupOf(tx, projectId))!;
  };
  // Inside a caller's transaction (a server create, a port create) it is part of it.
  return ex === deps.db ? deps.transact(make) : make(ex);
}

async function withRules(deps: Deps, groups: SecurityGroupRow[]): Promise<SecurityGroup[]> {
  const ids = groups.map((g) => g.id);
  const rules = ids.length ? await repo.listRules(deps.db, { groupIds: ids }) : [];
  const defaults = await repo.defaultGroupIds(deps.db, ids);
  return groups.map((g) => ({
    group: g,
    rules: rules.filter((r) => r.security_group_id === g.id),
    isDefault: defaults.has(g.id),
  }));
}

/** A group the caller sees (its project's; any for an admin), else Neutron's 404. */
async function findGroup(deps: Deps, caller: Caller, id: string): Promise<SecurityGroupRow> {
  const g = await repo.getGroup(deps.db, id);
  const scope = visibleProject(caller);
  if (!g || (scope !== undefined && g.project_id !== scope)) throw sgNotFound(id);
  return g;
}

// --- groups ----------------------------------------------------------------------------------

export interface GroupFilter {
  ids?: string[];
  names?: string[];
  projectIds?: string[];
}

/** GET /security-groups: the caller's project's (its default group made first), every project's for an admin. */
export async function listSecurityGroups(deps: Deps, caller: Caller, f: GroupFilter = {}): Promise<SecurityGroup[]> {
  authorizeNeutron(deps, caller, 'get_security_group', caller.projectId);
  await ensureDefaultGroup(deps, deps.db, caller.projectId);
  const scope = visibleProject(caller);
  const projectIds =
    scope === undefined ? f.projectIds : f.projectIds ? f.projectIds.filter((p) => p === scope) : [scope];
  return withRules(deps, await repo.listGroups(deps.db, { ids: f.ids, names: f.names, projectIds }));
}

export async function showSecurityGroup(deps: Deps, caller: Caller, id: string): Promise<SecurityGroup> {
  const g = await findGroup(deps, caller, id);
  authorizeNeutron(deps, caller, 'get_security_group', g.project_id);
  return (await withRules(deps, [g]))[0];
}

export interface GroupInput {
  name?: unknown;
  description?: unknown;
  stateful?: unknown;
  project_id?: unknown;
  tenant_id?: unknown;
}

/** Neutron's validate_string (name and description: at most 255 characters). */
function stringAttr(attr: string, v: unknown, max = 255): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw neutronInvalidAttr(attr, `'${pyish(v)}' is not a valid string`);
  if (v.length > max) throw neutronInvalidAttr(attr, `'${v}' exceeds maximum length of ${max}`);
  return v;
}

/** Neutron's convert_to_boolean. */
function booleanAttr(attr: string, v: unknown): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && ['true', 'false', '1', '0'].includes(v.toLowerCase()))
    return v.toLowerCase() === 'true' || v === '1';
  if (v === 0 || v === 1) return v === 1;
  throw neutronInvalidAttr(attr, `'${pyish(v)}' cannot be converted to boolean`);
}

const pyish = (v: unknown) =>
  v === null
    ? 'None'
    : v === true
      ? 'True'
      : v === false
        ? 'False'
        : typeof v === 'object'
          ? JSON.stringify(v)
          : String(v);

/** The project a create is for: another project's only for an admin (Neutron's words otherwise). */
function projectOf(caller: Caller, body: { project_id?: unknown; tenant_id?: unknown }): string {
  const p = body.project_id ?? body.tenant_id;
  if (p === undefined || p === caller.projectId) return caller.projectId;
  if (typeof p !== 'string') throw neutronInvalidAttr('project_id', `'${pyish(p)}' is not a valid string`);
  if (!caller.isAdmin)
    throw sgInvalid(
      'HTTPBadRequest',
      "Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin privileges",
    );
  return p;
}

export async function createSecurityGroup(deps: Deps, caller: Caller, body: GroupInput): Promise<SecurityGroup> {
  const projectId = projectOf(caller, body);
  authorizeNeutron(deps, caller, 'create_security_group', projectId);
  const name = stringAttr('name', body.name) ?? '';
  const description = stringAttr('description', body.description) ?? '';
  const stateful = booleanAttr('stateful', body.stateful) ?? true;
  // neutron-lib's name_not_default validator.
  if (name.toLowerCase() === DEFAULT_SECURITY_GROUP) throw sgDefaultAlreadyExists();
  await ensureDefaultGroup(deps, deps.db, projectId);
  const id = deps.ids.uuid();
  await deps.transact(async (tx) => {
    await checkNetworkQuota(deps, tx, projectId, 'security_group');
    await insertGroupWithRules(deps, tx, { id, projectId, name, description, stateful }, false);
  });
  return (await withRules(deps, [(await repo.getGroup(deps.db, id))!]))[0];
}

export async function updateSecurityGroup(
  deps: Deps,
  caller: Caller,
  id: string,
  body: GroupInput,
): Promise<SecurityGroup> {
  const g = await findGroup(deps, caller, id);
  authorizeNeutron(deps, caller, 'update_security_group', g.project_id);
  const name = stringAttr('name', body.name);
  const description = stringAttr('description', body.description);
  const stateful = booleanAttr('stateful', body.stateful);
  const isDefault = (await repo.defaultGroupIds(deps.db, [g.id])).has(g.id);
  if (name !== undefined && name !== g.name) {
    if (isDefault) throw sgCannotUpdateDefault();
    if (name.toLowerCase() === DEFAULT_SECURITY_GROUP) throw sgDefaultAlreadyExists();
  }
  await repo.updateGroup(deps.db, g.id, {
    ...(name !== undefined ? { name } : {}),
    ...(description !== undefined ? { description } : {}),
    ...(stateful !== undefined ? { stateful: stateful ? 1 : 0 } : {}),
    revision_number: g.revision_number + 1,
    updated_at: iso(deps.clock.now()),
  });
  return showSecurityGroup(deps, caller, g.id);
}

/** Neutron: a port's group cannot go (409 in use); a default group only by an admin. */
export async function deleteSecurityGroup(deps: Deps, caller: Caller, id: string): Promise<void> {
  const g = await findGroup(deps, caller, id);
  authorizeNeutron(deps, caller, 'delete_security_group', g.project_id);
  const isDefault = (await repo.defaultGroupIds(deps.db, [g.id])).has(g.id);
  if (isDefault && !caller.isAdmin) throw sgCannotRemoveDefault();
  await deps.transact(async (tx) => {
    if ((await repo.portsUsingGroup(tx, g.id)) > 0) throw sgInUse(g.id);
    await repo.deleteGroup(tx, g.id);
  });
}

// --- rules -----------------------------------------------------------------------------------

/** neutron-lib's IP_PROTOCOL_MAP, in its order (the order Neutron's message lists them in). */
const IP_PROTOCOLS: Array<[string, number]> = [
  ['ah', 51],
  ['dccp', 33],
  ['egp', 8],
  ['esp', 50],
  ['gre', 47],
  ['hopopt', 0],
  ['icmp', 1],
  ['igmp', 2],
  ['ipip', 4],
  ['ipv6-encap', 41],
  ['ipv6-frag', 44],
  ['ipv6-icmp', 58],
  ['icmpv6', 58],
  ['ipv6-nonxt', 59],
  ['ipv6-opts', 60],
  ['ipv6-route', 43],
  ['ospf', 89],
  ['pgm', 113],
  ['rsvp', 46],
  ['sctp', 132],
  ['tcp', 6],
  ['udp', 17],
  ['udplite', 136],
  ['vrrp', 112],
];
const PROTOCOL_NUMBER = new Map(IP_PROTOCOLS);
/** Protocols whose rules take a port range (neutron-lib SG_PORT_PROTO_NUMS). */
const PORT_PROTOCOLS = new Set([6, 17, 33, 132, 136]);
const ICMP_PROTOCOLS = new Set([1, 58]);

/** The protocol's number, for comparing `tcp` with `6`; null for any. */
export const protocolNumber = (p: string | null): number | null =>
  p === null ? null : (PROTOCOL_NUMBER.get(p) ?? Number(p));

/** neutron-lib convert_protocol: a known name (lower-cased) or a number 0-255 (kept as a string). */
function convertProtocol(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  const bad = () =>
    sgInvalid(
      'SecurityGroupRuleInvalidProtocol',
      `Security group rule protocol ${pyish(v)} not supported. Only protocol values [None, ${IP_PROTOCOLS.map(([n]) => `'${n}'`).join(', ')}] and integer representations [0 to 255] are supported.`,
    );
  if (typeof v === 'number' || (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v))) {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 255) throw bad();
    return String(n);
  }
  if (typeof v !== 'string') throw bad();
  const name = v.toLowerCase();
  // `any` is what the clients send for every protocol; Neutron stores it as none.
  if (name === 'any') return null;
  if (!PROTOCOL_NUMBER.has(name)) throw bad();
  return name;
}

/** neutron-lib convert_validate_port_value: an integer 0-65535 or none. */
function convertPort(v: unknown): number | null {
  if (v === undefined || v === null) return null;
  const n = typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535)
    throw sgInvalid('SecurityGroupInvalidPortValue', `Invalid value for port ${pyish(v)}.`);
  return n;
}

function expand6(addr: string): bigint {
  let a = addr;
  if (a.includes('.')) {
    const i = a.lastIndexOf(':');
    const o = a
      .slice(i + 1)
      .split('.')
      .map(Number);
    a = `${a.slice(0, i)}:${((o[0] << 8) | o[1]).toString(16)}:${((o[2] << 8) | o[3]).toString(16)}`;
  }
  const [head, tail] = a.includes('::') ? a.split('::') : [a, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g || '0', 16)), 0n);
}

function format6(v: bigint): string {
  const g = Array.from({ length: 8 }, (_, i) => Number((v >> BigInt((7 - i) * 16)) & 0xffffn));
  let best = [-1, 0];
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > best[1] && j - i > 1) best = [i, j - i];
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best[0] < 0) return hex.join(':');
  return `${hex.slice(0, best[0]).join(':')}::${hex.slice(best[0] + best[1]).join(':')}`;
}

/** A prefix as Neutron keeps it (`10.0.0.5/24`), its network (`10.0.0.0/24`) and version; null if not one. */
export function parsePrefix(s: string): { version: 4 | 6; cidr: string; network: string } | null {
  const [addr, bits, ...rest] = s.trim().split('/');
  if (rest.length) return null;
  if (bits !== undefined && !/^\d{1,3}$/.test(bits)) return null;
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(addr);
  if (m) {
    const o = m.slice(1).map(Number);
    const len = bits === undefined ? 32 : Number(bits);
    if (o.some((x) => x > 255) || len > 32) return null;
    const n = o.reduce((a, x) => a * 256 + x, 0);
    const net = len === 0 ? 0 : n - (n % 2 ** (32 - len));
    const ip = [24, 16, 8, 0].map((sh) => Math.floor(net / 2 ** sh) % 256).join('.');
    return { version: 4, cidr: `${o.join('.')}/${len}`, network: `${ip}/${len}` };
  }
  if (!isIPv6(addr)) return null;
  const len = bits === undefined ? 128 : Number(bits);
  if (len > 128) return null;
  const v = expand6(addr);
  const mask = len === 0 ? 0n : ((1n << BigInt(len)) - 1n) << BigInt(128 - len);
  return { version: 6, cidr: `${format6(v)}/${len}`, network: `${format6(v & mask)}/${len}` };
}

export interface RuleInput {
  security_group_id?: unknown;
  direction?: unknown;
  ethertype?: unknown;
  protocol?: unknown;
  port_range_min?: unknown;
  port_range_max?: unknown;
  remote_ip_prefix?: unknown;
  remote_group_id?: unknown;
  description?: unknown;
  project_id?: unknown;
  tenant_id?: unknown;
}

/** Neutron's _validate_port_range. */
function validatePortRange(protocol: string | null, min: number | null, max: number | null): void {
  if (min === null && max === null) return;
  if (protocol === null)
    throw sgInvalid('SecurityGroupProtocolRequiredWithPorts', 'Must also specify protocol if port range is given.');
  const n = protocolNumber(protocol)!;
  if (PORT_PROTOCOLS.has(n)) {
    if (min === 0 || max === 0) throw sgInvalid('SecurityGroupInvalidPortValue', 'Invalid value for port 0.');
    if (min !== null && max !== null && min <= max) return;
    throw sgInvalid('SecurityGroupInvalidPortRange', 'For TCP/UDP protocols, port_range_min must be <= port_range_max');
  }
  if (ICMP_PROTOCOLS.has(n)) {
    for (const [attr, field, v] of [
      ['port_range_min', 'type', min],
      ['port_range_max', 'code', max],
    ] as const)
      if (v !== null && v > 255)
        throw sgInvalid(
          'SecurityGroupInvalidIcmpValue',
          `Invalid value for ICMP ${field} (${attr}) ${v}. It must be 0 to 255.`,
        );
    if (min === null && max !== null)
      throw sgInvalid(
        'SecurityGroupMissingIcmpType',
        `ICMP code (port-range-max) ${max} is provided but ICMP type (port-range-min) is missing.`,
      );
    return;
  }
  if (min !== null && max !== null && min !== max)
    throw sgInvalid(
      'SecurityGroupInvalidProtocolForPortRange',
      `Invalid protocol ${protocol} for port range, only supported for TCP, UDP, UDPLITE, SCTP and DCCP.`,
    );
}

/** What two rules must share to be one (Neutron's _check_for_duplicate_rules): any prefix is none. */
function ruleKey(r: Omit<SecurityGroupRuleRow, 'id' | 'created_at' | 'updated_at' | 'description' | 'project_id'>) {
  const prefix = r.remote_ip_prefix ? parsePrefix(r.remote_ip_prefix)?.network : null;
  return JSON.stringify([
    r.security_group_id,
    r.direction,
    r.ethertype,
    protocolNumber(r.protocol),
    r.port_range_min,
    r.port_range_max,
    prefix === '0.0.0.0/0' || prefix === '::/0' ? null : prefix,
    r.remote_group_id,
  ]);
}

export async function createSecurityGroupRule(
  deps: Deps,
  caller: Caller,
  body: RuleInput,
): Promise<SecurityGroupRuleRow> {
  for (const attr of ['security_group_id', 'direction'] as const)
    if (body[attr] === undefined)
      throw sgInvalid('HTTPBadRequest', `Failed to parse request. Required attribute '${attr}' not specified`);
  const gid = typeof body.security_group_id === 'string' ? canonicalUuid(body.security_group_id) : null;
  if (!gid) throw sgNotFound(pyish(body.security_group_id));
  const group = await findGroup(deps, caller, gid);
  const projectId =
    body.project_id !== undefined || body.tenant_id !== undefined ? projectOf(caller, body) : group.project_id;
  authorizeNeutron(deps, caller, 'create_security_group_rule', projectId);
  if (body.direction !== 'ingress' && body.direction !== 'egress')
    throw neutronInvalidAttr('direction', `'${pyish(body.direction)}' is not in ['ingress', 'egress']`);
  let ethertype = 'IPv4';
  if (body.ethertype !== undefined && body.ethertype !== null) {
    const e =
      typeof body.ethertype === 'string'
        ? ['IPv4', 'IPv6'].find((x) => x.toLowerCase() === (body.ethertype as string).toLowerCase())
        : undefined;
    if (!e)
      throw sgInvalid(
        'SecurityGroupRuleInvalidEtherType',
        `Security group rule for ethertype '${pyish(body.ethertype)}' not supported. Allowed values are ['IPv4', 'IPv6'].`,
      );
    ethertype = e;
  }
  const protocol = convertProtocol(body.protocol);
  const min = convertPort(body.port_range_min);
  const max = convertPort(body.port_range_max);
  const description = stringAttr('description', body.description) ?? '';
  let prefix: string | null = null;
  if (body.remote_ip_prefix !== undefined && body.remote_ip_prefix !== null && body.remote_ip_prefix !== '') {
    const p = typeof body.remote_ip_prefix === 'string' ? parsePrefix(body.remote_ip_prefix) : null;
    if (!p) throw sgInvalid('InvalidCIDR', `Invalid CIDR ${pyish(body.remote_ip_prefix)} given as IP prefix.`);
    if (p.version !== (ethertype === 'IPv6' ? 6 : 4))
      throw sgInvalid(
        'SecurityGroupRuleParameterConflict',
        `Conflicting value ethertype ${ethertype} for CIDR ${body.remote_ip_prefix}`,
      );
    prefix = p.cidr;
  }
  let remoteGroup: string | null = null;
  if (body.remote_group_id !== undefined && body.remote_group_id !== null) {
    if (prefix !== null)
      throw sgInvalid(
        'SecurityGroupRemoteGroupAndRemoteIpPrefix',
        'Only remote_ip_prefix or remote_group_id may be provided.',
      );
    const rid = typeof body.remote_group_id === 'string' ? canonicalUuid(body.remote_group_id) : null;
    if (!rid) throw sgNotFound(pyish(body.remote_group_id));
    remoteGroup = (await findGroup(deps, caller, rid)).id;
  }
  validatePortRange(protocol, min, max);
  // ICMPv6 is an IPv6 protocol.
  if (protocol !== null && protocolNumber(protocol) === 58 && ethertype === 'IPv4')
    throw sgInvalid(
      'SecurityGroupEthertypeConflictWithProtocol',
      `Invalid ethertype ${ethertype} for protocol ${protocol}.`,
    );
  const row = ruleRow(deps, group.id, projectId, {
    direction: body.direction,
    ethertype,
    protocol,
    port_range_min: min,
    port_range_max: max,
    remote_ip_prefix: prefix,
    remote_group_id: remoteGroup,
    description,
  });
  await deps.transact(async (tx) => {
    const key = ruleKey(row);
    const dup = (await repo.listRules(tx, { groupIds: [group.id] })).find((r) => ruleKey(r) === key);
    if (dup) throw sgRuleExists(dup.id);
    await checkNetworkQuota(deps, tx, projectId, 'security_group_rule');
    await repo.insertRule(tx, row);
    await repo.updateGroup(tx, group.id, { revision_number: group.revision_number + 1 });
  });
  return row;
}

export interface RuleFilter {
  ids?: string[];
  groupIds?: string[];
  projectIds?: string[];
}

export async function listSecurityGroupRules(deps: Deps, caller: Caller, f: RuleFilter = {}) {
  authorizeNeutron(deps, caller, 'get_security_group_rule', caller.projectId);
  const scope = visibleProject(caller);
  let rules = await repo.listRules(deps.db, { ids: f.ids, groupIds: f.groupIds, projectIds: f.projectIds });
  if (scope !== undefined) {
    // A project sees the rules of its own groups (Neutron: the group's owner sees every rule in it).
    const own = new Set((await repo.listGroups(deps.db, { projectIds: [scope] })).map((g) => g.id));
    rules = rules.filter((r) => r.project_id === scope || own.has(r.security_group_id));
  }
  return withDefaultFlag(deps, rules);
}

async function withDefaultFlag(deps: Deps, rules: SecurityGroupRuleRow[]) {
  const defaults = await repo.defaultGroupIds(deps.db, [...new Set(rules.map((r) => r.security_group_id))]);
  return rules.map((rule) => ({ rule, inDefaultGroup: defaults.has(rule.security_group_id) }));
}

async function findRule(deps: Deps, caller: Caller, id: string): Promise<SecurityGroupRuleRow> {
  const r = await repo.getRule(deps.db, id);
  const scope = visibleProject(caller);
  if (!r) throw sgRuleNotFound(id);
  if (scope !== undefined && r.project_id !== scope) {
    const g = await repo.getGroup(deps.db, r.security_group_id);
    if (g?.project_id !== scope) throw sgRuleNotFound(id);
  }
  return r;
}

export async function showSecurityGroupRule(deps: Deps, caller: Caller, id: string) {
  const r = await findRule(deps, caller, id);
  authorizeNeutron(deps, caller, 'get_security_group_rule', r.project_id);
  return (await withDefaultFlag(deps, [r]))[0];
}

export async function deleteSecurityGroupRule(deps: Deps, caller: Caller, id: string): Promise<void> {
  const r = await findRule(deps, caller, id);
  authorizeNeutron(deps, caller, 'delete_security_group_rule', r.project_id);
  await repo.deleteRule(deps.db, r.id);
}

// --- ports -----------------------------------------------------------------------------------

/**
 * The groups a port is to carry (Neutron's security_groups attribute: uuids, each a group of the
 * port's project; an admin may name any); none given: the project's default group.
 */
export async function portGroupIds(
  deps: Deps,
  ex: Executor,
  caller: Caller | undefined,
  projectId: string,
  requested: unknown,
): Promise<string[]> {
  if (requested === undefined) return [await ensureDefaultGroup(deps, ex, projectId)];
  if (requested === null) return [];
  if (!Array.isArray(requested)) throw neutronInvalidInput(`'${pyish(requested)}' is not a list`);
  const ids: string[] = [];
  for (const r of requested) {
    const id = typeof r === 'string' ? canonicalUuid(r) : null;
    if (!id) throw neutronInvalidInput(`'${pyish(r)}' is not an integer or uuid`);
    ids.push(id);
  }
  const found = await repo.listGroups(ex, { ids });
  for (const id of ids) {
    const g = found.find((x) => x.id === id);
    if (!g || (g.project_id !== projectId && !caller?.isAdmin)) throw sgNotFound(id);
  }
  return [...new Set(ids)];
}

export async function setPortGroups(ex: Executor, portId: string, groupIds: string[]): Promise<void> {
  await repo.setPortGroups(ex, portId, groupIds);
}

/** The group ids of each port. */
export async function groupsOfPorts(deps: Deps, portIds: string[]): Promise<Map<string, string[]>> {
  return repo.groupsOfPorts(deps.db, portIds);
}

/** Names (or ids, for a group without a name) of groups, by id, for Nova's views. */
export async function groupNames(deps: Deps, ids: string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  const groups = await repo.listGroups(deps.db, { ids: [...new Set(ids)] });
  return new Map(groups.map((g) => [g.id, g.name || g.id]));
}

/** Groups by id (any project), for Nova's proxy views. */
export async function groupsById(deps: Deps, ids: string[]): Promise<SecurityGroup[]> {
  if (!ids.length) return [];
  return withRules(deps, await repo.listGroups(deps.db, { ids: [...new Set(ids)] }));
}

// --- Nova's server create --------------------------------------------------------------------

/**
 * The groups a server create names, resolved as Nova resolves them through Neutron
 * (nova/network/neutron.py _process_security_groups: by name among the project's groups, then by
 * id; two groups of the name is NoUniqueMatch, 409; none is SecurityGroupNotFound, which
 * servers.create answers with 400). Returns their ids; none named: the default group's.
 */
export async function resolveSecurityGroups(deps: Deps, caller: Caller, names: string[]): Promise<string[]> {
  const defaultId = await ensureDefaultGroup(deps, deps.db, caller.projectId);
  if (!names.length) return [defaultId];
  const mine = await repo.listGroups(deps.db, { projectIds: [caller.projectId] });
  const ids: string[] = [];
  for (const name of names) {
    const byName = mine.filter((g) => g.name === name);
    if (byName.length > 1) throw requestedSecurityGroupNoUniqueMatch(name);
    const g = byName[0] ?? mine.find((x) => x.id === name);
    if (!g) throw invalid(`Security group ${name} not found.`);
    ids.push(g.id);
  }
  return [...new Set(ids)];
}
