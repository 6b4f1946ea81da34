import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL server tests may use (CI starts one); undefined when none is configured. */
export const TEST_PG_URL = process.env.STRATUS_TEST_DATABASE_URL;

/** Creates an empty database on the test PostgreSQL and returns its URL and a drop function. */
export async function freshPostgres(): Promise<{ url: string; drop(): Promise<void> }> {
  if (!TEST_PG_URL) throw new Error('STRATUS_TEST_DATABASE_URL is not set');
  const name = `stratus_test_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(TEST_PG_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: TEST_PG_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** The databases a contract suite runs against: SQLite always, PostgreSQL when configured. */
export function databaseTargets(): Array<{ name: string; url: () => Promise<{ url: string; drop(): Promise<void> }> }> {
  const out: Array<{ name: string; url: () => Promise<{ url: string; drop(): Promise<void> }> }> = [
    { name: 'sqlite', url: async () => ({ url: 'sqlite:', drop: async () => {} }) },
  ];
  if (TEST_PG_URL) out.push({ name: 'postgres', url: freshPostgres });
  else if (process.env.CI) throw new Error('CI must run the PostgreSQL suites: set STRATUS_TEST_DATABASE_URL');
  return out;
}
