import { type Kysely, sql } from 'kysely';

/**
 * A cheap "did any table change?" check for tests that assert a request changed nothing, plus
 * the full row sets to say what changed when it did.
 *
 * `check()` is ONE statement whatever the number of tables (the route fuzz runs it after every
 * refused request: one SELECT per table cost ~40 round trips per request on PostgreSQL). It
 * returns one value per table: on PostgreSQL its row count and the sum of its row versions'
 * transaction ids (xmin: an insert, update or delete changes them), on SQLite
 * (in process: no round trip) the row texts themselves, each row an injective encoding of its
 * values (quote() of every column). Equal checks mean equal tables. A different check may be a
 * false alarm (a write of excluded columns only, an update to the same values, SQLite's scan
 * order after a delete and re-insert): `full()` then decides, and is what the caller diffs and
 * reports.
 *
 * `exclude` names columns left out per table (what a background writer such as the heartbeat
 * changes); tables matching /kysely/ (the migrator's) are skipped.
 */
export interface DbFingerprint {
  tables: string[];
  check(): Promise<string[]>;
  /** Every table's rows as sorted canonical texts, and the check() values of the same moment. */
  full(): Promise<{ check: string[]; rows: Map<string, string[]> }>;
}

export async function dbFingerprint(
  // biome-ignore lint/suspicious/noExplicitAny: any table of any schema
  db: Kysely<any>,
  opts: { postgres: boolean; exclude?: Record<string, string[]> },
): Promise<DbFingerprint> {
  const exclude = opts.exclude ?? {};
  const meta = (await db.introspection.getTables()).filter((t) => !/kysely/i.test(t.name));
  meta.sort((a, b) => a.name.localeCompare(b.name));
  const tables = meta.map((t) => t.name);
  const q = (id: string) => `"${id.replace(/"/g, '""')}"`;
  let checkSql: string;
  let fullSql: string;
  if (opts.postgres) {
    const rowText = (t: string) =>
      `(to_jsonb(x)${(exclude[t] ?? []).map((c) => ` - '${c.replace(/'/g, "''")}'`).join('')})::text`;
    // A write replaces or adds row versions stamped with its transaction id (xmin), a delete
    // removes some: the count and the sum of the xmins of the visible versions change with any
    // of them (a version is replaced only by a later transaction's, whatever the commit order),
    // without serialising a row. A write of excluded columns only (the heartbeat) is a false
    // alarm that full() then clears.
    const version = (t: string) => `(SELECT count(*) || ':' || coalesce(sum(xmin::text::bigint), 0) FROM ${q(t)})`;
    checkSql = `SELECT ARRAY[${tables.map(version).join(', ') || "''"}]::text[] AS c`;
    const rows = (t: string) => `(SELECT coalesce(array_agg(${rowText(t)}), '{}') FROM ${q(t)} x)`;
    fullSql = `SELECT ${checkSql.slice('SELECT '.length)}, ARRAY[${tables.map((t) => `array_to_json(${rows(t)})::text`).join(', ') || "''"}]::text[] AS f`;
  } else {
    const rowText = (t: { name: string; columns: Array<{ name: string }> }) =>
      t.columns
        .filter((c) => !(exclude[t.name] ?? []).includes(c.name))
        .map((c) => `quote(${q(c.name)})`)
        .join(` || ',' || `) || "''";
    const text = (t: (typeof meta)[number]) =>
      `(SELECT coalesce(group_concat(${rowText(t)}, char(10)), '') FROM ${q(t.name)})`;
    checkSql = `SELECT ${meta.map((t, i) => `${text(t)} AS c${i}`).join(', ') || "'' AS c0"}`;
    const rows = (t: (typeof meta)[number]) =>
      `(SELECT coalesce(json_group_array(${rowText(t)}), '[]') FROM ${q(t.name)})`;
    fullSql = `SELECT ${meta.map((t, i) => `${text(t)} AS c${i}, ${rows(t)} AS f${i}`).join(', ') || "'' AS c0"}`;
  }
  const one = async (s: string) => (await sql.raw<Record<string, unknown>>(s).execute(db)).rows[0] ?? {};
  const sorted = (texts: string[]) => [...texts].sort();
  return {
    tables,
    async check() {
      const row = await one(checkSql);
      return opts.postgres ? (row.c as string[]) : tables.map((_t, i) => row[`c${i}`] as string);
    },
    async full() {
      const row = await one(fullSql);
      const rows = new Map<string, string[]>();
      if (opts.postgres) {
        const f = row.f as string[];
        for (const [i, t] of tables.entries()) rows.set(t, sorted(JSON.parse(f[i]) as string[]));
        return { check: row.c as string[], rows };
      }
      for (const [i, t] of tables.entries()) rows.set(t, sorted(JSON.parse(row[`f${i}`] as string) as string[]));
      return { check: tables.map((_t, i) => row[`c${i}`] as string), rows };
    },
  };
}

/** What differs between two `full()` row sets (null: nothing), for a failure message. */
export function diffRows(a: Map<string, string[]>, b: Map<string, string[]>, clip = 300): string | null {
  const parts: string[] = [];
  for (const [t, rowsA] of a) {
    const rowsB = b.get(t) ?? [];
    const setA = new Set(rowsA);
    const setB = new Set(rowsB);
    const gone = rowsA.filter((r) => !setB.has(r));
    const added = rowsB.filter((r) => !setA.has(r));
    if (gone.length || added.length) {
      const e = added[0] ?? gone[0];
      parts.push(`${t}: -${gone.length} +${added.length} e.g. ${e.length > clip ? `${e.slice(0, clip)}…` : e}`);
    }
  }
  return parts.length ? parts.join('; ') : null;
}
