import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import type { Database } from '../../db/schema.js';
import type { Dialect } from '../../db/dialects/index.js';
import type { Policy } from '../../policy/policy.js';
import type { Clock, Ids } from '../../domain/clock.js';
import type { Transact } from '../../db/dialects/transact.js';
import type { TasksTable } from '../../db/schema.js';

/** What every use case needs, built once at start-up and passed in. */
export interface Deps {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Write transactions go through here (group commit on SQLite). */
  transact: Transact;
  policy: Policy;
  clock: Clock;
  ids: Ids;
  config: Config;
  log: Logger;
  /** Tells the agent of `host` that a task is waiting (they also poll). */
  wake(host: string): void;
  /** The lease owner of `host`'s agent when it runs in this process and can take tasks directly. */
  localOwner(host: string): string | null;
  /** Gives a committed task leased to a local agent (see localOwner) to that agent. */
  handOver(task: TasksTable): void;
  /** Tells in-process agents that the injected faults of `host` (null: any host) changed. */
  faultsChanged(host: string | null): void;
}

/** The authenticated caller of a request (Nova's RequestContext). */
export interface Caller {
  userId: string;
  projectId: string;
  roles: string[];
  /** `context_is_admin` evaluated at authentication, as Nova does. */
  isAdmin: boolean;
  requestId: string;
}

export function credentialsOf(c: Caller) {
  return { user_id: c.userId, project_id: c.projectId, roles: c.roles, is_admin: c.isAdmin };
}
