// rescue / unrescue, changePassword, os-server-password and server diagnostics (issue 12 parts
// 5 and 6): every code and fault body, the persona matrix, the delete of a RESCUED server;
// SQLite and PostgreSQL, fake driver.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud, type HttpResult, type Persona } from '../../src/testing/kit.js';
import { databaseTargets } from '../../src/testing/databases.js';
import type { FakeDriver } from '../../src/drivers/fake/fake.driver.js';
import * as passwords from '../../src/db/repositories/server-passwords.repository.js';

const FAULT_KEYS: Record<number, string> = {
  400: 'badRequest',
  403: 'forbidden',
  404: 'itemNotFound',
  409: 'conflictingRequest',
};
function expectFault(res: HttpResult, code: number, message: string) {
  assert.equal(res.status, code, res.text);
  assert.deepEqual(res.body, { [FAULT_KEYS[code]]: { code, message } });
}
const policy = (rule: string) => `Policy doesn't allow ${rule} to be performed.`;
const MISSING = '11111111-2222-3333-4444-555555555555';

for (const target of databaseTargets()) {
  describe(`rescue, changePassword, server password, diagnostics (${target.name})`, () => {
    let cloud: TestCloud;
    let db: { url: string; drop(): Promise<void> };
    let image: string;
    before(async () => {
      db = await target.url();
      cloud = await TestCloud.start({ database: db.url });
      image = (await cloud.request('GET', '/image/v2/images', { as: 'member' })).body.images[0].id;
    });
    after(async () => {
      await cloud?.close();
      await db?.drop();
    });

    const action = (id: string, body: unknown, as: Persona = 'member', mv?: string) =>
      cloud.request('POST', `/v2.1/servers/${id}/action`, { as, body, mv });
    const driver = () => cloud.stack.agents[0].driver as FakeDriver;
    const status = async (id: string) => (await cloud.server(id)).body.server.status as string;
    async function fault(f: Record<string, unknown>) {
      const res = await cloud.request('POST', '/stratus/v1/faults', {
        as: 'admin',
        body: { fault: { host: 'compute-test', ...f } },
      });
      assert.equal(res.status, 201, res.text);
    }

    test('rescue: 200 with the generated adminPass, RESCUE, the guest runs the rescue image; unrescue: ACTIVE', async () => {
      const id = await cloud.createServer();
      const res = await action(id, { rescue: null });
      assert.equal(res.status, 200, res.text);
      assert.equal(typeof res.body.adminPass, 'string');
      assert.equal(res.body.adminPass.length, 12);
      await cloud.drain();
      assert.equal(await status(id), 'RESCUE');
      assert.equal((await cloud.server(id)).body.server['OS-EXT-STS:power_state'], 1);
      assert.equal(driver().rescueOf(id)?.imageId, image, 'Nova: without rescue_image_ref, the server image');
      const un = await action(id, { unrescue: {} }); // Nova has no unrescue schema: {} as null
      assert.equal(un.status, 202, un.text);
      assert.equal(un.text, '');
      await cloud.drain();
      assert.equal(await status(id), 'ACTIVE');
      assert.equal(driver().rescueOf(id), undefined);
      const acts = await cloud.request('GET', `/v2.1/servers/${id}/os-instance-actions`, { as: 'member' });
      assert.deepEqual(acts.body.instanceActions.map((a: { action: string }) => a.action).slice(0, 2), [
        'unrescue',
        'rescue',
      ]);
    });

    test('rescue: the caller’s adminPass, rescue_image_ref, STOPPED and ERROR servers; 2.87 the same', async () => {
      const stopped = await cloud.createServer();
      await action(stopped, { 'os-stop': null });
      await cloud.drain();
      const res = await action(
        stopped,
        { rescue: { adminPass: 'MySecret1', rescue_image_ref: image } },
        'member',
        '2.87',
      );
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body, { adminPass: 'MySecret1' });
      await cloud.drain();
      assert.equal(await status(stopped), 'RESCUE');

      const broken = await cloud.createServer();
      await action(broken, { 'os-resetState': { state: 'error' } }, 'admin');
      const r2 = await action(broken, { rescue: {} });
      assert.equal(r2.status, 200, r2.text);
      await cloud.drain();
      assert.equal(await status(broken), 'RESCUE');
    });

    test('rescue: bad bodies are 400 with Nova validator messages; an unknown image is UnsupportedRescueImage', async () => {
      const id = await cloud.createServer();
      expectFault(
        await action(id, { rescue: 'x' }),
        400,
        "Invalid input for field/attribute rescue. Value: x. 'x' is not of type 'object', 'null'",
      );
      expectFault(
        await action(id, { rescue: { foo: 1 } }),
        400,
        "Invalid input for field/attribute rescue. Value: {'foo': 1}. Additional properties are not allowed ('foo' was unexpected)",
      );
      expectFault(
        await action(id, { rescue: { adminPass: 5 } }),
        400,
        "Invalid input for field/attribute adminPass. Value: 5. 5 is not of type 'string'",
      );
      expectFault(
        await action(id, { rescue: { rescue_image_ref: 'nope' } }),
        400,
        "Invalid input for field/attribute rescue_image_ref. Value: nope. 'nope' is not a 'uuid'",
      );
      expectFault(
        await action(id, { rescue: { rescue_image_ref: MISSING } }),
        400,
        `Requested rescue image '${MISSING}' is not supported`,
      );
      assert.equal(await status(id), 'ACTIVE', 'nothing changed');
    });

    test('rescue and unrescue: 409 in the wrong state or locked (admins excepted), as Nova', async () => {
      const id = await cloud.createServer();
      expectFault(
        await action(id, { unrescue: null }),
        409,
        `Cannot 'unrescue' instance ${id} while it is in vm_state active`,
      );
      await action(id, { rescue: null });
      await cloud.drain();
      expectFault(
        await action(id, { rescue: null }),
        409,
        `Cannot 'rescue' instance ${id} while it is in vm_state rescued`,
      );
      expectFault(
        await action(id, { changePassword: { adminPass: 'x' } }),
        409,
        `Cannot 'changePassword' instance ${id} while it is in vm_state rescued`,
      );
      await action(id, { lock: null });
      expectFault(await action(id, { unrescue: null }), 409, `Instance ${id} is locked`);
      assert.equal((await action(id, { unrescue: null }, 'admin')).status, 202);
      await cloud.drain();
      expectFault(await action(id, { rescue: null }), 409, `Instance ${id} is locked`);
      await action(id, { unlock: null });

      const paused = await cloud.createServer();
      await action(paused, { pause: null });
      await cloud.drain();
      expectFault(
        await action(paused, { rescue: null }),
        409,
        `Cannot 'rescue' instance ${paused} while it is in vm_state paused`,
      );
    });

    test('rescue / unrescue persona matrix: reader 403, other project 404, no token 401, admin 200', async () => {
      const id = await cloud.createServer();
      expectFault(await action(id, { rescue: null }, 'reader'), 403, policy('os_compute_api:os-rescue'));
      expectFault(await action(id, { rescue: null }, 'other'), 404, `Instance ${id} could not be found.`);
      const anon = await cloud.request('POST', `/v2.1/servers/${id}/action`, { body: { rescue: null } });
      assert.equal(anon.status, 401);
      expectFault(await action(MISSING, { rescue: null }), 404, `Instance ${MISSING} could not be found.`);
      assert.equal((await action(id, { rescue: null }, 'admin')).status, 200);
      await cloud.drain();
      expectFault(await action(id, { unrescue: null }, 'reader'), 403, policy('os_compute_api:os-unrescue'));
      expectFault(await action(id, { unrescue: null }, 'other'), 404, `Instance ${id} could not be found.`);
      assert.equal((await action(id, { unrescue: null }, 'member')).status, 202);
      await cloud.drain();
      assert.equal(await status(id), 'ACTIVE');
    });

    test('enable_instance_password off: rescue answers {} (Nova parity)', async () => {
      const id = await cloud.createServer();
      const cfg = cloud.stack.deps.config as { enableInstancePassword: number };
      cfg.enableInstancePassword = 0;
      try {
        const res = await action(id, { rescue: null });
        assert.equal(res.status, 200);
        assert.deepEqual(res.body, {});
      } finally {
        cfg.enableInstancePassword = 1;
      }
      await cloud.drain();
    });

    test('a failed rescue is ERROR with a fault; a failed unrescue stays RESCUED (the injected driver fault)', async () => {
      const id = await cloud.createServer();
      await fault({ server_id: id, operation: 'rescue', mode: 'fail', count: 1 });
      assert.equal((await action(id, { rescue: null })).status, 200);
      await cloud.drain();
      const s = (await cloud.server(id)).body.server;
      assert.equal(s.status, 'ERROR');
      assert.match(s.fault.message, /Injected fault: rescue failed/);
      assert.equal((await action(id, { rescue: null })).status, 200, 'an ERROR server may be rescued');
      await cloud.drain();
      await fault({ server_id: id, operation: 'unrescue', mode: 'fail', count: 1 });
      assert.equal((await action(id, { unrescue: null })).status, 202);
      await cloud.drain();
      const after = (await cloud.server(id)).body.server;
      assert.equal(after.status, 'RESCUE');
      assert.equal(after['OS-EXT-STS:task_state'], null);
    });

    test('delete of a RESCUED server (docs/delete-server.md B2): 204, the guest is gone, 404 after', async () => {
      const id = await cloud.createServer();
      await action(id, { rescue: null });
      await cloud.drain();
      const del = await cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' });
      assert.equal(del.status, 204);
      await cloud.drain();
      assert.equal((await cloud.server(id)).status, 404);
      assert.equal(await driver().power(id), 'missing');
      assert.ok(!(await driver().listGuests()).includes(id));
    });

    test('delete while rescuing supersedes the queued rescue: nothing is left', async () => {
      const id = await cloud.createServer();
      await fault({ server_id: id, operation: 'rescue', mode: 'delay', delay_ms: 200, count: 1 });
      await action(id, { rescue: null });
      const del = await cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' });
      assert.equal(del.status, 204);
      await cloud.drain();
      assert.equal((await cloud.server(id)).status, 404);
      assert.equal(await driver().power(id), 'missing');
    });

    test('changePassword: 202, the hypervisor has it; bad bodies 400; wrong state and lock 409; personas', async () => {
      const id = await cloud.createServer();
      const res = await action(id, { changePassword: { adminPass: 'n3w-Secret' } });
      assert.equal(res.status, 202, res.text);
      assert.equal(res.text, '');
      assert.equal(driver().passwordOf(id), 'n3w-Secret');
      assert.equal(await status(id), 'ACTIVE');
      const acts = await cloud.request('GET', `/v2.1/servers/${id}/os-instance-actions`, { as: 'member' });
      assert.equal(acts.body.instanceActions[0].action, 'changePassword');

      expectFault(
        await action(id, { changePassword: {} }),
        400,
        "Invalid input for field/attribute changePassword. Value: {}. 'adminPass' is a required property",
      );
      expectFault(
        await action(id, { changePassword: { adminPass: 1 } }),
        400,
        "Invalid input for field/attribute adminPass. Value: 1. 1 is not of type 'string'",
      );
      expectFault(
        await action(id, { changePassword: { adminPass: 'a', x: 1 } }),
        400,
        "Invalid input for field/attribute changePassword. Value: {'adminPass': 'a', 'x': 1}. Additional properties are not allowed ('x' was unexpected)",
      );
      expectFault(
        await action(id, { changePassword: null }),
        400,
        "Invalid input for field/attribute changePassword. Value: None. None is not of type 'object'",
      );
      expectFault(
        await action(id, { changePassword: { adminPass: 'x' } }, 'reader'),
        403,
        policy('os_compute_api:os-admin-password'),
      );
      expectFault(
        await action(id, { changePassword: { adminPass: 'x' } }, 'other'),
        404,
        `Instance ${id} could not be found.`,
      );
      await action(id, { lock: null });
      expectFault(await action(id, { changePassword: { adminPass: 'x' } }), 409, `Instance ${id} is locked`);
      assert.equal((await action(id, { changePassword: { adminPass: 'by-admin' } }, 'admin')).status, 202);
      assert.equal(driver().passwordOf(id), 'by-admin');
      await action(id, { unlock: null });
      await action(id, { 'os-stop': null });
      await cloud.drain();
      expectFault(
        await action(id, { changePassword: { adminPass: 'x' } }),
        409,
        `Cannot 'changePassword' instance ${id} while it is in vm_state stopped`,
      );
    });

    test('changePassword: a driver that cannot is SetAdminPasswdNotSupported, one that fails InstancePasswordSetFailed (409)', async () => {
      const id = await cloud.createServer();
      await fault({ server_id: id, operation: 'set_password', mode: 'fail', count: 1 });
      expectFault(
        await action(id, { changePassword: { adminPass: 'x' } }),
        409,
        `Failed to set admin password on ${id} because Injected fault: set_password failed on compute-test`,
      );
      assert.equal((await cloud.server(id)).body.server['OS-EXT-STS:task_state'], null);
      const d = driver() as { setAdminPassword?: unknown };
      const saved = d.setAdminPassword;
      d.setAdminPassword = undefined; // a hypervisor without the operation
      try {
        expectFault(
          await action(id, { changePassword: { adminPass: 'x' } }),
          409,
          'Set admin password is not supported',
        );
      } finally {
        d.setAdminPassword = saved;
      }
      assert.equal(await status(id), 'ACTIVE');
    });

    test('os-server-password: "" until a guest posts one, the posted one, DELETE clears (204); personas', async () => {
      const id = await cloud.createServer();
      const path = `/v2.1/servers/${id}/os-server-password`;
      const empty = await cloud.request('GET', path, { as: 'reader' });
      assert.equal(empty.status, 200);
      assert.deepEqual(empty.body, { password: '' });
      await passwords.setServerPassword(cloud.stack.deps.db, id, 'ZW5jcnlwdGVk', new Date().toISOString());
      assert.deepEqual((await cloud.request('GET', path, { as: 'member' })).body, { password: 'ZW5jcnlwdGVk' });
      expectFault(
        await cloud.request('DELETE', path, { as: 'reader' }),
        403,
        policy('os_compute_api:os-server-password:clear'),
      );
      expectFault(await cloud.request('GET', path, { as: 'other' }), 404, `Instance ${id} could not be found.`);
      expectFault(await cloud.request('DELETE', path, { as: 'other' }), 404, `Instance ${id} could not be found.`);
      assert.equal((await cloud.request('GET', path)).status, 401);
      const del = await cloud.request('DELETE', path, { as: 'member' });
      assert.equal(del.status, 204);
      assert.equal(del.text, '');
      assert.deepEqual((await cloud.request('GET', path, { as: 'admin' })).body, { password: '' });
      assert.equal((await cloud.request('DELETE', path, { as: 'admin' })).status, 204, 'clearing twice is fine');
      expectFault(
        await cloud.request('GET', `/v2.1/servers/${MISSING}/os-server-password`, { as: 'member' }),
        404,
        `Instance ${MISSING} could not be found.`,
      );
      const put = await cloud.request('PUT', path, { as: 'member', body: {} });
      assert.equal(put.status, 405);
    });

    test('diagnostics: admin only; 2.48 standard format; before 2.48 the free-form dict; 409 without a running guest', async () => {
      const id = await cloud.createServer();
      const path = `/v2.1/servers/${id}/diagnostics`;
      const res = await cloud.request('GET', path, { as: 'admin', mv: '2.48' });
      assert.equal(res.status, 200, res.text);
      const b = res.body;
      assert.deepEqual(Object.keys(b).sort(), [
        'config_drive',
        'cpu_details',
        'disk_details',
        'driver',
        'hypervisor',
        'hypervisor_os',
        'memory_details',
        'nic_details',
        'num_cpus',
        'num_disks',
        'num_nics',
        'state',
        'uptime',
      ]);
      assert.equal(b.state, 'running');
      assert.equal(b.driver, 'libvirt');
      assert.equal(b.num_cpus, 1);
      assert.equal(b.num_nics, b.nic_details.length);
      assert.equal(b.num_nics, 1, 'the server has one port');
      assert.match(b.nic_details[0].mac_address, /^fa:16:3e:/);
      assert.deepEqual(Object.keys(b.memory_details).sort(), ['maximum', 'used']);
      const legacy = await cloud.request('GET', path, { as: 'admin', mv: '2.47' });
      assert.equal(legacy.status, 200);
      assert.equal(typeof legacy.body.cpu0_time, 'number');
      assert.ok('memory' in legacy.body);

      expectFault(
        await cloud.request('GET', path, { as: 'member' }),
        403,
        policy('os_compute_api:os-server-diagnostics'),
      );
      expectFault(
        await cloud.request('GET', path, { as: 'reader' }),
        403,
        policy('os_compute_api:os-server-diagnostics'),
      );
      expectFault(await cloud.request('GET', path, { as: 'other' }), 404, `Instance ${id} could not be found.`);
      assert.equal((await cloud.request('GET', path)).status, 401);
      expectFault(
        await cloud.request('GET', `/v2.1/servers/${MISSING}/diagnostics`, { as: 'admin' }),
        404,
        `Instance ${MISSING} could not be found.`,
      );
      await action(id, { 'os-stop': null });
      await cloud.drain();
      expectFault(
        await cloud.request('GET', path, { as: 'admin', mv: '2.48' }),
        409,
        `Cannot 'get_diagnostics' instance ${id} while it is in power_state shutdown`,
      );

      const offloaded = await cloud.createServer();
      await action(offloaded, { shelve: null });
      await cloud.drain();
      await action(offloaded, { shelveOffload: null }, 'admin');
      await cloud.drain();
      expectFault(
        await cloud.request('GET', `/v2.1/servers/${offloaded}/diagnostics`, { as: 'admin' }),
        409,
        `Instance ${offloaded} is not ready`,
      );
    });
  });
}
