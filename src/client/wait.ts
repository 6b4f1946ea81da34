/**
 * `stratus wait SERVER --for deleted|ACTIVE|SHUTOFF|…`: wait for a server through the watch API
 * instead of polling. Race-free: the stream is open (its `ready` received) before the server is
 * read, so a change between the read and the first event cannot be missed.
 */
import { ClientError } from './client-error.js';
import type { CloudAuth } from './cloud-config.js';
import { watchEvents, type ServerEvent } from './event-stream.js';
import { authenticate, computeGet, faultMessage, type Session } from './session.js';

export interface WaitOptions {
  server: string;
  /** `deleted` or a Nova status name (any case). */
  target: string;
  /** Seconds; 0 waits for ever. */
  timeoutSec: number;
  /** Lines for stderr: reconnects always; with `verbose`, also what the wait is watching. */
  note?: (msg: string) => void;
  verbose?: boolean;
}

export interface WaitOutcome {
  /** 0 reached, 1 failed, 124 timed out (as coreutils timeout). */
  code: 0 | 1 | 124;
  message: string;
}

/** What the client knows of the server: gone, or its status and task state. */
type Seen = { gone: true } | { gone: false; status: string; taskState: string | null; fault?: string | null };

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** Nova's status names (nova/api/openstack/common.py's state map), for a clear usage error. */
export const NOVA_STATUSES = [
  'ACTIVE',
  'BUILD',
  'DELETED',
  'ERROR',
  'HARD_REBOOT',
  'MIGRATING',
  'PASSWORD',
  'PAUSED',
  'REBOOT',
  'REBUILD',
  'RESCUE',
  'RESIZE',
  'REVERT_RESIZE',
  'SHELVED',
  'SHELVED_OFFLOADED',
  'SHUTOFF',
  'SOFT_DELETED',
  'SUSPENDED',
  'UNKNOWN',
  'VERIFY_RESIZE',
];

/** `deleted` (any case) or a Nova status, upper-cased; anything else is a usage error (2). */
export function parseTarget(v: string): string {
  const t = v.trim().toUpperCase();
  if (t === 'DELETED') return 'deleted';
  if (!NOVA_STATUSES.includes(t))
    throw new ClientError(`--for ${v}: not deleted nor a server status (${NOVA_STATUSES.join(', ')})`, 2);
  return t;
}

class TimedOut extends Error {}

