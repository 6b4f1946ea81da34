import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Database } from '../db/schema.js';
import type { Dialect } from '../db/dialects/index.js';
import type { Transact } from '../db/dialects/transact.js';
import type { Clock, Ids } from '../domain/clock.js';
import type { TaskDispatcher } from '../tasks/dispatcher.js';

/** What a compute agent uses, and no more. */
export interface AgentDeps {
  db: Kysely<Database>;
  dialect: Dialect;
  transact: Transact;
  clock: Clock;
  ids: Ids;
  log: Logger;
  config: Pick<
    Config,
    | 'reportInterval'
    | 'taskLease'
    | 'reclaimInstanceInterval'
    | 'zone'
    | 'resizeConfirmWindow'
    | 'data'
    | 'shelvedOffloadTime'
  >;
  /** The agent registers with it to receive its tasks. */
  tasks: TaskDispatcher;
}
