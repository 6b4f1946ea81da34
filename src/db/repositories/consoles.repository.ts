import type { Selectable } from 'kysely';
import type { Executor } from '../executor.js';
import type { ConsoleAuthTokensTable } from '../schema.js';

export type ConsoleTokenRow = Selectable<ConsoleAuthTokensTable>;

export async function insertConsoleToken(ex: Executor, row: ConsoleTokenRow): Promise<void> {
  await ex.insertInto('console_auth_tokens').values(row).execute();
}

/** The token row of `tokenHash`, expired or not (the caller decides what an expired one means). */
export async function getConsoleToken(ex: Executor, tokenHash: string): Promise<ConsoleTokenRow | undefined> {
  return ex.selectFrom('console_auth_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

/** Drops the tokens that expired before `before` (ISO timestamps compare as strings); returns how many. */
export async function deleteConsoleTokensExpiredBefore(ex: Executor, before: string): Promise<number> {
  const res = await ex.deleteFrom('console_auth_tokens').where('expires_at', '<', before).executeTakeFirst();
  return Number(res.numDeletedRows);
}
