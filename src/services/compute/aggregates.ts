import type { Caller, Deps } from '../context.js';
import { authorize } from '../access.js';
import * as aggRepo from '../../db/repositories/aggregates.repository.js';
import * as svcRepo from '../../db/repositories/services.repository.js';
import * as servers from '../../db/repositories/servers.repository.js';
import type { Executor } from '../../db/executor.js';
import { iso } from '../../domain/clock.js';
import {
  DomainError,
  computeHostNotFound,
  conflict,
  invalid,
  aggregateNotFound,
  aggregateHostNotFound,
} from '../../domain/errors.js';
import { isUniqueViolation } from '../../db/dialects/dialect.js';

export type { AggregateRecord } from '../../db/repositories/aggregates.repository.js';

const rule = (action: string) => `os_compute_api:os-aggregates:${action}`;
const INT4_MAX = 2147483647;

function nameExists(name: string): DomainError {
  return conflict(`Aggregate ${name} already exists.`, 'AggregateNameExists');
}

/**
 * Nova's utils.validate_integer(id, 'id') (Python's int(str(v)): surrounding spaces and a sign
 * are fine). An integer beyond the column's range names no aggregate: 404, not a storage error.
 */
function aggregateId(raw: string): number {
  const t = raw.trim();
  if (!/^[+-]?\d+$/.test(t)) throw invalid('Invalid input received: id must be an integer');
  const n = Number(t);
  if (!Number.isSafeInteger(n) || n < 1 || n > INT4_MAX) throw aggregateNotFound(raw);
  return n;
}

async function load(ex: Executor, raw: string) {
  const agg = await aggRepo.getAggregate(ex, aggregateId(raw));
  if (!agg) throw aggregateNotFound(raw);
  return agg;
}

/** Nova's common.normalize_name: surrounding whitespace is dropped. */
const normalize = (s: string) => s.trim();

export async function listAggregates(deps: Deps, caller: Caller) {
  authorize(deps, caller, rule('index'), { project_id: caller.projectId });
  return aggRepo.listAggregates(deps.db);
}

export async function showAggregate(deps: Deps, caller: Caller, id: string) {
  authorize(deps, caller, rule('show'), { project_id: caller.projectId });
  return load(deps.db, id);
}

/** Runs a write; a unique-key race (two creates of one name on PostgreSQL) is Nova's 409. */
async function write<T>(deps: Deps, name: string | undefined, fn: (tx: Executor) => Promise<T>): Promise<T> {
  try {
    return await deps.transact(fn);
  } catch (e) {
    if (name !== undefined && isUniqueViolation(e)) throw nameExists(name);
    throw e;
  }
}

export async function createAggregate(
  deps: Deps,
  caller: Caller,
  input: { name: string; availabilityZone?: string | null },
) {
  authorize(deps, caller, rule('create'), { project_id: caller.projectId });
  const name = normalize(input.name);
  const zone = input.availabilityZone ? normalize(input.availabilityZone) : undefined;
  const now = iso(deps.clock.now());
  const id = await write(deps, name, async (tx) => {
    if (await aggRepo.getAggregateByName(tx, name)) throw nameExists(name);
    const id = await aggRepo.nextAggregateId(tx);
    await aggRepo.insertAggregate(tx, { id, uuid: deps.ids.uuid(), name, created_at: now, updated_at: null });
    if (zone) await aggRepo.mergeMetadata(tx, id, { availability_zone: zone });
    return id;
  });
  return (await aggRepo.getAggregate(deps.db, id))!;
}

type Action = 'add' | 'update' | 'update-meta' | 'delete';
/** Nova's InvalidAggregateAction* messages. */
function invalidAction(action: Action, id: number, reason: string): DomainError {
  const text =
    action === 'add'
      ? `Cannot add host to aggregate ${id}. Reason: ${reason}.`
      : action === 'update'
        ? `Cannot update aggregate ${id}. Reason: ${reason}.`
        : action === 'update-meta'
          ? `Cannot update metadata of aggregate ${id}. Reason: ${reason}.`
          : `Cannot remove host from aggregate ${id}. Reason: ${reason}.`;
  return invalid(text);
}

