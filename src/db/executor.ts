import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

/** What repositories take first: the database or an open transaction. */
export type Executor = Kysely<Database> | Transaction<Database>;
