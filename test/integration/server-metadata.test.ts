// Server metadata (/servers/{id}/metadata[/{key}]) and tags (/servers/{id}/tags[/{tag}], 2.26),
// metadata and tags on create, the view's tags and the tag list filters; SQLite and PostgreSQL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud, type HttpResult, type Persona } from '../../src/testing/kit.js';
import { databaseTargets } from '../../src/testing/databases.js';

const FAULT_KEYS: Record<number, string> = {
  400: 'badRequest',
  403: 'forbidden',
  404: 'itemNotFound',
  409: 'conflictingRequest',
};
const fault = (code: number, message: string) => ({ [FAULT_KEYS[code]]: { code, message } });
function expectFault(res: HttpResult, code: number, message: string) {
  assert.equal(res.status, code, res.text);
  assert.deepEqual(res.body, fault(code, message));
}
const policy = (rule: string) => `Policy doesn't allow ${rule} to be performed.`;
const KEY_RE = "'^[a-zA-Z0-9-_:. ]{1,255}$'";

for (const target of databaseTargets()) {
  describe(`server metadata and tags (${target.name})`, () => {
    let cloud: TestCloud;
    let db: { url: string; drop(): Promise<void> };
    let image: string;
    before(async () => {
      db = await target.url();
      // Nova's default metadata_items limit (the demo cloud has none).
      cloud = await TestCloud.start({ database: db.url, quotaMetadataItems: 128 });
      image = (await cloud.request('GET', '/image/v2/images', { as: 'member' })).body.images[0].id;
    });
    after(async () => {
      await cloud?.close();
      await db?.drop();
    });

    const req = (
      method: string,
      path: string,
      opts: { as?: Persona; body?: unknown; mv?: string; rawBody?: string; token?: string } = {},
    ) => cloud.request(method, `/v2.1${path}`, { as: 'member', ...opts });
    const create = (server: Record<string, unknown>, mv = '2.52', as: Persona = 'member') =>
      cloud.request('POST', '/v2.1/servers', {
        as,
        mv,
        body: { server: { name: 'md', imageRef: image, flavorRef: '1', networks: 'none', ...server } },
      });
    async function server(extra: Record<string, unknown> = {}, opts: { wait?: boolean } = {}) {
      const res = await create(extra);
      assert.equal(res.status, 202, res.text);
      if (opts.wait !== false) await cloud.drain();
      return res.body.server.id as string;
    }
    const action = (id: string, body: unknown, as: Persona = 'member') =>
      req('POST', `/servers/${id}/action`, { as, body, mv: '2.73' });
    /** Holds the compute node's work (it leases nothing) until `release`, to see the states in between. */
    async function holdTasks() {
      const res = await cloud.request('POST', '/stratus/v1/faults', {
        as: 'admin',
        body: { fault: { host: 'compute-test', operation: 'lease', mode: 'hang' } },
      });
      assert.equal(res.status, 201, res.text);
    }
    async function release() {
      assert.equal((await cloud.request('DELETE', '/stratus/v1/faults', { as: 'admin' })).status, 204);
      await cloud.drain();
    }

    describe('metadata', () => {
      let id: string;
      before(async () => {
        id = await server({ metadata: { a: '1', b: '2' } });
      });

      test('GET /metadata lists what create gave; GET /metadata/{key} shows one item', async () => {
        const all = await req('GET', `/servers/${id}/metadata`, { as: 'reader' });
        assert.equal(all.status, 200);
        assert.deepEqual(all.body, { metadata: { a: '1', b: '2' } });
        const one = await req('GET', `/servers/${id}/metadata/a`, { as: 'reader' });
        assert.equal(one.status, 200);
        assert.deepEqual(one.body, { meta: { a: '1' } });
        expectFault(await req('GET', `/servers/${id}/metadata/zz`), 404, 'Metadata item was not found');
      });

      test('POST merges, PUT replaces, PUT /{key} sets one, DELETE /{key} removes one', async () => {
        const merged = await req('POST', `/servers/${id}/metadata`, { body: { metadata: { b: 'B', c: '3' } } });
        assert.equal(merged.status, 200);
        assert.deepEqual(merged.body, { metadata: { a: '1', b: 'B', c: '3' } });
        const replaced = await req('PUT', `/servers/${id}/metadata`, {
          body: { metadata: { x: 'y', 'k.1:z_ -': '' } },
        });
        assert.equal(replaced.status, 200);
        assert.deepEqual(replaced.body, { metadata: { x: 'y', 'k.1:z_ -': '' } });
        const item = await req('PUT', `/servers/${id}/metadata/n`, { body: { meta: { n: 'v' } } });
        assert.equal(item.status, 200);
        assert.deepEqual(item.body, { meta: { n: 'v' } });
        const del = await req('DELETE', `/servers/${id}/metadata/x`);
        assert.equal(del.status, 204);
        assert.equal(del.text, '');
        expectFault(await req('DELETE', `/servers/${id}/metadata/x`), 404, 'Metadata item was not found');
        const shown = await cloud.server(id, 'member', '2.1');
        assert.deepEqual(shown.body.server.metadata, { 'k.1:z_ -': '', n: 'v' });
        const empty = await req('PUT', `/servers/${id}/metadata`, { body: { metadata: {} } });
        assert.deepEqual(empty.body, { metadata: {} });
        assert.deepEqual((await req('GET', `/servers/${id}/metadata`)).body, { metadata: {} });
      });

      test('PUT /metadata/{key}: the body names exactly the key of the URL', async () => {
        expectFault(
          await req('PUT', `/servers/${id}/metadata/a`, { body: { meta: { b: '1' } } }),
          400,
          'Request body and URI mismatch',
        );
        expectFault(
          await req('PUT', `/servers/${id}/metadata/a`, { body: { meta: { a: '1', b: '2' } } }),
          400,
          "Invalid input for field/attribute meta. Value: {'a': '1', 'b': '2'}. {'a': '1', 'b': '2'} has too many properties",
        );
        expectFault(
          await req('PUT', `/servers/${id}/metadata/a`, { body: { meta: {} } }),
          400,
          'Invalid input for field/attribute meta. Value: {}. {} should be non-empty',
        );
        expectFault(
          await req('PUT', `/servers/${id}/metadata/a`, { body: { metadata: { a: '1' } } }),
          400,
          "'meta' is a required property",
        );
      });

      test("bad bodies: Nova's validator messages", async () => {
        const cases: Array<[unknown, string]> = [
          [{}, "'metadata' is a required property"],
          [{ metadata: {}, extra: 1 }, "Additional properties are not allowed ('extra' was unexpected)"],
          [[], "[] is not of type 'object'"],
          [{ metadata: [] }, "Invalid input for field/attribute metadata. Value: []. [] is not of type 'object'"],
          [{ metadata: 'x' }, "Invalid input for field/attribute metadata. Value: x. 'x' is not of type 'object'"],
          [{ metadata: { a: 1 } }, "Invalid input for field/attribute a. Value: 1. 1 is not of type 'string'"],
          [{ metadata: { a: null } }, "Invalid input for field/attribute a. Value: None. None is not of type 'string'"],
          [
            { metadata: { a: 'v'.repeat(256) } },
            `Invalid input for field/attribute a. Value: ${'v'.repeat(256)}. '${'v'.repeat(256)}' is too long`,
          ],
          [
            { metadata: { 'a/b': 'c' } },
            `Invalid input for field/attribute metadata. Value: {'a/b': 'c'}. 'a/b' does not match any of the regexes: ${KEY_RE}`,
          ],
          [
            { metadata: { '': 'c', 'x,y': "it's" } },
            `Invalid input for field/attribute metadata. Value: {'': 'c', 'x,y': "it's"}. '', 'x,y' do not match any of the regexes: ${KEY_RE}`,
          ],
          [
            { metadata: { ['k'.repeat(256)]: 'c' } },
            `Invalid input for field/attribute metadata. Value: {'${'k'.repeat(256)}': 'c'}. '${'k'.repeat(256)}' does not match any of the regexes: ${KEY_RE}`,
          ],
        ];
        for (const [body, message] of cases) {
          for (const method of ['POST', 'PUT']) {
            expectFault(await req(method, `/servers/${id}/metadata`, { body }), 400, message);
          }
        }
        expectFault(await req('POST', `/servers/${id}/metadata`), 400, "None is not of type 'object'");
        expectFault(
          await req('PUT', `/servers/${id}/metadata`, { rawBody: '{"metadata":' }),
          400,
          'Malformed request body',
        );
      });

      test('the metadata_items limit (128): 403 over it, for POST (merged), PUT and PUT /{key}', async () => {
        const items = (n: number, prefix = 'k') =>
          Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, 'v']));
        const over = 'Maximum number of metadata items exceeds 128';
        expectFault(await req('PUT', `/servers/${id}/metadata`, { body: { metadata: items(129) } }), 403, over);
        const full = await req('PUT', `/servers/${id}/metadata`, { body: { metadata: items(128) } });
        assert.equal(full.status, 200);
        assert.equal(Object.keys(full.body.metadata).length, 128);
        expectFault(await req('POST', `/servers/${id}/metadata`, { body: { metadata: { new: 'v' } } }), 403, over);
        expectFault(await req('PUT', `/servers/${id}/metadata/new`, { body: { meta: { new: 'v' } } }), 403, over);
        // Changing an existing key keeps the count.
        const same = await req('POST', `/servers/${id}/metadata`, { body: { metadata: { k0: 'changed' } } });
        assert.equal(same.status, 200);
        assert.equal(same.body.metadata.k0, 'changed');
        await req('PUT', `/servers/${id}/metadata`, { body: { metadata: {} } });
        // GET /limits reports the same limit.
        assert.equal((await req('GET', '/limits')).body.limits.absolute.maxServerMeta, 128);
      });

      test('persona matrix: readers read, members and admins write, another project sees 404, no token 401', async () => {
        const notFound = `Instance ${id} could not be found.`;
        for (const as of ['admin', 'member', 'reader'] as const) {
          assert.equal((await req('GET', `/servers/${id}/metadata`, { as })).status, 200, as);
        }
        expectFault(await req('GET', `/servers/${id}/metadata`, { as: 'other' }), 404, notFound);
        expectFault(await req('GET', `/servers/${id}/metadata/a`, { as: 'other' }), 404, notFound);
        const writes: Array<[string, string, unknown, string]> = [
          ['POST', '', { metadata: { r: '1' } }, 'create'],
          ['PUT', '', { metadata: { r: '1' } }, 'update_all'],
          ['PUT', '/r', { meta: { r: '1' } }, 'update'],
          ['DELETE', '/r', undefined, 'delete'],
        ];
        for (const [method, suffix, body, rule] of writes) {
          expectFault(
            await req(method, `/servers/${id}/metadata${suffix}`, { as: 'reader', body }),
            403,
            policy(`os_compute_api:server-metadata:${rule}`),
          );
          expectFault(await req(method, `/servers/${id}/metadata${suffix}`, { as: 'other', body }), 404, notFound);
        }
        const admin = await req('POST', `/servers/${id}/metadata`, { as: 'admin', body: { metadata: { r: 'admin' } } });
        assert.equal(admin.status, 200);
        assert.equal((await req('DELETE', `/servers/${id}/metadata/r`, { as: 'member' })).status, 204);
        const anon = await cloud.request('GET', `/v2.1/servers/${id}/metadata`);
        assert.equal(anon.status, 401);
        expectFault(
          await req('GET', '/servers/00000000-0000-0000-0000-000000000000/metadata'),
          404,
          'Instance 00000000-0000-0000-0000-000000000000 could not be found.',
        );
        expectFault(
          await req('POST', '/servers/not-a-uuid/metadata', { body: { metadata: {} } }),
          404,
          'Instance not-a-uuid could not be found.',
        );
        assert.equal((await req('PATCH', `/servers/${id}/metadata`)).status, 405);
        assert.equal((await req('POST', `/servers/${id}/metadata/a`)).status, 405);
      });

      test('a locked server refuses metadata writes but an admin’s (409 "is locked")', async () => {
        const sid = await server({ metadata: { a: '1' } });
        assert.equal((await action(sid, { lock: null })).status, 202);
        const locked = `Instance ${sid} is locked`;
        expectFault(await req('POST', `/servers/${sid}/metadata`, { body: { metadata: { b: '2' } } }), 409, locked);
        expectFault(await req('PUT', `/servers/${sid}/metadata`, { body: { metadata: {} } }), 409, locked);
        expectFault(await req('PUT', `/servers/${sid}/metadata/a`, { body: { meta: { a: '2' } } }), 409, locked);
        expectFault(await req('DELETE', `/servers/${sid}/metadata/a`), 409, locked);
        // A missing key is 404 before the lock is looked at (Nova's order).
        expectFault(await req('DELETE', `/servers/${sid}/metadata/zz`), 404, 'Metadata item was not found');
        const admin = await req('PUT', `/servers/${sid}/metadata/a`, { as: 'admin', body: { meta: { a: 'admin' } } });
        assert.equal(admin.status, 200);
        assert.equal((await req('DELETE', `/servers/${sid}/metadata/a`, { as: 'admin' })).status, 204);
      });

      test('states: stopped, paused and suspended servers take metadata; others are 409', async () => {
        const sid = await server();
        await holdTasks();
        assert.equal((await action(sid, { 'os-stop': null })).status, 202);
        // While the stop is under way the task_state refuses the change.
        expectFault(
          await req('POST', `/servers/${sid}/metadata`, { body: { metadata: { a: '1' } } }),
          409,
          `Cannot 'update metadata' instance ${sid} while it is in task_state powering-off`,
        );
        await release();
        assert.equal((await req('POST', `/servers/${sid}/metadata`, { body: { metadata: { a: '1' } } })).status, 200);
        assert.equal((await action(sid, { 'os-start': null })).status, 202);
        await cloud.drain();
        for (const [act, back] of [
          ['pause', 'unpause'],
          ['suspend', 'resume'],
        ]) {
          assert.equal((await action(sid, { [act]: null })).status, 202);
          await cloud.drain();
          assert.equal(
            (await req('PUT', `/servers/${sid}/metadata/${act}`, { body: { meta: { [act]: 'y' } } })).status,
            200,
          );
          assert.equal((await action(sid, { [back]: null })).status, 202);
          await cloud.drain();
        }
        // Nova default shelved_offload_time 0: offloaded at once.
        assert.equal((await action(sid, { shelve: null })).status, 202);
        await cloud.drain();
        expectFault(
          await req('POST', `/servers/${sid}/metadata`, { body: { metadata: { a: '1' } } }),
          409,
          `Cannot 'update metadata' instance ${sid} while it is in vm_state shelved_offloaded`,
        );
        expectFault(
          await req('DELETE', `/servers/${sid}/metadata/a`),
          409,
          `Cannot 'delete metadata' instance ${sid} while it is in vm_state shelved_offloaded`,
        );
        assert.equal((await action(sid, { 'os-resetState': { state: 'error' } }, 'admin')).status, 202);
        expectFault(
          await req('PUT', `/servers/${sid}/metadata`, { as: 'admin', body: { metadata: {} } }),
          409,
          `Cannot 'update metadata' instance ${sid} while it is in vm_state error`,
        );
      });

      test('a building server is 409; one that never launched gets the generic text', async () => {
        await holdTasks();
        const sid = await server({}, { wait: false });
        expectFault(
          await req('POST', `/servers/${sid}/metadata`, { body: { metadata: { a: '1' } } }),
          409,
          `Cannot 'update metadata' instance ${sid} while it is in vm_state building`,
        );
        assert.equal((await action(sid, { 'os-resetState': { state: 'active' } }, 'admin')).status, 202);
        expectFault(
          await req('POST', `/servers/${sid}/metadata`, { body: { metadata: { a: '1' } } }),
          409,
          `Instance ${sid} is in an invalid state for 'update metadata'`,
        );
        await release();
      });

      test('create: metadata over the limit is 403, a bad key 400', async () => {
        const metadata = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`k${i}`, 'v']));
        expectFault(await create({ metadata }), 403, 'Maximum number of metadata items exceeds 128');
        const bad = await create({ metadata: { 'a/b': 'c' } });
        assert.equal(bad.status, 400);
        assert.equal(bad.body.badRequest.code, 400);
        const ok = await create({ metadata: Object.fromEntries(Object.entries(metadata).slice(0, 128)) });
        assert.equal(ok.status, 202);
      });
    });

    describe('tags (2.26)', () => {
      let id: string;
      before(async () => {
        id = await server();
      });
      const tags = (path: string, method = 'GET', opts: { as?: Persona; body?: unknown; mv?: string } = {}) =>
        req(method, `/servers/${id}/tags${path}`, { mv: '2.26', ...opts });

      test('before 2.26 every tags route is 404', async () => {
        for (const [method, path] of [
          ['GET', ''],
          ['PUT', ''],
          ['DELETE', ''],
          ['GET', '/a'],
          ['PUT', '/a'],
          ['DELETE', '/a'],
        ]) {
          expectFault(
            await tags(path, method, { mv: '2.25', body: method === 'PUT' && !path ? { tags: [] } : undefined }),
            404,
            'The resource could not be found.',
          );
        }
      });

      test('PUT /tags replaces (unique, sorted); GET lists; PUT /{tag} adds (201 + Location, then 204)', async () => {
        const put = await tags('', 'PUT', { body: { tags: ['b', 'a', 'b', 'with space'] } });
        assert.equal(put.status, 200);
        assert.deepEqual(put.body, { tags: ['a', 'b', 'with space'] });
        assert.deepEqual((await tags('', 'GET', { as: 'reader' })).body, { tags: ['a', 'b', 'with space'] });
        const add = await tags('/c');
        assert.equal(add.status, 404);
        const created = await tags('/c', 'PUT');
        assert.equal(created.status, 201);
        assert.equal(created.text, '');
        assert.equal(created.headers.get('location'), `${cloud.url}/v2.1/servers/${id}/tags/c`);
        const again = await tags('/c', 'PUT');
        assert.equal(again.status, 204);
        const withProject = await cloud.request('PUT', `/v2.1/${cloud.projects.member}/servers/${id}/tags/d`, {
          as: 'member',
          mv: '2.26',
        });
        assert.equal(withProject.status, 201);
        assert.equal(
          withProject.headers.get('location'),
          `${cloud.url}/v2.1/${cloud.projects.member}/servers/${id}/tags/d`,
        );
        assert.equal((await tags('/c', 'GET', { as: 'reader' })).status, 204);
        assert.deepEqual((await tags('')).body, { tags: ['a', 'b', 'c', 'd', 'with space'] });
      });

      test('GET and DELETE of a missing tag are 404; DELETE /tags empties', async () => {
        expectFault(await tags('/nope'), 404, `Server ${id} has no tag 'nope'`);
        const del = await tags('/c', 'DELETE');
        assert.equal(del.status, 204);
        expectFault(await tags('/c', 'DELETE'), 404, `Instance ${id} has no tag 'c'`);
        const all = await tags('', 'DELETE');
        assert.equal(all.status, 204);
        assert.deepEqual((await tags('')).body, { tags: [] });
        assert.equal((await tags('', 'DELETE')).status, 204);
      });

      test('tag validation: no "/" or ",", 1..60 characters, at most 50', async () => {
        const invalidTag = (t: string, why: string) =>
          `Tag '${t}' is invalid. It must be a non empty string without characters '/' and ','. Validation error message: ${why}`;
        expectFault(await tags('/a,b', 'PUT'), 400, invalidTag('a,b', "'a,b' does not match '^[^,/]*$'"));
        expectFault(await tags('/a%2Fb', 'PUT'), 400, invalidTag('a/b', "'a/b' does not match '^[^,/]*$'"));
        const long = 't'.repeat(61);
        expectFault(await tags(`/${long}`, 'PUT'), 400, invalidTag(long, `'${long}' is too long`));
        assert.equal((await tags(`/${'t'.repeat(60)}`, 'PUT')).status, 201);
        expectFault(await tags('/x', 'PUT', { body: {} }), 400, "{} is not of type 'null'");
        const bodies: Array<[unknown, string]> = [
          [{}, "'tags' is a required property"],
          [{ tags: [], x: 1 }, "Additional properties are not allowed ('x' was unexpected)"],
          [{ tags: 'a' }, "Invalid input for field/attribute tags. Value: a. 'a' is not of type 'array'"],
          [{ tags: ['ok', 'a/b'] }, "Invalid input for field/attribute 1. Value: a/b. 'a/b' does not match '^[^,/]*$'"],
          [{ tags: [''] }, "Invalid input for field/attribute 0. Value: . '' should be non-empty"],
          [{ tags: [long] }, `Invalid input for field/attribute 0. Value: ${long}. '${long}' is too long`],
          [{ tags: [1] }, "Invalid input for field/attribute 0. Value: 1. 1 is not of type 'string'"],
        ];
        for (const [body, message] of bodies) expectFault(await tags('', 'PUT', { body }), 400, message);
        const fifty = Array.from({ length: 50 }, (_, i) => `t${i}`);
        const over = [...fifty, 'one-more'];
        expectFault(
          await tags('', 'PUT', { body: { tags: over } }),
          400,
          `Invalid input for field/attribute tags. Value: [${over.map((t) => `'${t}'`).join(', ')}]. [${over.map((t) => `'${t}'`).join(', ')}] is too long`,
        );
        assert.equal((await tags('', 'PUT', { body: { tags: fifty } })).status, 200);
        const limit = 'The number of tags exceeded the per-server limit 50';
        expectFault(await tags('/one-more', 'PUT'), 400, limit);
        // Nova counts before it looks: even a tag the server has is refused at the limit.
        expectFault(await tags('/t0', 'PUT'), 400, limit);
        assert.equal((await tags('', 'DELETE')).status, 204);
      });

      test('persona matrix: readers read, members write, another project 404, no token 401', async () => {
        await tags('', 'PUT', { body: { tags: ['p'] } });
        const notFound = `Instance ${id} could not be found.`;
        for (const as of ['admin', 'member', 'reader'] as const) {
          assert.equal((await tags('', 'GET', { as })).status, 200, as);
          assert.equal((await tags('/p', 'GET', { as })).status, 204, as);
        }
        const writes: Array<[string, string, unknown, string]> = [
          ['PUT', '', { tags: [] }, 'update_all'],
          ['DELETE', '', undefined, 'delete_all'],
          ['PUT', '/q', undefined, 'update'],
          ['DELETE', '/p', undefined, 'delete'],
        ];
        for (const [method, path, body, rule] of writes) {
          expectFault(
            await tags(path, method, { as: 'reader', body }),
            403,
            policy(`os_compute_api:os-server-tags:${rule}`),
          );
        }
        for (const [method, path, body] of [...writes, ['GET', '', undefined], ['GET', '/p', undefined]] as const) {
          expectFault(await tags(path, method, { as: 'other', body }), 404, notFound);
        }
        assert.equal((await tags('/admin', 'PUT', { as: 'admin' })).status, 201);
        assert.equal((await cloud.request('GET', `/v2.1/servers/${id}/tags`, { mv: '2.26' })).status, 401);
        expectFault(
          await req('GET', '/servers/not-a-uuid/tags', { mv: '2.26' }),
          404,
          'Instance not-a-uuid could not be found.',
        );
        assert.equal((await tags('', 'POST')).status, 405);
        assert.equal((await tags('/p', 'POST')).status, 405);
        await tags('', 'DELETE');
      });

      test('states: tags change in ACTIVE, STOPPED, PAUSED, SUSPENDED and while locked; 409 otherwise', async () => {
        const sid = await server();
        const t = (path: string, method: string, body?: unknown, as: Persona = 'member') =>
          req(method, `/servers/${sid}/tags${path}`, { mv: '2.26', body, as });
        assert.equal((await action(sid, { lock: null })).status, 202);
        assert.equal((await t('/locked', 'PUT')).status, 201);
        assert.equal((await action(sid, { unlock: null })).status, 202);
        await holdTasks();
        assert.equal((await action(sid, { 'os-stop': null })).status, 202);
        // No task_state check for tags (server_tags.py looks at vm_state only).
        assert.equal((await t('/stopping', 'PUT')).status, 201);
        await release();
        assert.equal((await t('/stopped', 'PUT')).status, 201);
        assert.equal((await action(sid, { shelve: null })).status, 202);
        await cloud.drain();
        const msg = (what: string) => `Cannot '${what}' instance ${sid} while it is in vm_state shelved_offloaded`;
        expectFault(await t('', 'PUT', { tags: [] }), 409, msg('update tags'));
        expectFault(await t('/x', 'PUT'), 409, msg('update tag'));
        expectFault(await t('/stopped', 'DELETE'), 409, msg('delete tag'));
        expectFault(await t('', 'DELETE'), 409, msg('delete tags'));
        // Nova's order: the state before the tag's own validity.
        expectFault(await t('/a,b', 'PUT'), 409, msg('update tag'));
        assert.deepEqual((await t('', 'GET')).body, { tags: ['locked', 'stopped', 'stopping'] });
        assert.equal((await t('/stopped', 'GET')).status, 204);
      });

      test('the server view shows tags from 2.26; create takes them from 2.52', async () => {
        const sid = await server({ tags: ['z', 'a', 'z'] });
        assert.deepEqual((await cloud.server(sid, 'member', '2.26')).body.server.tags, ['a', 'z']);
        assert.equal('tags' in (await cloud.server(sid, 'member', '2.25')).body.server, false);
        const detail = await req('GET', '/servers/detail', { mv: '2.26' });
        assert.deepEqual(detail.body.servers.find((s: { id: string }) => s.id === sid).tags, ['a', 'z']);
        const put = await req('PUT', `/servers/${sid}`, { mv: '2.26', body: { server: { name: 'renamed' } } });
        assert.deepEqual(put.body.server.tags, ['a', 'z']);
        expectFault(
          await create({ tags: ['a'] }, '2.51'),
          400,
          "Invalid input for field/attribute server. Additional properties are not allowed ('tags' was unexpected)",
        );
        for (const bad of [['a/b'], [''], ['t'.repeat(61)], Array.from({ length: 51 }, (_, i) => `t${i}`)]) {
          const res = await create({ tags: bad });
          assert.equal(res.status, 400, JSON.stringify(bad));
          assert.equal(res.body.badRequest.code, 400);
        }
        const many = await create({ tags: ['m'], min_count: 2 });
        assert.equal(many.status, 202);
        await cloud.drain();
        const list = await req('GET', '/servers/detail?tags=m', { mv: '2.52' });
        assert.equal(list.body.servers.length, 2);
        for (const s of list.body.servers) assert.deepEqual(s.tags, ['m']);
      });

      test('list filters tags, tags-any, not-tags, not-tags-any (2.26+)', async () => {
        const a = await server({ name: 'tagfilter-a', tags: ['f1', 'f2'] });
        const b = await server({ name: 'tagfilter-b', tags: ['f2', 'f3'] });
        const c = await server({ name: 'tagfilter-c' });
        const names = async (query: string, mv = '2.26', detail = false) => {
          const res = await req('GET', `/servers${detail ? '/detail' : ''}?name=tagfilter-&${query}`, { mv });
          assert.equal(res.status, 200, res.text);
          return res.body.servers.map((s: { id: string }) => s.id).sort();
        };
        const ids = (...xs: string[]) => xs.sort();
        assert.deepEqual(await names('tags=f1,f2'), ids(a));
        assert.deepEqual(await names('tags=f2'), ids(a, b));
        assert.deepEqual(await names('tags=f2,f2'), ids(a, b));
        assert.deepEqual(await names('tags=f1,f3'), []);
        assert.deepEqual(await names('tags-any=f1,f3', '2.26', true), ids(a, b));
        assert.deepEqual(await names('tags-any=nope'), []);
        assert.deepEqual(await names('not-tags=f1,f2'), ids(b, c));
        assert.deepEqual(await names('not-tags=f2'), ids(c));
        assert.deepEqual(await names('not-tags-any=f1,f3'), ids(c));
        assert.deepEqual(await names('not-tags-any=nope'), ids(a, b, c));
        assert.deepEqual(await names('tags=f2&not-tags-any=f1'), ids(b));
        assert.deepEqual(await names('tags-any=f1,f3&not-tags=f2,f3'), ids(a));
        assert.deepEqual(await names('tags='), []);
        // The last value counts, as for Nova's other scalar filters.
        assert.deepEqual(await names('tags=f3&tags=f1'), ids(a));
        // Before 2.26 the filters are not read.
        assert.deepEqual(await names('tags=f1', '2.25'), ids(a, b, c));
        // Another project's tagged servers stay out of the member's list; admins see them with all_tenants.
        const o = await create({ name: 'tagfilter-o', tags: ['f1'] }, '2.52', 'other');
        assert.equal(o.status, 202);
        await cloud.drain();
        assert.deepEqual(await names('tags=f1'), ids(a));
        const all = await cloud.request('GET', '/v2.1/servers?all_tenants=1&tags=f1&name=tagfilter-', {
          as: 'admin',
          mv: '2.26',
        });
        assert.deepEqual(all.body.servers.map((s: { id: string }) => s.id).sort(), ids(a, o.body.server.id));
      });
    });
  });
}
