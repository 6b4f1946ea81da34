/**
 * os-instance_usage_audit_log (nova/api/openstack/compute/instance_usage_audit_log.py). Nova's
 * compute hosts write a task log when their periodic usage audit runs; Stratus runs no such
 * task, so every compute host is "not run" for every period, which is exactly what Nova
 * reports before any audit has run.
 */
import type { Caller, Deps } from '../context.js';
import { authorize } from '../access.js';
import * as svcRepo from '../../db/repositories/services.repository.js';
import { invalid } from '../../domain/errors.js';

const invalidTimestamp = (id: string) => invalid(`Invalid timestamp for date ${id}`);

/** A naive UTC date and time, as Python's datetime without tzinfo. */
export interface NaiveDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  micro: number;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
/** Python's str(datetime): `YYYY-MM-DD HH:MM:SS[.ffffff]`. */
const pyStr = (d: NaiveDateTime) =>
  `${pad(d.year, 4)}-${pad(d.month)}-${pad(d.day)} ${pad(d.hour)}:${pad(d.minute)}:${pad(d.second)}${d.micro ? `.${pad(d.micro, 6)}` : ''}`;
const key = (d: NaiveDateTime) => Date.UTC(d.year, d.month - 1, d.day, d.hour, d.minute, d.second) * 1e6 + d.micro;
const firstOf = (year: number, month: number): NaiveDateTime => ({
  year,
  month,
  day: 1,
  hour: 0,
  minute: 0,
  second: 0,
  micro: 0,
});
const previousMonth = (d: NaiveDateTime) => (d.month === 1 ? firstOf(d.year - 1, 12) : firstOf(d.year, d.month - 1));

/**
 * Nova's utils.last_completed_audit_period with the default unit, `month`: the month that ended
 * most recently before `before` (an instant on the 1st at midnight ends the month before it).
 */
export function lastCompletedMonth(before: NaiveDateTime): { begin: NaiveDateTime; end: NaiveDateTime } {
  let end = firstOf(before.year, before.month);
  if (key(end) >= key(before)) end = previousMonth(end);
  return { begin: previousMonth(end), end };
}

/**
 * The show id: Python's strptime with `%Y-%m-%d %H:%M:%S`, or with `.%f` when the id has a dot
 * (it takes 1-2 digit fields and 1-6 fraction digits); null when it does not parse or names no
 * real date.
 */
export function parseBefore(id: string): NaiveDateTime | null {
  const m = id.includes('.')
    ? /^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})\.(\d{1,6})$/.exec(id)
    : /^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})()$/.exec(id);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const micro = m[7] ? Number(m[7].padEnd(6, '0')) : 0;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  return { year, month, day, hour, minute, second, micro };
}

function fromDate(d: Date): NaiveDateTime {
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    micro: d.getUTCMilliseconds() * 1000,
  };
}

/** Nova's _get_audit_task_logs with no task log rows: all compute hosts (disabled ones too) not run. */
async function auditLog(deps: Deps, before: NaiveDateTime) {
  const { begin, end } = lastCompletedMonth(before);
  const services = await svcRepo.listServices(deps.db, {});
  const hosts = [...new Set(services.filter((s) => s.topic === 'compute').map((s) => s.host))].sort();
  const done = 0;
  const errors = 0;
  return {
    period_beginning: pyStr(begin),
    period_ending: pyStr(end),
    num_hosts: hosts.length,
    num_hosts_done: done,
    num_hosts_running: 0,
    num_hosts_not_run: hosts.length,
    hosts_not_run: hosts,
    total_instances: 0,
    total_errors: errors,
    overall_status: `${done === hosts.length ? 'ALL' : `${done} of ${hosts.length}`} hosts done. ${errors} errors.`,
    log: {},
  };
}

export async function listAuditLogs(deps: Deps, caller: Caller) {
  authorize(deps, caller, 'os_compute_api:os-instance-usage-audit-log:list', { project_id: caller.projectId });
  return auditLog(deps, fromDate(deps.clock.now()));
}

export async function showAuditLog(deps: Deps, caller: Caller, before: string) {
  authorize(deps, caller, 'os_compute_api:os-instance-usage-audit-log:show', { project_id: caller.projectId });
  const at = parseBefore(before);
  if (!at) throw invalidTimestamp(before);
  return auditLog(deps, at);
}
