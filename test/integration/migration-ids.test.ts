// GET /servers/{id}/migrations/{migration_id} (2.23) with ids no migration can have: Nova's 404
// on every dialect (PostgreSQL refuses to bind an integer beyond its 32-bit column, which must
// not surface as a 500), SQLite and PostgreSQL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud } from '../../src/testing/kit.js';
import { databaseTargets } from '../../src/testing/databases.js';

for (const target of databaseTargets()) {
  describe(`server migration ids out of range (${target.name})`, () => {
    let cloud: TestCloud;
    let db: { url: string; drop(): Promise<void> };
    before(async () => {
      db = await target.url();
      cloud = await TestCloud.start({ database: db.url });
    });
    after(async () => {
      await cloud?.close();
      await db?.drop();
    });

    test('2^31, 2^53+1 and a 30-digit id are not found, as an unknown small id is', async () => {
      const id = await cloud.createServer();
      for (const mid of ['99999', '2147483647', '2147483648', '9007199254740993', '123456789012345678901234567890']) {
        const res = await cloud.request('GET', `/v2.1/servers/${id}/migrations/${mid}`, { as: 'admin', mv: '2.23' });
        assert.equal(res.status, 404, `${mid}: ${res.text}`);
        assert.deepEqual(res.body, {
          itemNotFound: { code: 404, message: `In-progress live migration ${mid} is not found for server ${id}.` },
        });
      }
    });
  });
}