export async function waitForServer(cloud: CloudAuth, o: WaitOptions): Promise<WaitOutcome> {
  const started = performance.now();
  const target = parseTarget(o.target);
  const ac = new AbortController();
  const timer =
    o.timeoutSec > 0 ? setTimeout(() => ac.abort(new TimedOut()), Math.ceil(o.timeoutSec * 1000)) : undefined;
  const after = () => `after ${((performance.now() - started) / 1000).toFixed(1)} s`;
  let last: Seen | undefined;
  let id = o.server;
  try {
    const session = await authenticate(cloud, ac.signal);
    const found = await resolve(session, o.server, ac.signal);
    if (!found) {
      if (target === 'deleted') return { code: 0, message: `server ${o.server} is deleted (not found, ${after()})` };
      return { code: 1, message: `No server with a name or ID of '${o.server}' exists.` };
    }
    id = found.id;
    // An admin waiting for another project's server must ask for every project's events.
    const query: Record<string, string> = { server_id: id };
    if (found.projectId && session.projectId && found.projectId !== session.projectId) query.all_tenants = '1';
    const verdict = (seen: Seen): WaitOutcome | undefined => {
      const prev = last;
      last = seen;
      return judge(id, target, seen, prev, after);
    };
    for await (const item of watchEvents({
      url: session.eventsUrl,
      token: session.token,
      query,
      signal: ac.signal,
      note: o.note,
    })) {
      if ((item.kind === 'ready' && item.first) || item.kind === 'resync') {
        if (item.kind === 'resync' && o.verbose) o.note?.(`resync (${item.reason}): reading server ${id} again`);
        const v = verdict(await read(session, id, ac.signal));
        if (v) return v;
        if (o.verbose && last && !last.gone)
          o.note?.(
            `watching server ${id} (${last.status}${last.taskState ? `, task ${last.taskState}` : ''}) until ${target}`,
          );
      } else if (item.kind === 'event' && item.data.server_id === id) {
        const v = verdict(fromEvent(item.type, item.data));
        if (v) return v;
      }
    }
    throw new Error('unreachable: the event stream ended');
  } catch (err) {
    if (ac.signal.aborted && ac.signal.reason instanceof TimedOut) {
      const state = !last
        ? ''
        : last.gone
          ? ' (it is gone)'
          : ` (it is ${last.status}${last.taskState ? `, task ${last.taskState}` : ''})`;
      return {
        code: 124,
        message: `timed out after ${o.timeoutSec} s waiting for server ${id} to be ${target}${state}`,
      };
    }
    throw err;
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
}

/** The outcome once `seen` is known, or undefined to keep waiting. */
export function judge(
  id: string,
  target: string,
  seen: Seen,
  prev: Seen | undefined,
  after: () => string,
): WaitOutcome | undefined {
  const fault = (s: { fault?: string | null }) => (s.fault ? `: ${s.fault}` : '');
  if (target === 'deleted') {
    if (seen.gone || seen.status === 'DELETED') return { code: 0, message: `server ${id} is deleted (${after()})` };
    // A failed delete leaves ERROR with no task (the CLI's `delete --wait` stops on ERROR too); an
    // ERROR server whose delete is still running, or was ERROR before the wait, is not a failure.
    const failedNow =
      seen.status === 'ERROR' &&
      seen.taskState === null &&
      prev !== undefined &&
      !(!prev.gone && prev.status === 'ERROR' && prev.taskState === null);
    if (failedNow) return { code: 1, message: `server ${id} went to ERROR instead of deleted${fault(seen)}` };
    return undefined;
  }
  if (seen.gone) return { code: 1, message: `server ${id} was deleted while waiting for ${target}` };
  if (seen.status === target) return { code: 0, message: `server ${id} is ${target} (${after()})` };
  // ERROR with a task under way (a hard reboot, a rebuild) may still leave ERROR: keep waiting.
  if (seen.status === 'ERROR' && seen.taskState === null)
    return { code: 1, message: `server ${id} is ERROR, not ${target}${fault(seen)}` };
  return undefined;
}

function fromEvent(type: string, e: ServerEvent): Seen {
  if (type === 'server.deleted' || !e.server) return { gone: true };
  return {
    gone: false,
    status: String(e.server.status).toUpperCase(),
    taskState: e.server.task_state ?? null,
    fault: e.server.fault?.message ?? null,
  };
}

interface NovaServer {
  id: string;
  name?: string;
  status?: string;
  tenant_id?: string;
  'OS-EXT-STS:task_state'?: string | null;
  fault?: { message?: string };
}

async function read(s: Session, id: string, signal: AbortSignal): Promise<Seen> {
  const r = await computeGet(s, `/servers/${encodeURIComponent(id)}`, signal);
  if (r.status === 404) return { gone: true };
  if (r.status !== 200)
    throw new ClientError(`GET /servers/${id}: ${faultMessage(r.body, r.status)} (HTTP ${r.status})`, 1);
  const v = (r.body as { server: NovaServer }).server;
  return {
    gone: false,
    status: String(v.status).toUpperCase(),
    taskState: v['OS-EXT-STS:task_state'] ?? null,
    fault: v.fault?.message ?? null,
  };
}

/**
 * An id or a name, as the openstack CLI resolves it: GET /servers/{id} first, then the list
 * filtered by name with an exact match (Nova's `name` filter is a regular expression).
 * Undefined when nothing matches.
 */
async function resolve(
  s: Session,
  ref: string,
  signal: AbortSignal,
): Promise<{ id: string; projectId?: string } | undefined> {
  if (UUID.test(ref)) {
    const r = await computeGet(s, `/servers/${encodeURIComponent(ref)}`, signal);
    if (r.status === 200) {
      const v = (r.body as { server: NovaServer }).server;
      return { id: v.id, projectId: v.tenant_id };
    }
    if (r.status !== 404)
      throw new ClientError(`GET /servers/${ref}: ${faultMessage(r.body, r.status)} (HTTP ${r.status})`, 1);
  }
  const r = await computeGet(s, `/servers?name=${encodeURIComponent(ref)}`, signal);
  if (r.status !== 200)
    throw new ClientError(`GET /servers?name=${ref}: ${faultMessage(r.body, r.status)} (HTTP ${r.status})`, 1);
  const matches = ((r.body as { servers?: NovaServer[] }).servers ?? []).filter((x) => x.name === ref);
  if (matches.length > 1) throw new ClientError(`More than one server exists with the name '${ref}'.`, 1);
  if (matches.length === 0) return undefined;
  const byId = await computeGet(s, `/servers/${encodeURIComponent(matches[0].id)}`, signal);
  if (byId.status === 404) return undefined;
  const v = (byId.body as { server?: NovaServer }).server;
  return { id: matches[0].id, projectId: v?.tenant_id };
}