/**
 * Nova's is_safe_to_update_az: a zone may not be empty, a host may not end up in two zones, and
 * a zone change may not move servers (when `checkServers`).
 */
async function checkZoneChange(
  tx: Executor,
  agg: aggRepo.AggregateRecord,
  metadata: Record<string, string | null>,
  action: Action,
  opts: { hosts?: string[]; checkServers?: boolean },
) {
  if (!('availability_zone' in metadata)) return;
  const zone = metadata.availability_zone;
  if (!zone)
    throw invalidAction(action, agg.id, `Aggregate ${agg.name} does not support empty named availability zone`);
  const hosts = opts.hosts ?? agg.hosts;
  const others = (await aggRepo.aggregatesOfHosts(tx, hosts))
    .filter((a) => a.id !== agg.id && a.metadata.availability_zone !== undefined)
    .map((a) => a.metadata.availability_zone)
    .filter((z) => z !== zone);
  if (others.length)
    throw invalidAction(
      action,
      agg.id,
      `One or more hosts already in availability zone(s) [${others.map((z) => `'${z}'`).join(', ')}]`,
    );
  if (opts.checkServers && agg.metadata.availability_zone !== zone) {
    const counts = await servers.liveServerCounts(tx, hosts);
    if ([...counts.values()].some((n) => n > 0))
      throw invalidAction(action, agg.id, 'One or more hosts contain instances in this zone');
  }
}

export async function updateAggregate(
  deps: Deps,
  caller: Caller,
  rawId: string,
  changes: { name?: string; availability_zone?: string | null },
) {
  authorize(deps, caller, rule('update'), { project_id: caller.projectId });
  const name = changes.name !== undefined ? normalize(changes.name) : undefined;
  const now = iso(deps.clock.now());
  const id = await write(deps, name, async (tx) => {
    const agg = await load(tx, rawId);
    if (name !== undefined && name !== agg.name) {
      if (await aggRepo.getAggregateByName(tx, name)) throw nameExists(name);
    }
    if (name !== undefined) await aggRepo.updateAggregate(tx, agg.id, { name, updated_at: now });
    if ('availability_zone' in changes) {
      const meta = { availability_zone: changes.availability_zone ?? null };
      await checkZoneChange(tx, agg, meta, 'update', { checkServers: true });
      await aggRepo.mergeMetadata(tx, agg.id, meta);
      await aggRepo.updateAggregate(tx, agg.id, { updated_at: now });
    }
    return agg.id;
  });
  return (await aggRepo.getAggregate(deps.db, id))!;
}

export async function setAggregateMetadata(
  deps: Deps,
  caller: Caller,
  rawId: string,
  metadata: Record<string, string | null>,
) {
  authorize(deps, caller, rule('set_metadata'), { project_id: caller.projectId });
  const now = iso(deps.clock.now());
  const id = await deps.transact(async (tx) => {
    const agg = await load(tx, rawId);
    await checkZoneChange(tx, agg, metadata, 'update-meta', { checkServers: true });
    await aggRepo.mergeMetadata(tx, agg.id, metadata);
    await aggRepo.updateAggregate(tx, agg.id, { updated_at: now });
    return agg.id;
  });
  return (await aggRepo.getAggregate(deps.db, id))!;
}

export async function deleteAggregate(deps: Deps, caller: Caller, rawId: string) {
  authorize(deps, caller, rule('delete'), { project_id: caller.projectId });
  await deps.transact(async (tx) => {
    const agg = await load(tx, rawId);
    if (agg.hosts.length > 0) throw invalidAction('delete', agg.id, 'Host aggregate is not empty');
    await aggRepo.deleteAggregate(tx, agg.id);
  });
}

