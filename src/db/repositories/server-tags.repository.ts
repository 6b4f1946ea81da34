import type { ExpressionBuilder, SelectQueryBuilder } from 'kysely';
import type { Executor } from '../executor.js';
import type { Database } from '../schema.js';

/** The tag filters of a server list (Nova's TAG_SEARCH_FILTERS), each a list of tags. */
export interface TagFilters {
  /** `tags`: servers that have every one of them. */
  all?: string[];
  /** `tags-any`: servers that have at least one. */
  any?: string[];
  /** `not-tags`: servers that do not have all of them (having some is fine). */
  notAll?: string[];
  /** `not-tags-any`: servers that have none of them. */
  notAny?: string[];
}

/** The tags of each of `serverIds`, sorted (servers without tags are absent from the map). */
export async function tagsOfServers(ex: Executor, serverIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  // Chunks keep each statement under the dialects' bound-parameter limits.
  for (let i = 0; i < serverIds.length; i += 500) {
    const rows = await ex
      .selectFrom('server_tags')
      .select(['server_id', 'tag'])
      .where('server_id', 'in', serverIds.slice(i, i + 500))
      .orderBy('server_id')
      .orderBy('tag')
      .execute();
    for (const r of rows) {
      const list = out.get(r.server_id);
      if (list) list.push(r.tag);
      else out.set(r.server_id, [r.tag]);
    }
  }
  return out;
}

export async function tagsOfServer(ex: Executor, serverId: string): Promise<string[]> {
  return (await tagsOfServers(ex, [serverId])).get(serverId) ?? [];
}

/** Replaces every tag of a server with `tags` (already unique). */
export async function replaceTags(ex: Executor, serverId: string, tags: string[]): Promise<void> {
  await ex.deleteFrom('server_tags').where('server_id', '=', serverId).execute();
  if (tags.length)
    await ex
      .insertInto('server_tags')
      .values(tags.map((tag) => ({ server_id: serverId, tag })))
      .onConflict((oc) => oc.doNothing())
      .execute();
}

/** Adds one tag; false when the server already had it. */
export async function addTag(ex: Executor, serverId: string, tag: string): Promise<boolean> {
  const r = await ex
    .insertInto('server_tags')
    .values({ server_id: serverId, tag })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** Removes one tag; false when the server did not have it. */
export async function deleteTag(ex: Executor, serverId: string, tag: string): Promise<boolean> {
  const r = await ex
    .deleteFrom('server_tags')
    .where('server_id', '=', serverId)
    .where('tag', '=', tag)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function deleteAllTags(ex: Executor, serverId: string): Promise<void> {
  await ex.deleteFrom('server_tags').where('server_id', '=', serverId).execute();
}

/** Tags of servers that no longer exist (`stratus db purge` removed them). */
export async function purgeOrphanTags(ex: Executor): Promise<void> {
  await ex
    .deleteFrom('server_tags')
    .where((eb) =>
      eb.not(eb.exists(eb.selectFrom('servers').select('id').whereRef('servers.id', '=', 'server_tags.server_id'))),
    )
    .execute();
}

type ServersQuery<O> = SelectQueryBuilder<Database, 'servers', O>;

/**
 * Adds the tag filters to a servers query, as Nova's instance_get_all_by_filters_sort: each
 * filter is one indexed subquery on server_tags (no join, so no duplicate rows).
 */
export function whereTags<O>(q: ServersQuery<O>, f: TagFilters | undefined): ServersQuery<O> {
  if (!f) return q;
  const withAll = (eb: ExpressionBuilder<Database, 'servers'>, tags: string[]) => {
    const unique = [...new Set(tags)];
    return eb
      .selectFrom('server_tags')
      .select('server_tags.server_id')
      .where('server_tags.tag', 'in', unique)
      .groupBy('server_tags.server_id')
      .having((h) => h.fn.countAll(), '=', unique.length);
  };
  const withAny = (eb: ExpressionBuilder<Database, 'servers'>, tags: string[]) =>
    eb
      .selectFrom('server_tags')
      .select('server_tags.server_id')
      .whereRef('server_tags.server_id', '=', 'servers.id')
      .where('server_tags.tag', 'in', [...new Set(tags)]);
  if (f.all?.length) q = q.where((eb) => eb('servers.id', 'in', withAll(eb, f.all!)));
  if (f.any?.length) q = q.where((eb) => eb.exists(withAny(eb, f.any!)));
  if (f.notAll?.length) q = q.where((eb) => eb('servers.id', 'not in', withAll(eb, f.notAll!)));
  if (f.notAny?.length) q = q.where((eb) => eb.not(eb.exists(withAny(eb, f.notAny!))));
  return q;
}
