import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import * as faults from '../db/repositories/faults.repository.js';
import type { Clock } from '../domain/clock.js';
import type { FaultSource, InjectedFault } from '../drivers/fault-injection/fault-injection.driver.js';

/** How long an agent trusts its cached faults when nobody said they changed (a standalone agent on SQLite has no NOTIFY). */
const FAULTS_TTL_MS = 1000;

/**
 * A fault on the whole node: `lease` `hang` (no task is leased), `lease` `fail` (a standalone
 * agent dies), `freeze` (a hung node: no tasks, no heartbeats, no periodic jobs).
 */
export type NodeFault = 'hang' | 'fail' | 'freeze';

/**
 * The faults the control API injected on this node, read from the database: per operation
 * for the fault-injecting driver, and on the whole node (NodeFault) for the agent's loop.
 */
export class InjectedFaults implements FaultSource {
  /**
   * Whether any fault is injected on this node, refreshed with the node fault: without faults
   * (the normal case) a driver call costs no extra database round trip.
   */
  present = true;
  private readAt = -Infinity;
  /** Bumped by changed(): a read that started before a change must not be cached after it. */
  private generation = 0;
  private cachedNodeFault: NodeFault | null = null;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly host: string,
  ) {}

  take(operation: string, serverId: string): Promise<InjectedFault | undefined> {
    return faults.takeFault(this.db, this.host, operation, serverId);
  }

  exists(id: string): Promise<boolean> {
    return faults.faultExists(this.db, id);
  }

  /**
   * This node's fault on the whole node. Read from the database at most every FAULTS_TTL_MS of
   * the injected clock, and at once after `changed()` (the control API calls it, in this
   * process or through NOTIFY): the agent's loop asks every round, and a round trip each time
   * was a fifth of a delete's latency on PostgreSQL.
   */
  async nodeFault(): Promise<NodeFault | null> {
    if (this.clock.now().getTime() - this.readAt < FAULTS_TTL_MS) return this.cachedNodeFault;
    const generation = this.generation;
    const rows = await faults.listFaults(this.db, this.host);
    const lease = rows.find((r) => r.operation === 'lease');
    // A kill wins over a freeze, a freeze over a held lease.
    const nodeFault: NodeFault | null =
      lease?.mode === 'fail' ? 'fail' : rows.some((r) => r.operation === 'freeze') ? 'freeze' : lease ? 'hang' : null;
    if (generation !== this.generation) return nodeFault; // changed meanwhile: the next round reads again
    this.readAt = this.clock.now().getTime();
    this.present = rows.length > 0;
    this.cachedNodeFault = nodeFault;
    return nodeFault;
  }

  /** Forgets the cached faults: the next round reads them again. */
  changed(): void {
    this.generation++;
    this.readAt = -Infinity;
    this.present = true;
  }
}
