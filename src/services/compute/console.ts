import type { Caller, Deps } from '../context.js';
import { authorize } from '../access.js';
import { findServer, serviceIsUp } from './access.js';
import { serverForCheck } from './server-actions.js';
import * as svcRepo from '../../db/repositories/services.repository.js';
import * as tasksRepo from '../../db/repositories/tasks.repository.js';
import { conflict, consoleNotAvailable, serverNotReady } from '../../domain/errors.js';
import { LIFECYCLE, checkAction } from '../../domain/lifecycle.js';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * os-getConsoleOutput: a synchronous question to the server's compute node (Nova: an RPC call),
 * asked through the task table so it works whichever process or machine the node runs on.
 */
export async function consoleOutput(
  deps: Deps,
  caller: Caller,
  id: string,
  lines: number | undefined,
): Promise<string> {
  const row = await findServer(deps.db, caller, id);
  const spec = LIFECYCLE.getConsoleOutput;
  authorize(deps, caller, spec.rule, { project_id: row.project_id, user_id: row.user_id });
  const svc = row.host ? await svcRepo.getComputeService(deps.db, row.host) : undefined;
  checkAction('getConsoleOutput', serverForCheck(row), caller.isAdmin);
  // Nova parity: a guest on no host, or on a node that is down, "is not ready" (409).
  if (!row.host || !serviceIsUp(deps, svc)) throw serverNotReady(row.id);
  return askConsoleOutput(deps, { id: row.id, host: row.host }, lines);
}

/**
 * Asks the server's compute node for its console log (the caller has checked scope, policy and
 * that the node is up); the remote console page reads the log through here too.
 */
export async function askConsoleOutput(
  deps: Deps,
  row: { id: string; host: string },
  lines: number | undefined,
): Promise<string> {
  const spec = LIFECYCLE.getConsoleOutput;
  const task = await deps.transact((tx) =>
    deps.tasks.enqueue(tx, { kind: spec.task!, serverId: row.id, host: row.host!, payload: { lines } }),
  );
  deps.tasks.dispatch([task]);
  const taskId = task.id;
  // deps.config.rpcResponseTimeout: Nova's rpc_response_timeout (Stratus' default 10 s).
  const end = Date.now() + deps.config.rpcResponseTimeout * 1000;
  while (Date.now() < end) {
    const t = await tasksRepo.getTask(deps.db, taskId);
    if (t && t.state === 'done') {
      await tasksRepo.deleteTask(deps.db, taskId);
      return t.result ?? '';
    }
    if (t && t.state === 'dead') {
      // Nova parity: the hypervisor could not read the guest's console (ConsoleNotAvailable) → 404.
      await tasksRepo.deleteTask(deps.db, taskId);
      throw consoleNotAvailable();
    }
    await sleep(20);
  }
  await tasksRepo.deleteTask(deps.db, taskId);
  // Nova would fail with a 500 after its RPC timeout; a 409 naming the cause is more useful.
  throw conflict(
    `Unable to get console output for instance ${row.id}: its compute node did not answer`,
    'ConsoleNotAvailable',
  );
}
