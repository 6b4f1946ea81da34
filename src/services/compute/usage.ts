import type { Caller, Deps } from '../context.js';
import { authorize } from '../access.js';
import { flavorOf } from './hypervisors.js';
import * as usageRepo from '../../db/repositories/usage.repository.js';
import { iso } from '../../domain/clock.js';
import { invalid } from '../../domain/errors.js';

export interface ServerUsage {
  hours: number;
  flavor: string;
  instance_id: string;
  name: string;
  tenant_id: string;
  memory_mb: number;
  local_gb: number;
  vcpus: number;
  started_at: string;
  ended_at: string | null;
  state: string;
  uptime: number;
}

export interface TenantUsage {
  tenant_id: string;
  server_usages?: ServerUsage[];
  total_local_gb_usage: number;
  total_vcpus_usage: number;
  total_memory_mb_usage: number;
  total_hours: number;
  start: string;
  stop: string;
}

/**
 * Nova's _parse_datetime: empty means now; else one of three naive formats, read as UTC
 * ("%Y-%m-%dT%H:%M:%S", "...%S.%f", "%Y-%m-%d %H:%M:%S.%f").
 */
function parseTime(s: string): Date {
  const m =
    /^(\d{4})-(\d{1,2})-(\d{1,2})(?:T(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,6}))?| (\d{1,2}):(\d{1,2}):(\d{1,2})\.(\d{1,6}))$/.exec(
      s,
    );
  const bad = () => invalid('Invalid datetime string: Datetime is in invalid format');
  if (!m) throw bad();
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [h, mi, se] = m[4] !== undefined ? [m[4], m[5], m[6]].map(Number) : [m[8], m[9], m[10]].map(Number);
  const frac = m[7] ?? m[11] ?? '';
  const ms = Math.floor(Number(frac.padEnd(6, '0')) / 1000);
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, se, ms));
  if (
    t.getUTCFullYear() !== y ||
    t.getUTCMonth() !== mo - 1 ||
    t.getUTCDate() !== d ||
    t.getUTCHours() !== h ||
    t.getUTCMinutes() !== mi ||
    t.getUTCSeconds() !== se
  )
    throw bad();
  return t;
}

/** timeutils.normalize_time, as Nova's JSON renders a naive datetime: 2026-11-27T13:22:03.123000. */
function naive(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000');
}

export interface UsageQuery {
  start?: string;
  end?: string;
  detailed?: boolean;
  limit: number;
  marker?: string;
}

async function usagesForPeriod(
  deps: Deps,
  q: UsageQuery,
  projectId: string | undefined,
  detailed: boolean,
): Promise<{ usages: TenantUsage[]; serverUsages: ServerUsage[] }> {
  // Nova reads utcnow() once per default, so an omitted end is a moment after an omitted start.
  const now = new Date(deps.clock.now().getTime() + 1);
  const start = q.start ? parseTime(q.start) : new Date(now.getTime() - 1);
  let stop = q.end ? parseTime(q.end) : now;
  if (!(start.getTime() < stop.getTime()))
    throw invalid('Invalid start time. The start time cannot occur after the end time.');
  if (stop.getTime() > now.getTime()) stop = now;
  let after: { project_id: string; id: string } | undefined;
  if (q.marker !== undefined) {
    after = await usageRepo.serverKey(deps.db, q.marker);
    if (!after) throw invalid(`Marker ${q.marker} could not be found.`);
  }
  const rows = await usageRepo.serversActiveInWindow(deps.db, {
    begin: iso(start),
    end: iso(stop),
    projectId,
    after,
    limit: q.limit,
  });
  const byTenant = new Map<string, TenantUsage>();
  const serverUsages: ServerUsage[] = [];
  for (const r of rows) {
    const launched = new Date(r.launched_at as string);
    const terminated = r.terminated_at ? new Date(r.terminated_at) : null;
    // Nova's _hours_for: the part of [launched_at, terminated_at] inside the period.
    let hours = 0;
    if (!(terminated && terminated < start) && !(launched > stop)) {
      const from = Math.max(launched.getTime(), start.getTime());
      const to = terminated ? Math.min(stop.getTime(), terminated.getTime()) : stop.getTime();
      hours = (to - from) / 3_600_000;
    }
    const f = flavorOf(r.flavor);
    const ended = terminated ? naive(terminated) : null;
    const info: ServerUsage = {
      hours,
      flavor: f.name,
      instance_id: r.id,
      name: r.name,
      tenant_id: r.project_id,
      memory_mb: f.ram,
      local_gb: f.disk + f.ephemeral,
      vcpus: f.vcpus,
      started_at: naive(launched),
      ended_at: ended,
      state: terminated ? 'terminated' : r.vm_state,
      uptime: Math.trunc(((terminated ?? now).getTime() - launched.getTime()) / 1000),
    };
    let t = byTenant.get(r.project_id);
    if (!t) {
      t = {
        tenant_id: r.project_id,
        ...(detailed ? { server_usages: [] } : {}),
        total_local_gb_usage: 0,
        total_vcpus_usage: 0,
        total_memory_mb_usage: 0,
        total_hours: 0,
        start: naive(start),
        stop: naive(stop),
      };
      byTenant.set(r.project_id, t);
    }
    t.total_local_gb_usage += info.local_gb * hours;
    t.total_vcpus_usage += info.vcpus * hours;
    t.total_memory_mb_usage += info.memory_mb * hours;
    t.total_hours += hours;
    serverUsages.push(info);
    t.server_usages?.push(info);
  }
  return { usages: [...byTenant.values()], serverUsages };
}

/** GET /os-simple-tenant-usage: every project's usage (admin). */
export async function listUsages(deps: Deps, caller: Caller, q: UsageQuery) {
  authorize(deps, caller, 'os_compute_api:os-simple-tenant-usage:list', { project_id: caller.projectId });
  return usagesForPeriod(deps, q, undefined, q.detailed === true);
}

/** GET /os-simple-tenant-usage/{tenant_id}: one project's usage, always detailed; {} when it has none. */
export async function showUsage(deps: Deps, caller: Caller, projectId: string, q: UsageQuery) {
  authorize(deps, caller, 'os_compute_api:os-simple-tenant-usage:show', { project_id: projectId });
  const { usages, serverUsages } = await usagesForPeriod(deps, q, projectId, true);
  return { usage: usages[0] ?? null, serverUsages };
}
