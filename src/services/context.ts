import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Database } from '../db/schema.js';
import type { Policy } from '../policy/policy.js';
import type { Clock, Ids } from '../domain/clock.js';
import type { Transact } from '../db/dialects/transact.js';
import type { TaskDispatcher } from '../tasks/dispatcher.js';

/** What every use case needs, built once at start-up and passed in. */
export interface Deps {
  db: Kysely<Database>;
  /** Write transactions go through here (group commit on SQLite). */
  transact: Transact;
  policy: Policy;
  clock: Clock;
  ids: Ids;
  config: Config;
  log: Logger;
  /** Enqueues tasks for compute nodes and delivers them after the commit. */
  tasks: TaskDispatcher;
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
