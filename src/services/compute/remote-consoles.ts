import { createHash, randomUUID } from 'node:crypto';
import type { Caller, Deps } from '../context.js';
import { authorize } from '../access.js';
import { findServer, serviceIsUp } from './access.js';
import { askConsoleOutput } from './console.js';
import * as consoles from '../../db/repositories/consoles.repository.js';
import * as servers from '../../db/repositories/servers.repository.js';
import * as svcRepo from '../../db/repositories/services.repository.js';
import { iso } from '../../domain/clock.js';
import {
  invalid,
  invalidState,
  serverNotFound,
  serverNotReady,
  consoleTypeInvalid,
  consoleTypeUnavailable,
  consoleTokenNotFound,
  consoleTokenExpired,
} from '../../domain/errors.js';

/** Nova's [consoleauth] token_ttl default: a console URL opens for ten minutes. */
export const CONSOLE_TOKEN_TTL_S = 600;
/** Expired tokens are kept this long, so that opening one says "expired" (401) rather than "unknown" (404). */
const EXPIRED_KEPT_S = 86400;
/** Where Stratus serves the consoles it hands out (same host and port as the API). */
export const CONSOLE_PATH = '/stratus/v1/console';

export type ConsoleProtocol = 'vnc' | 'spice' | 'serial' | 'mks' | 'rdp';

/** The handler names Nova's 409s for a rejected task state use (nova/compute/api.py). */
const NOVA_ACTION: Record<ConsoleProtocol, string> = {
  vnc: 'get_vnc_console',
  spice: 'get_spice_console',
  serial: 'get_serial_console',
  mks: 'get_mks_console',
  rdp: 'get_rdp_console',
};

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * A console URL for a server (os-getVNCConsole, os-getSerialConsole… and the 2.6 remote-consoles).
 * Stratus serves two consoles, both as the text page of the guest's console log: `vnc`/`novnc`
 * (Nova's default `[vnc] enabled = True`) and `serial`/`serial`. SPICE and MKS answer as Nova
 * with those consoles switched off (its defaults): "Unavailable console type".
 */
export async function getRemoteConsole(
  deps: Deps,
  caller: Caller,
  id: string,
  protocol: ConsoleProtocol,
  type: string,
  publicUrl: string,
): Promise<string> {
  const row = await findServer(deps.db, caller, id);
  authorize(deps, caller, 'os_compute_api:os-remote-consoles', { project_id: row.project_id, user_id: row.user_id });
  // Nova 29.0.0 removed RDP with Hyper-V; the 2.6 schema still lets `rdp` through to say so.
  if (protocol === 'rdp') throw invalid('Unavailable console type rdp.');
  // nova/compute/api.py: check_instance_host, then reject_instance_state(DELETING, MIGRATING).
  if (!row.host) throw serverNotReady(row.id);
  if (row.task_state === 'deleting' || row.task_state === 'migrating')
    throw invalidState(NOVA_ACTION[protocol], row.id, 'task_state', row.task_state);
  // nova/compute/manager.py: the console must be enabled, and of a type its protocol serves.
  if (protocol === 'spice' || protocol === 'mks') throw consoleTypeUnavailable(type);
  if (protocol === 'vnc' && type !== 'novnc') throw consoleTypeInvalid(type);
  if (protocol === 'serial' && type !== 'serial') throw consoleTypeInvalid(type);
  // A guest that is not running has no console to connect to (Nova: InstanceNotReady), nor has
  // one on a node that is down (Nova's RPC would time out).
  if (row.vm_state !== 'active') throw serverNotReady(row.id);
  const svc = await svcRepo.getComputeService(deps.db, row.host);
  if (!serviceIsUp(deps, svc)) throw serverNotReady(row.id);

  // Nova's tokens are uuid4s, stored hashed (ConsoleAuthToken.authorize).
  const token = randomUUID();
  const now = deps.clock.now();
  const url = new URL(publicUrl);
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  await deps.transact(async (tx) => {
    await consoles.deleteConsoleTokensExpiredBefore(tx, iso(new Date(now.getTime() - EXPIRED_KEPT_S * 1000)));
    await consoles.insertConsoleToken(tx, {
      token_hash: hashToken(token),
      server_id: row.id,
      console_type: type,
      host: row.host!,
      port,
      created_at: iso(now),
      expires_at: iso(new Date(now.getTime() + CONSOLE_TOKEN_TTL_S * 1000)),
    });
  });
  return `${publicUrl}${CONSOLE_PATH}?token=${token}`;
}

/** What GET /os-console-auth-tokens/{token} shows (admin): the connect info of a live token. */
export async function showConsoleToken(deps: Deps, caller: Caller, token: string) {
  authorize(deps, caller, 'os_compute_api:os-console-auth-tokens', {
    project_id: caller.projectId,
    user_id: caller.userId,
  });
  const row = await consoles.getConsoleToken(deps.db, hashToken(token));
  // Nova's ConsoleAuthToken.validate: an expired token is no token at all.
  if (!row || Date.parse(row.expires_at) <= deps.clock.now().getTime()) throw consoleTokenNotFound();
  // Nova deletes an instance's console tokens with it: a deleted server's token is no token (review).
  if (!(await servers.getServer(deps.db, row.server_id))) throw consoleTokenNotFound();
  return { instance_uuid: row.server_id, host: row.host, port: row.port, internal_access_path: null };
}

export interface OpenedConsole {
  serverId: string;
  serverName: string;
  consoleType: string;
  expiresAt: string;
  log: string;
}

/**
 * Opens a console URL: the token is the credential (no Keystone token, as Nova's console proxies).
 * It stays valid until it expires, so a reload shows the log again. An unknown token is 404 (there
 * is nothing at that address); an expired one is 401 (it was a credential, and no longer is: ask
 * for a new URL), where Nova's proxy refuses both alike with InvalidToken.
 */
export async function openConsole(deps: Deps, token: string | undefined): Promise<OpenedConsole> {
  const row = token ? await consoles.getConsoleToken(deps.db, hashToken(token)) : undefined;
  if (!row) throw consoleTokenNotFound();
  if (Date.parse(row.expires_at) <= deps.clock.now().getTime()) throw consoleTokenExpired();
  const server = await servers.getServer(deps.db, row.server_id);
  if (!server) throw serverNotFound(row.server_id);
  if (!server.host || server.vm_state !== 'active') throw serverNotReady(server.id);
  const svc = await svcRepo.getComputeService(deps.db, server.host);
  if (!serviceIsUp(deps, svc)) throw serverNotReady(server.id);
  const log = await askConsoleOutput(deps, { id: server.id, host: server.host }, undefined);
  return {
    serverId: server.id,
    serverName: server.name,
    consoleType: row.console_type,
    expiresAt: row.expires_at,
    log,
  };
}
