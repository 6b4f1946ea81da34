// Flavors beyond list/show: flavor-manage (create, delete, 2.55 description), os-flavor-access,
// os-flavor-extra-specs, and the list's filters and paging, on SQLite and PostgreSQL: status and
// exact body of every answer (nova/api/openstack/compute/flavor*.py).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud, UUID_RE, type Persona } from '../../src/testing/kit.js';
import { databaseTargets } from '../../src/testing/databases.js';
import { DEMO_IMAGE_NAME } from '../../src/runtime/seed.js';

const fault = (key: string, code: number, message: string) => ({ [key]: { code, message } });
const bad = (message: string) => fault('badRequest', 400, message);
const notFound = (message: string) => fault('itemNotFound', 404, message);
const conflicting = (message: string) => fault('conflictingRequest', 409, message);
const forbidden = (rule: string) => fault('forbidden', 403, `Policy doesn't allow ${rule} to be performed.`);
const NON_ADMINS: Persona[] = ['member', 'reader', 'other'];

for (const target of databaseTargets()) {
  describe(`flavors (${target.name})`, () => {
    let cloud: TestCloud;
    let drop: () => Promise<void>;
    let image: string;
    let seq = 0;
    const uniq = (p: string) => `${p}-${++seq}`;
    const req = (method: string, path: string, opts: Parameters<TestCloud['request']>[2] = {}) =>
      cloud.request(method, path, opts);
    const create = async (flavor: Record<string, unknown>, mv = '2.1') => {
      const res = await req('POST', '/v2.1/flavors', { as: 'admin', mv, body: { flavor } });
      assert.equal(res.status, 200, res.text);
      return res.body.flavor;
    };
    const privateFlavor = async () =>
      create({ name: uniq('priv'), id: uniq('priv'), ram: 64, vcpus: 1, disk: 0, 'os-flavor-access:is_public': false });
    const action = (id: string, body: unknown, as: Persona = 'admin', mv = '2.1') =>
      req('POST', `/v2.1/flavors/${id}/action`, { as, body, mv });
    const ids = (res: { body: { flavors: Array<{ id: string }> } }) => res.body.flavors.map((f) => f.id);

    before(async () => {
      const db = await target.url();
      drop = db.drop;
      cloud = await TestCloud.start({ database: db.url });
      image = (await req('GET', `/image/v2/images?name=${DEMO_IMAGE_NAME}`, { as: 'admin' })).body.images[0].id;
    });
    after(async () => {
      await cloud?.close();
      await drop?.();
    });

    // --- create ------------------------------------------------------------------------------
    test('create: 200 with the full view; defaults; a generated UUID without an id', async () => {
      const name = uniq('c');
      const res = await req('POST', '/v2.1/flavors', {
        as: 'admin',
        body: { flavor: { name, ram: 256, vcpus: 2, disk: 5 } },
      });
      assert.equal(res.status, 200, res.text);
      const f = res.body.flavor;
      assert.match(f.id, UUID_RE);
      assert.deepEqual(f, {
        id: f.id,
        name,
        ram: 256,
        disk: 5,
        swap: '',
        'OS-FLV-EXT-DATA:ephemeral': 0,
        'OS-FLV-DISABLED:disabled': false,
        vcpus: 2,
        'os-flavor-access:is_public': true,
        rxtx_factor: 1,
        links: [
          { rel: 'self', href: `${cloud.url}/v2.1/flavors/${f.id}` },
          { rel: 'bookmark', href: `${cloud.url}/flavors/${f.id}` },
        ],
      });
      const shown = await req('GET', `/v2.1/flavors/${f.id}`, { as: 'member' });
      assert.deepEqual(shown.body, { flavor: f });
    });

    test('create: every field, string numbers, a numeric id; 2.55 description, 2.61 extra_specs, 2.75 swap', async () => {
      const name = uniq('full');
      const f = await create(
        {
          name,
          id: 9001,
          ram: '1024',
          vcpus: 3,
          disk: '10',
          'OS-FLV-EXT-DATA:ephemeral': 2,
          swap: 0,
          rxtx_factor: '1.5',
          'os-flavor-access:is_public': 'False',
          description: 'a flavor',
        },
        '2.75',
      );
      assert.equal(f.id, '9001');
      assert.equal(f.ram, 1024);
      assert.equal(f.disk, 10);
      assert.equal(f.swap, 0);
      assert.equal(f.rxtx_factor, 1.5);
      assert.equal(f['os-flavor-access:is_public'], false);
      assert.equal(f.description, 'a flavor');
      assert.deepEqual(f.extra_specs, {});
      // The reader may see extra specs (os-flavor-extra-specs:index is project reader or admin).
      const before61 = await req('GET', '/v2.1/flavors/1', { as: 'reader', mv: '2.60' });
      assert.equal(before61.body.flavor.extra_specs, undefined);
      assert.equal(before61.body.flavor.description, null);
      const at61 = await req('GET', '/v2.1/flavors/1', { as: 'reader', mv: '2.61' });
      assert.deepEqual(at61.body.flavor.extra_specs, {});
      const brief = await req('GET', '/v2.1/flavors', { as: 'reader', mv: '2.55' });
      assert.deepEqual(Object.keys(brief.body.flavors[0]), ['id', 'name', 'links', 'description']);
      const old = await req('GET', '/v2.1/flavors', { as: 'reader', mv: '2.54' });
      assert.deepEqual(Object.keys(old.body.flavors[0]), ['id', 'name', 'links']);
    });

    test('create: description before 2.55 is an unknown key', async () => {
      const res = await req('POST', '/v2.1/flavors', {
        as: 'admin',
        mv: '2.54',
        body: { flavor: { name: 'd', ram: 1, vcpus: 1, disk: 0, description: 'x' } },
      });
      assert.equal(res.status, 400);
      assert.deepEqual(
        res.body,
        bad(
          "Invalid input for field/attribute flavor. Value: {'name': 'd', 'ram': 1, 'vcpus': 1, 'disk': 0, 'description': 'x'}. Additional properties are not allowed ('description' was unexpected)",
        ),
      );
    });

    test('create: 409 for an existing id or name', async () => {
      const name = uniq('dup');
      const f = await create({ name, id: uniq('dupid'), ram: 1, vcpus: 1, disk: 0 });
      const sameId = await req('POST', '/v2.1/flavors', {
        as: 'admin',
        body: { flavor: { name: uniq('x'), id: f.id, ram: 1, vcpus: 1, disk: 0 } },
      });
      assert.equal(sameId.status, 409);
      assert.deepEqual(sameId.body, conflicting(`Flavor with ID ${f.id} already exists.`));
      const sameName = await req('POST', '/v2.1/flavors', {
        as: 'admin',
        body: { flavor: { name, ram: 1, vcpus: 1, disk: 0 } },
      });
      assert.equal(sameName.status, 409);
      assert.deepEqual(sameName.body, conflicting(`Flavor with name ${name} already exists.`));
    });

    test('create: bad bodies are 400 with the validator text', async () => {
      const base = { name: 'v', ram: 1, vcpus: 1, disk: 0 };
      const cases: Array<[unknown, string]> = [
        [null, "None is not of type 'object'"],
        [{}, "'flavor' is a required property"],
        [{ flavor: base, x: 1 }, "Additional properties are not allowed ('x' was unexpected)"],
        [{ flavor: 'f' }, "Invalid input for field/attribute flavor. Value: f. 'f' is not of type 'object'"],
        [{ flavor: { ...base, name: '' } }, "Invalid input for field/attribute name. Value: . '' should be non-empty"],
        [
          { flavor: { ...base, name: 'a'.repeat(256) } },
          `Invalid input for field/attribute name. Value: ${'a'.repeat(256)}. '${'a'.repeat(256)}' is too long`,
        ],
        [
          { flavor: { ...base, name: ' lead' } },
          "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.",
        ],
        [
          { flavor: { ...base, name: 5 } },
          "Invalid input for field/attribute name. Value: 5. 5 is not of type 'string'",
        ],
        [
          { flavor: { ...base, id: 'a/b' } },
          "Invalid input for field/attribute id. Value: a/b. 'a/b' does not match '^(?! )[a-zA-Z0-9. _-]+(?<! )$'",
        ],
        [{ flavor: { ...base, id: '' } }, "Invalid input for field/attribute id. Value: . '' should be non-empty"],
        [
          { flavor: { ...base, id: true } },
          "Invalid input for field/attribute id. Value: True. True is not of type 'string', 'number', 'null'",
        ],
        [
          { flavor: { ...base, ram: 0 } },
          'Invalid input for field/attribute ram. Value: 0. 0 is less than the minimum of 1',
        ],
        [{ flavor: { ...base, ram: '0' } }, 'Invalid input received: ram must be >= 1'],
        [{ flavor: { ...base, ram: '' } }, 'Invalid input received: ram must be an integer'],
        [
          { flavor: { ...base, ram: 'abc' } },
          "Invalid input for field/attribute ram. Value: abc. 'abc' does not match '^[0-9]*$'",
        ],
        [
          { flavor: { ...base, ram: 1.5 } },
          "Invalid input for field/attribute ram. Value: 1.5. 1.5 is not of type 'integer', 'string'",
        ],
        [
          { flavor: { ...base, vcpus: 0 } },
          'Invalid input for field/attribute vcpus. Value: 0. 0 is less than the minimum of 1',
        ],
        [
          { flavor: { ...base, disk: -1 } },
          'Invalid input for field/attribute disk. Value: -1. -1 is less than the minimum of 0',
        ],
        [
          { flavor: { ...base, disk: 2147483648 } },
          'Invalid input for field/attribute disk. Value: 2147483648. 2147483648 is greater than the maximum of 2147483647',
        ],
        [
          { flavor: { ...base, swap: -1 } },
          'Invalid input for field/attribute swap. Value: -1. -1 is less than the minimum of 0',
        ],
        [
          { flavor: { ...base, 'OS-FLV-EXT-DATA:ephemeral': -1 } },
          'Invalid input for field/attribute OS-FLV-EXT-DATA:ephemeral. Value: -1. -1 is less than the minimum of 0',
        ],
        [
          { flavor: { ...base, rxtx_factor: 0 } },
          'Invalid input for field/attribute rxtx_factor. Value: 0. 0 is less than or equal to the minimum of 0',
        ],
        [
          { flavor: { ...base, rxtx_factor: 'x' } },
          "Invalid input for field/attribute rxtx_factor. Value: x. 'x' does not match '^[0-9]+(\\\\.[0-9]+)?$'",
        ],
        [
          { flavor: { ...base, 'os-flavor-access:is_public': 3 } },
          "Invalid input for field/attribute os-flavor-access:is_public. Value: 3. 3 is not of type 'boolean', 'string'",
        ],
        [
          { flavor: { name: 'v', ram: 1, vcpus: 1 } },
          "Invalid input for field/attribute flavor. Value: {'name': 'v', 'ram': 1, 'vcpus': 1}. 'disk' is a required property",
        ],
      ];
      for (const [body, message] of cases) {
        const res = await req('POST', '/v2.1/flavors', { as: 'admin', body });
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.deepEqual(res.body, bad(message), JSON.stringify(body));
      }
    });

    test('create: non-admins 403; no token 401', async () => {
      for (const as of NON_ADMINS) {
        const res = await req('POST', '/v2.1/flavors', {
          as,
          body: { flavor: { name: uniq('n'), ram: 1, vcpus: 1, disk: 0 } },
        });
        assert.equal(res.status, 403);
        assert.deepEqual(res.body, forbidden('os_compute_api:os-flavor-manage:create'));
      }
      assert.equal((await req('POST', '/v2.1/flavors', { body: { flavor: {} } })).status, 401);
    });

    // --- delete ------------------------------------------------------------------------------
    test('delete: 202 and gone; 404 after; non-admins 403; a server keeps its flavor', async () => {
      const f = await create({ name: uniq('del'), id: uniq('del'), ram: 64, vcpus: 1, disk: 1 });
      const boot = await req('POST', '/v2.1/servers', {
        as: 'member',
        body: { server: { name: 'fl', imageRef: image, flavorRef: f.id, networks: 'none' } },
      });
      assert.equal(boot.status, 202, boot.text);
      for (const as of NON_ADMINS) {
        const res = await req('DELETE', `/v2.1/flavors/${f.id}`, { as });
        assert.equal(res.status, 403);
        assert.deepEqual(res.body, forbidden('os_compute_api:os-flavor-manage:delete'));
      }
      const res = await req('DELETE', `/v2.1/flavors/${f.id}`, { as: 'admin' });
      assert.equal(res.status, 202);
      assert.equal(res.text, '');
      const again = await req('DELETE', `/v2.1/flavors/${f.id}`, { as: 'admin' });
      assert.equal(again.status, 404);
      assert.deepEqual(again.body, notFound(`Flavor ${f.id} could not be found.`));
      const shown = await req('GET', `/v2.1/flavors/${f.id}`, { as: 'admin' });
      assert.deepEqual(shown.body, notFound(`Flavor ${f.id} could not be found.`));
      const server = await req('GET', `/v2.1/servers/${boot.body.server.id}`, { as: 'member', mv: '2.47' });
      assert.equal(server.status, 200);
      assert.equal(server.body.server.flavor.original_name, f.name);
      assert.equal(server.body.server.flavor.ram, 64);
      // The name is free again.
      await create({ name: f.name, ram: 1, vcpus: 1, disk: 0 });
      await req('DELETE', `/v2.1/servers/${boot.body.server.id}`, { as: 'member' });
    });

    // --- update (2.55) ----------------------------------------------------------------------
    test('update: 2.55 description; null clears; 404 before 2.55; 400 for other keys; 403 and 404', async () => {
      const f = await create({ name: uniq('u'), id: uniq('u'), ram: 1, vcpus: 1, disk: 0 });
      const res = await req('PUT', `/v2.1/flavors/${f.id}`, {
        as: 'admin',
        mv: '2.55',
        body: { flavor: { description: 'new' } },
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.flavor.description, 'new');
      assert.equal(res.body.flavor.extra_specs, undefined);
      const at61 = await req('PUT', `/v2.1/flavors/${f.id}`, {
        as: 'admin',
        mv: '2.61',
        body: { flavor: { description: null } },
      });
      assert.equal(at61.body.flavor.description, null);
      assert.deepEqual(at61.body.flavor.extra_specs, {});
      const old = await req('PUT', `/v2.1/flavors/${f.id}`, {
        as: 'admin',
        mv: '2.54',
        body: { flavor: { description: 'x' } },
      });
      assert.equal(old.status, 404);
      assert.deepEqual(old.body, notFound('The resource could not be found.'));
      const extra = await req('PUT', `/v2.1/flavors/${f.id}`, {
        as: 'admin',
        mv: '2.55',
        body: { flavor: { description: 'x', name: 'n' } },
      });
      assert.equal(extra.status, 400);
      assert.deepEqual(
        extra.body,
        bad(
          "Invalid input for field/attribute flavor. Value: {'description': 'x', 'name': 'n'}. Additional properties are not allowed ('name' was unexpected)",
        ),
      );
      const missing = await req('PUT', `/v2.1/flavors/${f.id}`, { as: 'admin', mv: '2.55', body: { flavor: {} } });
      assert.deepEqual(
        missing.body,
        bad("Invalid input for field/attribute flavor. Value: {}. 'description' is a required property"),
      );
      const long = await req('PUT', `/v2.1/flavors/${f.id}`, {
        as: 'admin',
        mv: '2.55',
        body: { flavor: { description: 5 } },
      });
      assert.deepEqual(
        long.body,
        bad("Invalid input for field/attribute description. Value: 5. 5 is not of type 'string', 'null'"),
      );
      const reader = await req('PUT', `/v2.1/flavors/${f.id}`, {
        as: 'reader',
        mv: '2.55',
        body: { flavor: { description: 'x' } },
      });
      assert.equal(reader.status, 403);
      assert.deepEqual(reader.body, forbidden('os_compute_api:os-flavor-manage:update'));
      const none = await req('PUT', '/v2.1/flavors/nope', {
        as: 'admin',
        mv: '2.55',
        body: { flavor: { description: 'x' } },
      });
      assert.equal(none.status, 404);
      assert.deepEqual(none.body, notFound('Flavor nope could not be found.'));
    });

    // --- os-flavor-access --------------------------------------------------------------------
    test('access: a private flavor is listed, shown and bootable only with access (and by admins)', async () => {
      const f = await privateFlavor();
      const listedBy = async (as: Persona, q = '') => ids(await req('GET', `/v2.1/flavors${q}`, { as }));
      assert.ok(!(await listedBy('member')).includes(f.id));
      assert.ok(!(await listedBy('admin')).includes(f.id), 'admins list public (and their own) by default');
      assert.ok((await listedBy('admin', '?is_public=none')).includes(f.id));
      assert.ok((await listedBy('admin', '?is_public=false')).includes(f.id));
      assert.ok(!(await listedBy('admin', '?is_public=false')).includes('1'));
      const hidden = await req('GET', `/v2.1/flavors/${f.id}`, { as: 'member' });
      assert.equal(hidden.status, 404);
      assert.deepEqual(hidden.body, notFound(`Flavor ${f.id} could not be found.`));
      const boot = (as: Persona) =>
        req('POST', '/v2.1/servers', {
          as,
          body: { server: { name: 'p', imageRef: image, flavorRef: f.id, networks: 'none' } },
        });
      const refused = await boot('member');
      assert.equal(refused.status, 400);
      assert.deepEqual(refused.body, bad(`Flavor ${f.id} could not be found.`));

      const added = await action(f.id, { addTenantAccess: { tenant: cloud.projects.member } });
      assert.equal(added.status, 200, added.text);
      assert.deepEqual(added.body, { flavor_access: [{ flavor_id: f.id, tenant_id: cloud.projects.member }] });
      const list = await req('GET', `/v2.1/flavors/${f.id}/os-flavor-access`, { as: 'admin' });
      assert.equal(list.status, 200);
      assert.deepEqual(list.body, added.body);
      assert.ok((await listedBy('member')).includes(f.id));
      assert.ok((await listedBy('reader')).includes(f.id), 'the whole project has access');
      assert.ok(!(await listedBy('other')).includes(f.id));
      assert.equal((await req('GET', `/v2.1/flavors/${f.id}`, { as: 'member' })).status, 200);
      assert.equal((await req('GET', `/v2.1/flavors/${f.id}`, { as: 'other' })).status, 404);
      const ok = await boot('member');
      assert.equal(ok.status, 202, ok.text);
      await req('DELETE', `/v2.1/servers/${ok.body.server.id}`, { as: 'member' });

      const dup = await action(f.id, { addTenantAccess: { tenant: cloud.projects.member } });
      assert.equal(dup.status, 409);
      assert.deepEqual(
        dup.body,
        conflicting(
          `Flavor access already exists for flavor ${f.id} and project ${cloud.projects.member} combination.`,
        ),
      );
      const removed = await action(f.id, { removeTenantAccess: { tenant: cloud.projects.member } });
      assert.equal(removed.status, 200);
      assert.deepEqual(removed.body, { flavor_access: [] });
      const gone = await action(f.id, { removeTenantAccess: { tenant: cloud.projects.member } });
      assert.equal(gone.status, 404);
      assert.deepEqual(
        gone.body,
        notFound(`Flavor access not found for ${f.id} / ${cloud.projects.member} combination.`),
      );
      assert.ok(!(await listedBy('member')).includes(f.id));
    });

    test('access: public flavors, unknown projects and flavors, bad bodies, unknown actions', async () => {
      const pub = await req('GET', '/v2.1/flavors/1/os-flavor-access', { as: 'admin' });
      assert.equal(pub.status, 404);
      assert.deepEqual(pub.body, notFound('Access list not available for public flavors.'));
      const addPub = await action('1', { addTenantAccess: { tenant: cloud.projects.member } }, 'admin', '2.7');
      assert.equal(addPub.status, 409);
      assert.deepEqual(addPub.body, conflicting('Can not add access to a public flavor.'));
      const f = await privateFlavor();
      const unknown = await action(f.id, { addTenantAccess: { tenant: 'no-such-project' } });
      assert.equal(unknown.status, 400);
      assert.deepEqual(unknown.body, bad('Project ID no-such-project is not a valid project.'));
      const noFlavor = await action('nope', { addTenantAccess: { tenant: cloud.projects.member } });
      assert.equal(noFlavor.status, 404);
      assert.deepEqual(noFlavor.body, notFound('Flavor nope could not be found.'));
      assert.deepEqual(
        (await req('GET', '/v2.1/flavors/nope/os-flavor-access', { as: 'admin' })).body,
        notFound('Flavor nope could not be found.'),
      );
      const noTenant = await action(f.id, { addTenantAccess: {} });
      assert.deepEqual(
        noTenant.body,
        bad("Invalid input for field/attribute addTenantAccess. Value: {}. 'tenant' is a required property"),
      );
      const badTenant = await action(f.id, { removeTenantAccess: { tenant: 5 } });
      assert.deepEqual(
        badTenant.body,
        bad("Invalid input for field/attribute tenant. Value: 5. 5 is not of type 'string'"),
      );
      const other = await action(f.id, { frobnicate: {} });
      assert.equal(other.status, 400);
      assert.deepEqual(other.body, bad('There is no such action: frobnicate'));
      const two = await action(f.id, { addTenantAccess: {}, removeTenantAccess: {} });
      assert.deepEqual(two.body, bad('Malformed request body'));
    });

    test('access: policy matrix (admin only); no token 401', async () => {
      const f = await privateFlavor();
      for (const as of NON_ADMINS) {
        const list = await req('GET', `/v2.1/flavors/${f.id}/os-flavor-access`, { as });
        assert.equal(list.status, 403);
        assert.deepEqual(list.body, forbidden('os_compute_api:os-flavor-access'));
        const add = await action(f.id, { addTenantAccess: { tenant: cloud.projects[as] } }, as);
        assert.equal(add.status, 403);
        assert.deepEqual(add.body, forbidden('os_compute_api:os-flavor-access:add_tenant_access'));
        const rm = await action(f.id, { removeTenantAccess: { tenant: cloud.projects[as] } }, as);
        assert.deepEqual(rm.body, forbidden('os_compute_api:os-flavor-access:remove_tenant_access'));
      }
      assert.equal((await req('GET', `/v2.1/flavors/${f.id}/os-flavor-access`)).status, 401);
    });

    // --- os-flavor-extra-specs ---------------------------------------------------------------
    test('extra specs: create, list, show, update, delete', async () => {
      const f = await create({ name: uniq('es'), id: uniq('es'), ram: 1, vcpus: 1, disk: 0 });
      const path = `/v2.1/flavors/${f.id}/os-extra_specs`;
      const created = await req('POST', path, {
        as: 'admin',
        body: { extra_specs: { 'hw:cpu_policy': 'dedicated', 'quota:n': 5 } },
      });
      assert.equal(created.status, 200, created.text);
      assert.deepEqual(created.body, { extra_specs: { 'hw:cpu_policy': 'dedicated', 'quota:n': 5 } });
      const list = await req('GET', path, { as: 'reader' });
      assert.equal(list.status, 200);
      assert.deepEqual(list.body, { extra_specs: { 'hw:cpu_policy': 'dedicated', 'quota:n': '5' } });
      const one = await req('GET', `${path}/hw:cpu_policy`, { as: 'member' });
      assert.deepEqual(one.body, { 'hw:cpu_policy': 'dedicated' });
      const put = await req('PUT', `${path}/hw:cpu_policy`, { as: 'admin', body: { 'hw:cpu_policy': 'shared' } });
      assert.equal(put.status, 200);
      assert.deepEqual(put.body, { 'hw:cpu_policy': 'shared' });
      const view = await req('GET', `/v2.1/flavors/${f.id}`, { as: 'member', mv: '2.61' });
      assert.deepEqual(view.body.flavor.extra_specs, { 'hw:cpu_policy': 'shared', 'quota:n': '5' });
      const del = await req('DELETE', `${path}/quota:n`, { as: 'admin' });
      assert.equal(del.status, 200);
      assert.equal(del.text, '');
      assert.deepEqual((await req('GET', path, { as: 'admin' })).body, { extra_specs: { 'hw:cpu_policy': 'shared' } });
      const missing = await req('GET', `${path}/quota:n`, { as: 'admin' });
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.body, notFound(`Flavor ${f.id} has no extra specs with key quota:n.`));
      const delMissing = await req('DELETE', `${path}/quota:n`, { as: 'admin' });
      assert.deepEqual(delMissing.body, notFound(`Flavor ${f.id} has no extra specs with key quota:n.`));
      // The specs go to new servers' flavor copies.
      const boot = await req('POST', '/v2.1/servers', {
        as: 'member',
        body: { server: { name: 'es', imageRef: image, flavorRef: f.id, networks: 'none' } },
      });
      const server = await req('GET', `/v2.1/servers/${boot.body.server.id}`, { as: 'member', mv: '2.47' });
      assert.deepEqual(server.body.server.flavor.extra_specs, { 'hw:cpu_policy': 'shared' });
      await req('DELETE', `/v2.1/servers/${boot.body.server.id}`, { as: 'member' });
    });

    test('extra specs: bad bodies, URI mismatch, unknown flavor, hidden private flavor', async () => {
      const f = await create({ name: uniq('esb'), id: uniq('esb'), ram: 1, vcpus: 1, disk: 0 });
      const path = `/v2.1/flavors/${f.id}/os-extra_specs`;
      const cases: Array<[string, string, unknown, string]> = [
        ['POST', path, {}, "'extra_specs' is a required property"],
        [
          'POST',
          path,
          { extra_specs: 'x' },
          "Invalid input for field/attribute extra_specs. Value: x. 'x' is not of type 'object'",
        ],
        [
          'POST',
          path,
          { extra_specs: { 'a/b': 'x' } },
          "Invalid input for field/attribute extra_specs. Value: {'a/b': 'x'}. 'a/b' does not match any of the regexes: '^[a-zA-Z0-9-_:. ]{1,255}$'",
        ],
        [
          'POST',
          path,
          { extra_specs: { k: true } },
          "Invalid input for field/attribute k. Value: True. True is not of type 'string', 'number'",
        ],
        [
          'POST',
          path,
          { extra_specs: { k: 'v'.repeat(256) } },
          `Invalid input for field/attribute k. Value: ${'v'.repeat(256)}. '${'v'.repeat(256)}' is too long`,
        ],
        ['POST', path, { extra_specs: {}, x: 1 }, "Additional properties are not allowed ('x' was unexpected)"],
        ['PUT', `${path}/k`, { k: 'a', j: 'b' }, "{'k': 'a', 'j': 'b'} has too many properties"],
        ['PUT', `${path}/k`, {}, '{} should be non-empty'],
        ['PUT', `${path}/k`, { j: 'b' }, 'Request body and URI mismatch'],
      ];
      for (const [method, url, body, message] of cases) {
        const res = await req(method, url, { as: 'admin', body });
        assert.equal(res.status, 400, `${method} ${JSON.stringify(body)}`);
        assert.deepEqual(res.body, bad(message), `${method} ${JSON.stringify(body)}`);
      }
      const none = await req('GET', '/v2.1/flavors/nope/os-extra_specs', { as: 'admin' });
      assert.equal(none.status, 404);
      assert.deepEqual(none.body, notFound('Flavor nope could not be found.'));
      const noneSet = await req('POST', '/v2.1/flavors/nope/os-extra_specs', {
        as: 'admin',
        body: { extra_specs: { a: 'b' } },
      });
      assert.deepEqual(noneSet.body, notFound('Flavor nope could not be found.'));
      const priv = await privateFlavor();
      const hidden = await req('GET', `/v2.1/flavors/${priv.id}/os-extra_specs`, { as: 'member' });
      assert.equal(hidden.status, 404);
      assert.deepEqual(hidden.body, notFound(`Flavor ${priv.id} could not be found.`));
    });

    test('extra specs: policy matrix (reads for project readers, writes for admins); no token 401', async () => {
      const f = await create({ name: uniq('esp'), id: uniq('esp'), ram: 1, vcpus: 1, disk: 0 });
      const path = `/v2.1/flavors/${f.id}/os-extra_specs`;
      await req('POST', path, { as: 'admin', body: { extra_specs: { a: 'b' } } });
      for (const as of NON_ADMINS) {
        assert.equal((await req('GET', path, { as })).status, 200);
        assert.equal((await req('GET', `${path}/a`, { as })).status, 200);
        const post = await req('POST', path, { as, body: { extra_specs: { a: 'c' } } });
        assert.equal(post.status, 403);
        assert.deepEqual(post.body, forbidden('os_compute_api:os-flavor-extra-specs:create'));
        const put = await req('PUT', `${path}/a`, { as, body: { a: 'c' } });
        assert.deepEqual(put.body, forbidden('os_compute_api:os-flavor-extra-specs:update'));
        const del = await req('DELETE', `${path}/a`, { as });
        assert.deepEqual(del.body, forbidden('os_compute_api:os-flavor-extra-specs:delete'));
      }
      assert.equal((await req('GET', path)).status, 401);
      const res = await req('PATCH', path, { as: 'admin', body: {} });
      assert.equal(res.status, 405);
      assert.equal(res.headers.get('allow'), 'GET, HEAD, POST');
    });

    // --- list filters and paging --------------------------------------------------------------
    test('list: minRam, minDisk, sort_key/sort_dir, limit, marker and the next link', async () => {
      const seeded = ['1', '2', '3', '4', '5'];
      const only = (res: { body: { flavors: Array<{ id: string }> } }) => ids(res).filter((i) => seeded.includes(i));
      assert.deepEqual(only(await req('GET', '/v2.1/flavors?minRam=4096', { as: 'member' })), ['3', '4', '5']);
      assert.deepEqual(only(await req('GET', '/v2.1/flavors/detail?minDisk=80', { as: 'member' })), ['4', '5']);
      assert.deepEqual(only(await req('GET', '/v2.1/flavors?sort_key=memory_mb&sort_dir=desc', { as: 'member' })), [
        '5',
        '4',
        '3',
        '2',
        '1',
      ]);
      const page = await req('GET', '/v2.1/flavors?limit=2', { as: 'member' });
      assert.equal(page.body.flavors.length, 2);
      const [a, b] = ids(page);
      assert.deepEqual(page.body.flavors_links, [
        { rel: 'next', href: `${cloud.url}/v2.1/flavors?limit=2&marker=${b}` },
      ]);
      const next = await req('GET', `/v2.1/flavors?limit=2&marker=${b}`, { as: 'member' });
      assert.ok(!ids(next).includes(a) && !ids(next).includes(b));
      const all = ids(await req('GET', '/v2.1/flavors', { as: 'member' }));
      assert.deepEqual([...all].sort(), all, 'flavorid ascending by default');
      assert.deepEqual(ids(next), all.slice(2, 4));
      const detail = await req('GET', '/v2.1/flavors/detail?limit=1&minRam=1', { as: 'member' });
      assert.equal(
        detail.body.flavors_links[0].href,
        `${cloud.url}/v2.1/flavors/detail?limit=1&minRam=1&marker=${all[0]}`,
      );
      assert.deepEqual((await req('GET', '/v2.1/flavors?limit=0', { as: 'member' })).body, { flavors: [] });
    });

    test('list: bad filters are 400 with Nova text; non-admins cannot widen is_public', async () => {
      const cases: Array<[string, string]> = [
        ['marker=nope', 'marker [nope] not found'],
        ['minRam=abc', 'Invalid minRam filter [abc]'],
        ['minDisk=1.5', 'Invalid minDisk filter [1.5]'],
        ['limit=-1', "Invalid input for query parameters limit. Value: -1. '-1' does not match '^[0-9]*$'"],
        [
          'sort_dir=up',
          "Invalid input for query parameters sort_dir. Value: up. 'up' is not one of ['asc', 'desc', 'ASC', 'DESC']",
        ],
        [
          'sort_key=ram',
          "Invalid input for query parameters sort_key. Value: ram. 'ram' is not one of ['created_at', 'description', 'disabled', 'ephemeral_gb', 'flavorid', 'id', 'is_public', 'memory_mb', 'name', 'root_gb', 'rxtx_factor', 'swap', 'updated_at', 'vcpu_weight', 'vcpus']",
        ],
      ];
      for (const [q, message] of cases) {
        const res = await req('GET', `/v2.1/flavors?${q}`, { as: 'member' });
        assert.equal(res.status, 400, q);
        assert.deepEqual(res.body, bad(message), q);
      }
      const isPublic = await req('GET', '/v2.1/flavors?is_public=maybe', { as: 'admin' });
      assert.deepEqual(isPublic.body, bad('Invalid is_public filter [maybe]'));
      // Non-admins: is_public is ignored (always the public and accessible flavors).
      const f = await privateFlavor();
      const member = await req('GET', '/v2.1/flavors?is_public=none', { as: 'member' });
      assert.equal(member.status, 200);
      assert.ok(!ids(member).includes(f.id));
      // A hidden private flavor is no marker for the member.
      const marker = await req('GET', `/v2.1/flavors?marker=${f.id}`, { as: 'member' });
      assert.deepEqual(marker.body, bad(`marker [${f.id}] not found`));
      // 2.75 refuses unknown query parameters; earlier they are ignored.
      assert.equal((await req('GET', '/v2.1/flavors?foo=1', { as: 'member', mv: '2.74' })).status, 200);
      const strict = await req('GET', '/v2.1/flavors?foo=1', { as: 'member', mv: '2.75' });
      assert.deepEqual(strict.body, bad("Additional properties are not allowed ('foo' was unexpected)"));
    });
  });
}