/** The zone a host is in apart from `exclude` (null: none from an aggregate). */
async function aggregateZoneOf(tx: Executor, host: string, exclude?: number): Promise<string | null> {
  const zoned = (await aggRepo.aggregatesOfHosts(tx, [host])).filter(
    (a) => a.id !== exclude && a.metadata.availability_zone !== undefined,
  );
  return zoned[0]?.metadata.availability_zone ?? null;
}

/** Nova's message when moving a host between zones would move its servers. */
const wouldMove = (verb: 'added to' | 'removed from', from: string | null, to: string | null, n: number) =>
  `The host cannot be ${verb} the aggregate as the availability zone of the host would change from '${from ?? 'None'}' to '${to ?? 'None'}' but the host already has ${n} instance(s). Changing the AZ of an existing instance is not supported by this action. Move the instances away from this host then try again. If you need to move the instances between AZs then you can use shelve_offload and unshelve to achieve this.`;

export async function addAggregateHost(deps: Deps, caller: Caller, rawId: string, host: string) {
  authorize(deps, caller, rule('add_host'), { project_id: caller.projectId });
  const aggId = aggregateId(rawId);
  const id = await deps.transact(async (tx) => {
    // Nova looks the host up first: an unknown host is 404 even for an unknown aggregate.
    const svc = await svcRepo.getComputeService(tx, host);
    if (!svc) throw computeHostNotFound(host);
    const agg = await aggRepo.getAggregate(tx, aggId);
    if (!agg) throw aggregateNotFound(rawId);
    // Nova's add_host maps InvalidAggregateAction to 409 (set_metadata and update map it to 400).
    try {
      await checkZoneChange(tx, agg, agg.metadata, 'add', { hosts: [host] });
    } catch (e) {
      if (e instanceof DomainError) throw conflict(e.message, 'InvalidAggregateActionAdd');
      throw e;
    }
    const newZone = agg.metadata.availability_zone;
    if (newZone !== undefined && !agg.hosts.includes(host)) {
      // Stratus: a host in no zoned aggregate is in its agent's --zone (Nova: the default zone).
      const oldZone = (await aggregateZoneOf(tx, host)) ?? svc.zone;
      const n = (await servers.liveServerCounts(tx, [host])).get(host) ?? 0;
      if (oldZone !== newZone && n > 0)
        throw conflict(
          `Cannot add host to aggregate ${agg.id}. Reason: ${wouldMove('added to', oldZone, newZone, n)}.`,
          'InvalidAggregateActionAdd',
        );
    }
    if (!(await aggRepo.addHost(tx, agg.id, host)))
      throw conflict(`Aggregate ${agg.id} already has host ${host}.`, 'AggregateHostExists');
    return agg.id;
  });
  return (await aggRepo.getAggregate(deps.db, id))!;
}

export async function removeAggregateHost(deps: Deps, caller: Caller, rawId: string, host: string) {
  authorize(deps, caller, rule('remove_host'), { project_id: caller.projectId });
  const aggId = aggregateId(rawId);
  const id = await deps.transact(async (tx) => {
    // Nova answers an unknown host, an unknown aggregate and a host not in it with one message.
    const notHere = aggregateHostNotFound(host, rawId);
    const svc = await svcRepo.getComputeService(tx, host);
    if (!svc) throw notHere;
    const agg = await aggRepo.getAggregate(tx, aggId);
    if (!agg) throw notHere;
    const current = agg.metadata.availability_zone;
    if (current !== undefined && agg.hosts.includes(host)) {
      const next = (await aggregateZoneOf(tx, host, agg.id)) ?? svc.zone;
      const n = (await servers.liveServerCounts(tx, [host])).get(host) ?? 0;
      if (current !== next && n > 0)
        throw conflict(
          `Cannot remove host from aggregate ${agg.id}. Reason: ${wouldMove('removed from', current, next, n)}.`,
          'InvalidAggregateActionDelete',
        );
    }
    if (!(await aggRepo.removeHost(tx, agg.id, host))) throw notHere;
    return agg.id;
  });
  return (await aggRepo.getAggregate(deps.db, id))!;
}
