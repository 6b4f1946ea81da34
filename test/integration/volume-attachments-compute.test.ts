// os-volume_attachments: list/show/attach/update/detach with Nova's bodies, the microversion
// views, the persona matrix, the lock, concurrent attaches of one volume, volumes_attached.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type HttpResult, TestCloud, type Persona } from '../../src/testing/kit.js';
import type { FakeDriver } from '../../src/drivers/fake/fake.driver.js';
import { databaseTargets } from '../../src/testing/databases.js';
import { settleVolumeWork } from '../../src/services/volume/volume-work.js';

const NIL = '00000000-0000-4000-8000-000000000000';
const KEYS: Record<number, string> = {
  400: 'badRequest',
  403: 'forbidden',
  404: 'itemNotFound',
  409: 'conflictingRequest',
};
function assertFault(res: HttpResult, status: number, message: string) {
  assert.equal(res.status, status, res.text);
  assert.deepEqual(res.body, { [KEYS[status]]: { code: status, message } });
}

for (const target of databaseTargets()) {
  describe(`os-volume_attachments on ${target.name}`, () => {
    let cloud: TestCloud;
    let drop: () => Promise<void>;
    const driver = () => cloud.stack.agents[0].driver as FakeDriver;
    const base = (id: string) => `/v2.1/servers/${id}/os-volume_attachments`;
    const attach = (id: string, body: unknown, as: Persona = 'member', mv?: string) =>
      cloud.request('POST', base(id), { as, body, mv });
    const volume = async (id: string) =>
      (await cloud.request('GET', `/volume/v3/${cloud.projects.member}/volumes/${id}`, { as: 'member' })).body?.volume;
    async function makeVolume(as: Persona = 'member'): Promise<string> {
      const res = await cloud.request('POST', `/volume/v3/${cloud.projects[as]}/volumes`, {
        as,
        body: { volume: { size: 1, name: 'v' } },
      });
      assert.equal(res.status, 202, res.text);
      await settleVolumeWork(cloud.stack.deps);
      return res.body.volume.id;
    }
    async function attached(server: string, mv = '2.79', extra: Record<string, unknown> = {}) {
      const v = await makeVolume();
      const res = await attach(server, { volumeAttachment: { volumeId: v, ...extra } }, 'member', mv);
      assert.equal(res.status, 200, res.text);
      await cloud.drain();
      return v;
    }

    before(async () => {
      const t = await target.url();
      drop = t.drop;
      cloud = await TestCloud.start({ database: t.url });
      for (const p of ['member', 'other'] as const) {
        await cloud.request('PUT', `/volume/v3/${cloud.projects.admin}/os-quota-sets/${cloud.projects[p]}`, {
          as: 'admin',
          body: { quota_set: { volumes: -1, gigabytes: -1 } },
        });
        await cloud.request('PUT', `/v2.1/os-quota-sets/${cloud.projects[p]}`, {
          as: 'admin',
          body: { quota_set: { instances: -1, cores: -1, ram: -1 } },
        });
      }
    });
    after(async () => {
      await cloud.close();
      await drop();
    });

    test('attach: 200 with the view, the node connects it, volume in-use; list, show, volumes_attached', async () => {
      const id = await cloud.createServer('member');
      const v = await makeVolume();
      const res = await attach(id, { volumeAttachment: { volumeId: v, device: '/dev/vdq' } });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body, { volumeAttachment: { id: v, serverId: id, volumeId: v, device: '/dev/vdb' } });
      assert.ok(['reserved', 'attaching', 'in-use'].includes((await volume(v)).status));
      await cloud.drain();
      const vol = await volume(v);
      assert.equal(vol.status, 'in-use');
      assert.equal(vol.attachments[0].server_id, id);
      assert.deepEqual(
        (await driver().volumes(id)).map((g) => g.volumeId),
        [v],
      );
      const list = await cloud.request('GET', base(id), { as: 'reader' });
      assert.equal(list.status, 200);
      assert.deepEqual(list.body, {
        volumeAttachments: [{ id: v, volumeId: v, serverId: id, device: '/dev/vdb' }],
      });
      const show = await cloud.request('GET', `${base(id)}/${v}`, { as: 'member', mv: '2.79' });
      assert.deepEqual(show.body, {
        volumeAttachment: {
          id: v,
          volumeId: v,
          serverId: id,
          device: '/dev/vdb',
          tag: null,
          delete_on_termination: false,
        },
      });
      const at89 = await cloud.request('GET', `${base(id)}/${v}`, { as: 'member', mv: '2.89' });
      assert.deepEqual(Object.keys(at89.body.volumeAttachment).sort(), [
        'attachment_id',
        'bdm_uuid',
        'delete_on_termination',
        'device',
        'serverId',
        'tag',
        'volumeId',
      ]);
      assert.equal(at89.body.volumeAttachment.attachment_id, vol.attachments[0].attachment_id);
      const s21 = await cloud.server(id, 'member', '2.1');
      assert.deepEqual(s21.body.server['os-extended-volumes:volumes_attached'], [{ id: v }]);
      const s23 = await cloud.server(id, 'member', '2.3');
      assert.deepEqual(s23.body.server['os-extended-volumes:volumes_attached'], [
        { id: v, delete_on_termination: false },
      ]);
      const detail = await cloud.request('GET', '/v2.1/servers/detail', { as: 'member', mv: '2.3' });
      const mine = detail.body.servers.find((s: { id: string }) => s.id === id);
      assert.deepEqual(mine['os-extended-volumes:volumes_attached'], [{ id: v, delete_on_termination: false }]);
      // limit/offset
      const v2 = await attached(id);
      const page = await cloud.request('GET', `${base(id)}?limit=1&offset=1`, { as: 'member' });
      assert.deepEqual(
        page.body.volumeAttachments.map((a: { volumeId: string }) => a.volumeId),
        [v2],
      );
      assertFault(
        await cloud.request('GET', `${base(id)}?limit=x`, { as: 'member' }),
        400,
        "Invalid input for query parameters limit. Value: x. 'x' does not match '^[0-9]*$'",
      );
      assertFault(
        await cloud.request('GET', `${base(id)}?foo=1`, { as: 'member', mv: '2.75' }),
        400,
        "Additional properties are not allowed ('foo' was unexpected)",
      );
      assert.equal((await cloud.request('GET', `${base(id)}?foo=1`, { as: 'member', mv: '2.74' })).status, 200);
    });

    test('tag 2.49 and delete_on_termination 2.79 in the create answer; PUT 2.85 updates delete_on_termination', async () => {
      const id = await cloud.createServer('member');
      const v = await makeVolume();
      const res = await attach(
        id,
        { volumeAttachment: { volumeId: v, tag: 'data', delete_on_termination: true } },
        'member',
        '2.79',
      );
      assert.deepEqual(res.body, {
        volumeAttachment: {
          id: v,
          serverId: id,
          volumeId: v,
          device: '/dev/vdb',
          tag: 'data',
          delete_on_termination: true,
        },
      });
      await cloud.drain();
      const put = (body: unknown, mv = '2.85', as: Persona = 'member') =>
        cloud.request('PUT', `${base(id)}/${v}`, { as, body, mv });
      const ok = await put({ volumeAttachment: { volumeId: v, delete_on_termination: false } });
      assert.equal(ok.status, 202, ok.text);
      const s = await cloud.server(id, 'member', '2.3');
      assert.deepEqual(s.body.server['os-extended-volumes:volumes_attached'], [
        { id: v, delete_on_termination: false },
      ]);
      assertFault(
        await put({ volumeAttachment: { volumeId: v, tag: 'other' } }),
        400,
        'The tag property is not mutable',
      );
      assertFault(
        await put({ volumeAttachment: { volumeId: v, device: '/dev/vdz' } }),
        400,
        'The device property is not mutable',
      );
      assertFault(
        await put({ volumeAttachment: { volumeId: v, serverId: NIL } }),
        400,
        'The serverId property is not mutable',
      );
      assertFault(
        await put({ volumeAttachment: { volumeId: v, delete_on_termination: 'maybe' } }),
        400,
        `Invalid input for field/attribute delete_on_termination. Value: maybe. 'maybe' is not one of [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no']`,
      );
      // Swap (a different volumeId, or any PUT before 2.85) is the service's or an admin's: 403 for users.
      const other = await makeVolume();
      assertFault(
        await put({ volumeAttachment: { volumeId: other } }),
        403,
        "Policy doesn't allow os_compute_api:os-volumes-attachments:swap to be performed.",
      );
      // An admin's swap: the URI's volume 404, the body's 400, else Nova's 409 (no Cinder migration).
      assertFault(
        await put({ volumeAttachment: { volumeId: v } }, '2.84', 'admin'),
        409,
        `volume ${v} is not migrating; this API should only be called by Cinder`,
      );
      assertFault(
        await cloud.request('PUT', `${base(id)}/${NIL}`, {
          as: 'admin',
          mv: '2.84',
          body: { volumeAttachment: { volumeId: v } },
        }),
        404,
        `Volume ${NIL} could not be found.`,
      );
      assertFault(
        await put({ volumeAttachment: { volumeId: NIL } }, '2.84', 'admin'),
        400,
        `Volume ${NIL} could not be found.`,
      );
      assertFault(
        await put({ volumeAttachment: { volumeId: v, delete_on_termination: true } }, '2.85', 'reader'),
        403,
        "Policy doesn't allow os_compute_api:os-volumes-attachments:update to be performed.",
      );
      assertFault(
        await cloud.request('PUT', `${base(id)}/${other}`, {
          as: 'member',
          mv: '2.85',
          body: { volumeAttachment: { volumeId: other } },
        }),
        404,
        `Instance ${id} is not attached to volume ${other}`,
      );
    });

    test("bad bodies: 400 with Nova's validator messages", async () => {
      const id = await cloud.createServer('member');
      const v = await makeVolume();
      assertFault(await attach(id, {}), 400, "'volumeAttachment' is a required property");
      assertFault(
        await attach(id, { volumeAttachment: {} }),
        400,
        "Invalid input for field/attribute volumeAttachment. Value: {}. 'volumeId' is a required property",
      );
      assertFault(
        await attach(id, { volumeAttachment: { volumeId: 'nope' } }),
        400,
        "Invalid input for field/attribute volumeId. Value: nope. 'nope' is not a 'uuid'",
      );
      assertFault(
        await attach(id, { volumeAttachment: { volumeId: 5 } }),
        400,
        "Invalid input for field/attribute volumeId. Value: 5. 5 is not of type 'string'",
      );
      assertFault(
        await attach(id, { volumeAttachment: { volumeId: v, device: 'sdb' } }),
        400,
        "Invalid input for field/attribute device. Value: sdb. 'sdb' does not match '(^/dev/x{0,1}[a-z]{0,1}d{0,1})([a-z]+)[0-9]*$'",
      );
      assertFault(
        await attach(id, { volumeAttachment: { volumeId: v, tag: 'x' } }, 'member', '2.48'),
        400,
        "Invalid input for field/attribute volumeAttachment. Value: {'volumeId': '" +
          v +
          "', 'tag': 'x'}. Additional properties are not allowed ('tag' was unexpected)",
      );
      assertFault(
        await attach(id, { volumeAttachment: { volumeId: v, tag: 'x'.repeat(61) } }, 'member', '2.49'),
        400,
        `Invalid input for field/attribute tag. Value: ${'x'.repeat(61)}. '${'x'.repeat(61)}' is too long`,
      );
      assertFault(
        await attach(id, { volumeAttachment: { volumeId: v, delete_on_termination: true } }, 'member', '2.78'),
        400,
        "Invalid input for field/attribute volumeAttachment. Value: {'volumeId': '" +
          v +
          "', 'delete_on_termination': True}. Additional properties are not allowed ('delete_on_termination' was unexpected)",
      );
      assertFault(await attach(id, [1]), 400, "[1] is not of type 'object'");
      assert.equal((await volume(v)).status, 'available');
    });

    test("404s, 400s and 409s of attach and detach with Nova's bodies", async () => {
      const id = await cloud.createServer('member');
      assertFault(await attach(id, { volumeAttachment: { volumeId: NIL } }), 404, `Volume ${NIL} could not be found.`);
      assertFault(
        await attach(NIL, { volumeAttachment: { volumeId: NIL } }),
        404,
        `Instance ${NIL} could not be found.`,
      );
      const v = await attached(id);
      // already attached (to this or another server)
      assertFault(
        await attach(id, { volumeAttachment: { volumeId: v } }),
        400,
        `Invalid volume: volume ${v} is already attached to instances: ${id}`,
      );
      const id2 = await cloud.createServer('member');
      assertFault(
        await attach(id2, { volumeAttachment: { volumeId: v } }),
        400,
        `Invalid volume: volume ${v} is already attached to instances: ${id}`,
      );
      // show / detach of a volume not attached
      const free = await makeVolume();
      assertFault(
        await cloud.request('GET', `${base(id)}/${free}`, { as: 'member' }),
        404,
        `Instance ${id} is not attached to volume ${free}`,
      );
      assertFault(
        await cloud.request('DELETE', `${base(id)}/${free}`, { as: 'member' }),
        404,
        `Instance ${id} is not attached to volume ${free}`,
      );
      assertFault(
        await cloud.request('DELETE', `${base(id)}/${NIL}`, { as: 'member' }),
        404,
        `Volume ${NIL} could not be found.`,
      );
      // a volume Cinder refuses (error state) → Nova's InvalidInput around Cinder's text
      await cloud.request('POST', `/volume/v3/${cloud.projects.admin}/volumes/${free}/action`, {
        as: 'admin',
        body: { 'os-reset_status': { status: 'error' } },
      });
      assertFault(
        await attach(id, { volumeAttachment: { volumeId: free } }),
        400,
        `Invalid input received: Invalid volume: Volume attachments can not be created if the volume is in an error state. The Volume ${free} currently has a status of: error  (HTTP 400)`,
      );
      // locked: 409 for the owner, the admin may
      await cloud.request('POST', `/v2.1/servers/${id}/action`, { as: 'member', body: { lock: null } });
      const w = await makeVolume();
      assertFault(await attach(id, { volumeAttachment: { volumeId: w } }), 409, `Instance ${id} is locked`);
      assertFault(await cloud.request('DELETE', `${base(id)}/${v}`, { as: 'member' }), 409, `Instance ${id} is locked`);
      await cloud.request('POST', `/v2.1/servers/${id}/action`, { as: 'member', body: { unlock: null } });
      // state: a suspended server refuses (Nova's check_instance_state)
      await cloud.request('POST', `/v2.1/servers/${id}/action`, { as: 'member', body: { suspend: null } });
      await cloud.drain();
      assertFault(
        await attach(id, { volumeAttachment: { volumeId: w } }),
        409,
        `Cannot 'attach_volume' instance ${id} while it is in vm_state suspended`,
      );
      assertFault(
        await cloud.request('DELETE', `${base(id)}/${v}`, { as: 'member' }),
        409,
        `Cannot 'detach_volume' instance ${id} while it is in vm_state suspended`,
      );
      await cloud.request('POST', `/v2.1/servers/${id}/action`, { as: 'member', body: { resume: null } });
      await cloud.drain();
      // detach: 202, detaching, then the node → available
      const det = await cloud.request('DELETE', `${base(id)}/${v}`, { as: 'member' });
      assert.equal(det.status, 202, det.text);
      await cloud.drain();
      assert.equal((await volume(v)).status, 'available');
      assert.deepEqual(
        (await driver().volumes(id)).map((g) => g.volumeId),
        [],
      );
      assert.deepEqual((await cloud.request('GET', base(id), { as: 'member' })).body, { volumeAttachments: [] });
    });

    test('persona matrix: reader 403 on writes, other project 404, no token 401', async () => {
      const id = await cloud.createServer('member');
      const v = await attached(id);
      const free = await makeVolume();
      assert.equal((await cloud.request('GET', base(id), { as: 'admin' })).status, 200);
      assert.equal((await cloud.request('GET', `${base(id)}/${v}`, { as: 'reader' })).status, 200);
      assertFault(
        await attach(id, { volumeAttachment: { volumeId: free } }, 'reader'),
        403,
        "Policy doesn't allow os_compute_api:os-volumes-attachments:create to be performed.",
      );
      assertFault(
        await cloud.request('DELETE', `${base(id)}/${v}`, { as: 'reader' }),
        403,
        "Policy doesn't allow os_compute_api:os-volumes-attachments:delete to be performed.",
      );
      for (const req of [
        cloud.request('GET', base(id), { as: 'other' }),
        cloud.request('GET', `${base(id)}/${v}`, { as: 'other' }),
        attach(id, { volumeAttachment: { volumeId: free } }, 'other'),
        cloud.request('DELETE', `${base(id)}/${v}`, { as: 'other' }),
      ])
        assertFault(await req, 404, `Instance ${id} could not be found.`);
      // the other project's own server cannot take this project's volume
      const theirs = await cloud.createServer('other');
      assertFault(
        await attach(theirs, { volumeAttachment: { volumeId: free } }, 'other'),
        404,
        `Volume ${free} could not be found.`,
      );
      assert.equal((await cloud.request('GET', base(id))).status, 401);
      // admin attaches into the member's server
      const a = await attach(id, { volumeAttachment: { volumeId: free } }, 'admin');
      assert.equal(a.status, 200, a.text);
      await cloud.drain();
      assert.equal((await volume(free)).status, 'in-use');
      // 405 for other methods
      assert.equal((await cloud.request('PATCH', base(id), { as: 'member', body: {} })).status, 405);
    });

    test('a failed connect on the node: attachment deleted, volume available, mapping gone', async () => {
      const id = await cloud.createServer('member');
      const v = await makeVolume();
      await cloud.request('POST', '/stratus/v1/faults', {
        as: 'admin',
        body: { fault: { host: 'compute-test', operation: 'attach_volume', mode: 'fail', server_id: id } },
      });
      assert.equal((await attach(id, { volumeAttachment: { volumeId: v } })).status, 200);
      await cloud.drain();
      await cloud.request('DELETE', '/stratus/v1/faults', { as: 'admin' });
      const vol = await volume(v);
      assert.equal(vol.status, 'available');
      assert.deepEqual(vol.attachments, []);
      assert.deepEqual((await cloud.request('GET', base(id), { as: 'member' })).body, { volumeAttachments: [] });
      const s = await cloud.server(id, 'member');
      assert.equal(s.body.server.status, 'ACTIVE');
    });

    test('a failed disconnect: volume back in-use, still attached', async () => {
      const id = await cloud.createServer('member');
      const v = await attached(id);
      await cloud.request('POST', '/stratus/v1/faults', {
        as: 'admin',
        body: { fault: { host: 'compute-test', operation: 'detach_volume', mode: 'fail', server_id: id } },
      });
      assert.equal((await cloud.request('DELETE', `${base(id)}/${v}`, { as: 'member' })).status, 202);
      await cloud.drain();
      await cloud.request('DELETE', '/stratus/v1/faults', { as: 'admin' });
      assert.equal((await volume(v)).status, 'in-use');
      assert.equal((await cloud.request('GET', base(id), { as: 'member' })).body.volumeAttachments.length, 1);
    });

    test('concurrent attaches of one volume to two servers: exactly one wins', async () => {
      const a = await cloud.createServer('member');
      const b = await cloud.createServer('member');
      const v = await makeVolume();
      const results = await Promise.all([
        attach(a, { volumeAttachment: { volumeId: v } }),
        attach(b, { volumeAttachment: { volumeId: v } }),
      ]);
      const codes = results.map((r) => r.status).sort();
      assert.deepEqual(codes, [200, 400], results.map((r) => r.text).join(' '));
      const loser = results.find((r) => r.status === 400)!;
      assert.match(loser.body.badRequest.message, /^Invalid (volume|input received)/);
      await cloud.drain();
      const vol = await volume(v);
      assert.equal(vol.status, 'in-use');
      assert.equal(vol.attachments.length, 1);
    });

    test('shelved offloaded: attach and detach without a node (2.20)', async () => {
      const id = await cloud.createServer('member');
      await cloud.request('POST', `/v2.1/servers/${id}/action`, { as: 'member', body: { shelve: null } });
      await cloud.drain();
      await cloud.request('POST', `/v2.1/servers/${id}/action`, { as: 'admin', body: { shelveOffload: null } });
      await cloud.drain();
      const s = await cloud.server(id);
      assert.equal(s.body.server['OS-EXT-STS:vm_state'], 'shelved_offloaded');
      const v = await makeVolume();
      assertFault(
        await attach(id, { volumeAttachment: { volumeId: v } }, 'member', '2.19'),
        409,
        `Cannot 'attach_volume' instance ${id} while it is in vm_state shelved_offloaded`,
      );
      const res = await attach(id, { volumeAttachment: { volumeId: v } }, 'member', '2.20');
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.volumeAttachment.device, null);
      assert.equal((await volume(v)).status, 'in-use');
      const w = await makeVolume();
      assert.equal((await attach(id, { volumeAttachment: { volumeId: w } }, 'member', '2.20')).status, 200);
      const det = await cloud.request('DELETE', `${base(id)}/${w}`, { as: 'member', mv: '2.20' });
      assert.equal(det.status, 202, det.text);
      assert.equal((await volume(w)).status, 'available', 'detached locally, at once');
      // Unshelve connects the volume attached while offloaded and names its device.
      await cloud.request('POST', `/v2.1/servers/${id}/action`, { as: 'member', body: { unshelve: null } });
      await cloud.drain();
      const shown = await cloud.request('GET', `${base(id)}/${v}`, { as: 'member' });
      assert.equal(shown.body.volumeAttachment.device, '/dev/vdb');
      assert.deepEqual(
        (await driver().volumes(id)).map((g) => g.volumeId),
        [v],
      );
      assert.equal((await volume(v)).status, 'in-use');
    });
  });
}
