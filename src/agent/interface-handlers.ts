import * as net from '../db/repositories/network.repository.js';
import { finishTask } from '../db/repositories/tasks.repository.js';
import { bindInterfacePort, releaseInterfacePort } from '../services/network/interface-ports.js';
import { iso } from '../domain/clock.js';
import type { TaskKind } from '../domain/lifecycle.js';
import type { ComputeDriver } from '../drivers/driver.js';
import type { ServerRow } from '../db/repositories/servers.repository.js';
import type { TaskRow } from '../tasks/queue.js';
import type { AgentDeps } from './agent-deps.js';
import { runAsInstanceEvent } from './instance-event.js';

/** The part of task-handlers.ts's HandlerContext these use (declared here: that module imports this one). */
interface InterfaceContext {
  deps: AgentDeps;
  host: string;
  driverFor(operation: string): ComputeDriver;
}
type TaskHandler = (task: TaskRow, row: ServerRow) => Promise<boolean>;
type InterfaceKind = Extract<TaskKind, 'attach_interface' | 'detach_interface'>;

/**
 * os-interface on the compute node (nova/compute/manager.py attach_interface /
 * detach_interface): the driver hot-plugs or unplugs the port, then the port's binding follows.
 */
export function makeInterfaceHandlers(ctx: InterfaceContext): Record<InterfaceKind, TaskHandler> {
  const { deps, host } = ctx;
  const now = () => iso(deps.clock.now());
  const portOf = (payload: string) => (JSON.parse(payload) as { portId: string }).portId;
  /** A server being deleted is the terminate task's: it releases every port anyway. */
  const deleting = (taskState: string | null) => taskState === 'deleting' || taskState === 'soft-deleting';
  const done = async (taskId: string, owner: string | null) => {
    await finishTask(deps.db, taskId, owner ?? '', 'done', now(), null);
    return true;
  };

  return {
    async attach_interface(task, row) {
      const portId = portOf(task.payload);
      const port = await net.getPort(deps.db, portId);
      // The API took the claim back (it gave up waiting), or a delete released the port: nothing to plug.
      if (!port || port.device_id !== row.id || deleting(row.task_state)) return done(task.id, task.lease_owner);
      return runAsInstanceEvent(
        deps,
        host,
        task,
        'compute_attach_interface',
        row,
        async () => {
          await ctx.driverFor('attach_interface').attachInterface(row.id, {
            portId: port.id,
            networkId: port.network_id,
            macAddress: port.mac_address,
            fixedIps: (JSON.parse(port.fixed_ips) as Array<{ ip_address: string }>).map((f) => f.ip_address),
          });
          return async (tx) => {
            await bindInterfacePort(deps, tx, port.id, row.id, host);
          };
        },
        // Nova parity: a failed plug deallocates the port (created: deleted; the user's: unbound)
        // and the API answers InterfaceAttachFailed; the server keeps its state.
        async (tx) => {
          await releaseInterfacePort(deps, tx, port.id, row.id);
        },
      );
    },

    async detach_interface(task, row) {
      const portId = portOf(task.payload);
      if (deleting(row.task_state)) return done(task.id, task.lease_owner);
      return runAsInstanceEvent(
        deps,
        host,
        task,
        'compute_detach_interface',
        row,
        async () => {
          await ctx.driverFor('detach_interface').detachInterface(row.id, portId);
          return async (tx) => {
            await releaseInterfacePort(deps, tx, portId, row.id);
          };
        },
        // Nova parity: InterfaceDetachFailed leaves the port attached; the event records the error.
        async () => {},
      );
    },
  };
}
