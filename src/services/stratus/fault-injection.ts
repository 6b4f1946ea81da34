import type { Caller, Deps } from '../context.js';
import { authorize } from '../access.js';
import * as faults from '../../db/repositories/faults.repository.js';
import { iso } from '../../domain/clock.js';
import { faultNotFound, invalidFault } from '../../domain/errors.js';

/** Policy rule of the fault-injection control API (admin by default). */
const RULE = 'stratus:control:faults';

export interface FaultInput {
  host: string;
  server_id?: string | null;
  operation: string;
  mode: string;
  count?: number | null;
  delay_ms?: number;
}

export async function listFaults(deps: Deps, caller: Caller, host: string | undefined) {
  authorize(deps, caller, RULE, { project_id: caller.projectId });
  return faults.listFaults(deps.db, host);
}

export async function addFault(deps: Deps, caller: Caller, f: FaultInput) {
  authorize(deps, caller, RULE, { project_id: caller.projectId });
  // `freeze` hangs the whole node until the fault is removed: no other mode, no server, no count.
  if (f.operation === 'freeze') {
    if (f.mode !== 'hang') throw invalidFault("operation 'freeze' takes mode 'hang' only");
    if (f.server_id) throw invalidFault("operation 'freeze' applies to a whole node: no server_id");
    if (f.count !== undefined && f.count !== null)
      throw invalidFault("operation 'freeze' lasts until removed: no count");
  }
  const row = {
    id: deps.ids.uuid(),
    host: f.host,
    server_id: f.server_id ?? null,
    operation: f.operation,
    mode: f.mode,
    remaining: f.count ?? null,
    delay_ms: f.delay_ms ?? 0,
    created_at: iso(deps.clock.now()),
  };
  await faults.insertFault(deps.db, row);
  await faultsChanged(deps, row.host);
  return row;
}

/** Clears the faults of `host`, or of every host when it is absent or empty. */
export async function clearFaults(deps: Deps, caller: Caller, host: string | undefined): Promise<void> {
  authorize(deps, caller, RULE, { project_id: caller.projectId });
  await faults.deleteFaults(deps.db, { host });
  await faultsChanged(deps, host || null);
}

export async function removeFault(deps: Deps, caller: Caller, id: string): Promise<void> {
  authorize(deps, caller, RULE, { project_id: caller.projectId });
  if ((await faults.deleteFaults(deps.db, { id })) === 0) throw faultNotFound();
  await faultsChanged(deps, null);
}

/** Agents cache their faults: tell them (in this process and in others). */
async function faultsChanged(deps: Deps, host: string | null): Promise<void> {
  await deps.tasks.faultsChanged(host);
}
