// unshelve with a zone or a host (2.77, 2.91: nova/api/openstack/compute/shelve.py, compute/api.py
// API.unshelve), shelved_offload_time N > 0 (the agent's _poll_shelved_instances), unshelve
// booting the shelved snapshot, and createBackup with rotation (create_backup.py,
// manager._rotate_backups); on SQLite and PostgreSQL (migration 0021's columns).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestCloud, UUID_RE, type Persona } from '../../src/testing/kit.js';
import { databaseTargets } from '../../src/testing/databases.js';
import { ManualClock } from '../../src/domain/clock.js';
import type { FakeDriver } from '../../src/drivers/fake/fake.driver.js';

const fault = (key: string, code: number, message: string) => ({ [key]: { code, message } });
const bad = (message: string) => fault('badRequest', 400, message);
const conflicting = (message: string) => fault('conflictingRequest', 409, message);
const notFound = (message: string) => fault('itemNotFound', 404, message);
const forbidden = (rule: string) => fault('forbidden', 403, `Policy doesn't allow ${rule} to be performed.`);
const H1 = 'compute-test-1';
const H2 = 'compute-test-2';

for (const target of databaseTargets()) {
  describe(`unshelve and createBackup (${target.name})`, () => {
    let cloud: TestCloud;
    let drop: () => Promise<void>;
    const clock = new ManualClock(new Date());
    const act = (id: string, body: unknown, as: Persona = 'member', mv?: string) =>
      cloud.request('POST', `/v2.1/servers/${id}/action`, { as, body, mv });
    const settle = async () => {
      for (let i = 0; i < 3; i++) await cloud.drain();
    };
    const show = async (id: string) => (await cloud.server(id)).body.server;
    const hostOf = async (id: string) => (await show(id))['OS-EXT-SRV-ATTR:host'] as string | null;
    const fake = (host: string) => cloud.stack.agents.find((a) => a.host === host)!.driver as FakeDriver;
    const offloaded = async (name: string) => {
      const id = await cloud.createServer('member', { name });
      assert.equal((await act(id, { shelve: null })).status, 202);
      await settle();
      assert.equal((await show(id)).status, 'SHELVED_OFFLOADED');
      return id;
    };
    const backupsOf = async (id: string) =>
      (await cloud.request('GET', '/image/v2/images', { as: 'admin' })).body.images.filter(
        (i: Record<string, unknown>) => i.instance_uuid === id && i.image_type === 'backup',
      ) as Array<Record<string, unknown>>;

    before(async () => {
      const db = await target.url();
      drop = db.drop;
      cloud = await TestCloud.start({ agents: 2, database: db.url }, { clock });
      // H2 alone in zone az2 (an aggregate's zone wins over the agent's).
      const agg = await cloud.request('POST', '/v2.1/os-aggregates', {
        as: 'admin',
        body: { aggregate: { name: 'az2-agg', availability_zone: 'az2' } },
      });
      assert.equal(agg.status, 200, agg.text);
      const add = await cloud.request('POST', `/v2.1/os-aggregates/${agg.body.aggregate.id}/action`, {
        as: 'admin',
        body: { add_host: { host: H2 } },
      });
      assert.equal(add.status, 200, add.text);
    });
    after(async () => {
      await cloud?.close();
      await drop?.();
    });

    // --- unshelve ---------------------------------------------------------------------------
    test('2.77 availability_zone: the offloaded server comes back in that zone, pinned to it', async () => {
      const id = await offloaded('to-az2');
      const res = await act(id, { unshelve: { availability_zone: 'az2' } }, 'member', '2.77');
      assert.equal(res.status, 202, res.text);
      assert.equal(res.text, '');
      await settle();
      const s = (await cloud.server(id, 'admin', '2.96')).body.server;
      assert.equal(s.status, 'ACTIVE');
      assert.equal(s['OS-EXT-SRV-ATTR:host'], H2);
      assert.equal(s['OS-EXT-AZ:availability_zone'], 'az2');
      assert.equal(s.pinned_availability_zone, 'az2');
      // Shelved again and unshelved without a zone: the pin keeps it in az2.
      await act(id, { shelve: null });
      await settle();
      assert.equal((await act(id, { unshelve: null }, 'member', '2.91')).status, 202);
      await settle();
      assert.equal(await hostOf(id), H2);
      // 2.91 availability_zone null unpins it.
      await act(id, { shelve: null });
      await settle();
      assert.equal((await act(id, { unshelve: { availability_zone: null } }, 'member', '2.91')).status, 202);
      await settle();
      assert.equal((await cloud.server(id, 'admin', '2.96')).body.server.pinned_availability_zone, null);
    });

    test('400 unknown zone; 409 a zone or host for a SHELVED server (Nova: must be SHELVED_OFFLOADED)', async () => {
      const id = await offloaded('bad-az');
      assert.deepEqual(
        (await act(id, { unshelve: { availability_zone: 'nowhere' } }, 'member', '2.77')).body,
        bad('The requested availability zone is not available'),
      );
      assert.equal((await show(id)).status, 'SHELVED_OFFLOADED');
      // An active server: the lifecycle's 409 first.
      const active = await cloud.createServer('member', { name: 'active' });
      const r = await act(active, { unshelve: { availability_zone: 'az2' } }, 'member', '2.77');
      assert.equal(r.status, 409);
      assert.deepEqual(r.body, conflicting(`Cannot 'unshelve' instance ${active} while it is in vm_state active`));
      // SHELVED (offload held back by a directly written state): the UnshelveInstanceInvalidState message.
      await cloud.stack.deps.db
        .updateTable('servers')
        .set({ vm_state: 'shelved', host: H1 })
        .where('id', '=', id)
        .execute();
      for (const [body, mv] of [
        [{ unshelve: { availability_zone: 'az2' } }, '2.77'],
        [{ unshelve: { host: H1 } }, '2.91'],
      ] as const) {
        const res = await act(id, body, 'admin', mv);
        assert.equal(res.status, 409, res.text);
        assert.deepEqual(
          res.body,
          conflicting(
            `Specifying an availability zone or a host when unshelving server "${id}" with status "shelved" is not supported. The server status must be SHELVED_OFFLOADED.`,
          ),
        );
      }
      await cloud.stack.deps.db
        .updateTable('servers')
        .set({ vm_state: 'shelved_offloaded', host: null })
        .where('id', '=', id)
        .execute();
    });

    test('2.91 host: admin only (unshelve_to_host), unknown host 400, host outside the pinned zone 409', async () => {
      const id = await offloaded('to-host');
      for (const as of ['member', 'reader'] as Persona[]) {
        const res = await act(id, { unshelve: { host: H1 } }, as, '2.91');
        assert.equal(res.status, 403, `${as}: ${res.text}`);
        const rule =
          as === 'reader' ? 'os_compute_api:os-shelve:unshelve' : 'os_compute_api:os-shelve:unshelve_to_host';
        assert.deepEqual(res.body, forbidden(rule));
      }
      const other = await act(id, { unshelve: { host: H1 } }, 'other', '2.91');
      assert.equal(other.status, 404);
      assert.deepEqual(other.body, notFound(`Instance ${id} could not be found.`));
      const none = await cloud.request('POST', `/v2.1/servers/${id}/action`, { body: { unshelve: null } });
      assert.equal(none.status, 401);
      const unknown = await act(id, { unshelve: { host: 'nohost' } }, 'admin', '2.91');
      assert.equal(unknown.status, 400);
      assert.deepEqual(unknown.body, bad('Compute host nohost could not be found.'));
      const outside = await act(id, { unshelve: { availability_zone: 'az2', host: H1 } }, 'admin', '2.91');
      assert.equal(outside.status, 409);
      assert.deepEqual(outside.body, conflicting(`Host "${H1}" is not in the availability zone "az2".`));
      for (const host of [H1, H2]) {
        const res = await act(id, { unshelve: { host } }, 'admin', '2.91');
        assert.equal(res.status, 202, res.text);
        await settle();
        assert.equal(await hostOf(id), host);
        assert.equal(await fake(host).power(id), 'running');
        await act(id, { shelve: null });
        await settle();
      }
    });

    test('schema errors per microversion in Nova words; before 2.77 the body is not looked at', async () => {
      const id = await offloaded('schema');
      const cases: Array<[unknown, string, string]> = [
        [
          {},
          '2.77',
          "Invalid input for field/attribute unshelve. Value: {}. 'availability_zone' is a required property",
        ],
        [
          { availability_zone: 'az2', host: H1 },
          '2.77',
          "Invalid input for field/attribute unshelve. Value: {'availability_zone': 'az2', 'host': 'compute-test-1'}. Additional properties are not allowed ('host' was unexpected)",
        ],
        [
          { availability_zone: null },
          '2.77',
          "Invalid input for field/attribute availability_zone. Value: None. None is not of type 'string'",
        ],
        [
          { availability_zone: ' az2' },
          '2.77',
          "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.",
        ],
        [
          { availability_zone: 'x'.repeat(256) },
          '2.77',
          `Invalid input for field/attribute availability_zone. Value: ${'x'.repeat(256)}. '${'x'.repeat(256)}' is too long`,
        ],
        [
          'az2',
          '2.77',
          "Invalid input for field/attribute unshelve. Value: az2. 'az2' is not of type 'object', 'null'",
        ],
        [
          { foo: 'bar' },
          '2.91',
          "Invalid input for field/attribute unshelve. Value: {'foo': 'bar'}. {'foo': 'bar'} is not valid under any of the given schemas",
        ],
        [
          { host: 1 },
          '2.91',
          "Invalid input for field/attribute unshelve. Value: {'host': 1}. {'host': 1} is not valid under any of the given schemas",
        ],
      ];
      for (const [value, mv, message] of cases) {
        const res = await act(id, { unshelve: value }, 'admin', mv);
        assert.equal(res.status, 400, `${JSON.stringify(value)} @${mv}: ${res.text}`);
        assert.deepEqual(res.body, bad(message));
      }
      // 2.76: whatever the body holds, a plain unshelve.
      assert.equal((await act(id, { unshelve: { availability_zone: 'nowhere' } }, 'member', '2.76')).status, 202);
      await settle();
      assert.equal((await show(id)).status, 'ACTIVE');
    });

    test('unshelve boots the shelved snapshot: the new guest has its data as its disk', async () => {
      const id = await offloaded('snapboot');
      const image = (await cloud.request('GET', '/image/v2/images?name=snapboot-shelved', { as: 'admin' })).body
        .images[0];
      const data = (await cloud.request('GET', `/image/v2/images/${image.id}/file`, { as: 'admin' })).text;
      assert.match(data, /^fake disk of /);
      assert.equal((await act(id, { unshelve: null })).status, 202);
      await settle();
      const host = (await hostOf(id))!;
      const disk = Buffer.concat(
        await (async () => {
          const out: Buffer[] = [];
          for await (const c of await fake(host).snapshot(id)) out.push(Buffer.from(c));
          return out;
        })(),
      ).toString();
      assert.equal(disk, data);
      assert.equal((await cloud.request('GET', `/image/v2/images/${image.id}`, { as: 'admin' })).status, 404);
    });

    // --- createBackup ---------------------------------------------------------------------
    test('createBackup: 202 with Location before 2.45, image_id from 2.45; image_type backup, backup_type', async () => {
      const id = await cloud.createServer('member', { name: 'bk' });
      const old = await act(id, { createBackup: { name: 'b1', backup_type: 'daily', rotation: 3 } });
      assert.equal(old.status, 202, old.text);
      assert.equal(old.text, '');
      assert.match(old.headers.get('location') ?? '', /\/image\/v2\/images\/[0-9a-f-]{36}$/);
      // One image task at a time (Nova: expected_task_state None).
      const busy = await act(id, { createBackup: { name: 'b1', backup_type: 'daily', rotation: 3 } });
      assert.equal(busy.status, 409);
      assert.match(
        busy.body.conflictingRequest.message,
        new RegExp(
          `^Cannot 'createBackup' instance ${id} while it is in task_state image_(backup|pending_upload|uploading)$`,
        ),
      );
      await settle();
      const res = await act(
        id,
        { createBackup: { name: 'b2', backup_type: 'daily', rotation: '3', metadata: { k: 'v' } } },
        'member',
        '2.45',
      );
      assert.equal(res.status, 202);
      assert.match(res.body.image_id, UUID_RE);
      assert.equal(res.headers.get('location'), null);
      await settle();
      const img = (await cloud.request('GET', `/image/v2/images/${res.body.image_id}`, { as: 'member' })).body;
      assert.equal(img.status, 'active');
      assert.equal(img.image_type, 'backup');
      assert.equal(img.backup_type, 'daily');
      assert.equal(img.k, 'v');
      const actions = (await cloud.request('GET', `/v2.1/servers/${id}/os-instance-actions`, { as: 'member' })).body
        .instanceActions;
      assert.ok(actions.some((a: { action: string }) => a.action === 'createBackup'));
      // rotation 0 before 2.45: no Location (Nova), and the backup is rotated out once made.
      const zero = await act(id, { createBackup: { name: 'b0', backup_type: 'weekly', rotation: 0 } });
      assert.equal(zero.status, 202);
      assert.equal(zero.headers.get('location'), null);
      await settle();
      assert.deepEqual(
        (await backupsOf(id)).filter((b) => b.backup_type === 'weekly'),
        [],
      );
    });

    test('rotation keeps the newest N backups of that server and type', async () => {
      const id = await cloud.createServer('member', { name: 'rot' });
      const made: string[] = [];
      for (let i = 0; i < 4; i++) {
        clock.advance(1000);
        const res = await act(
          id,
          { createBackup: { name: `r${i}`, backup_type: 'daily', rotation: 2 } },
          'member',
          '2.45',
        );
        assert.equal(res.status, 202, res.text);
        made.push(res.body.image_id);
        await settle();
      }
      clock.advance(1000);
      await act(id, { createBackup: { name: 'w', backup_type: 'weekly', rotation: 2 } }, 'member', '2.45');
      await settle();
      const left = await backupsOf(id);
      assert.deepEqual(
        left
          .filter((b) => b.backup_type === 'daily')
          .map((b) => b.id)
          .sort(),
        [made[2], made[3]].sort(),
      );
      assert.equal(left.filter((b) => b.backup_type === 'weekly').length, 1, 'another type is not rotated');
      // Glance v2 filters on extra properties and sorts by created_at (Tempest's test_create_backup lists so).
      const listed = await cloud.request(
        'GET',
        `/image/v2/images?image_type=backup&backup_type=daily&instance_uuid=${id}&status=active&sort_key=created_at&sort_dir=asc`,
        { as: 'member' },
      );
      assert.deepEqual(
        listed.body.images.map((i: { id: string }) => i.id),
        [made[2], made[3]],
      );
    });

    test('createBackup errors: schema 400s, 403 reader, 404 other project, 409 wrong state, 401', async () => {
      const id = await cloud.createServer('member', { name: 'bkerr' });
      const ok = { name: 'b', backup_type: 'daily', rotation: 1 };
      const cases: Array<[unknown, string]> = [
        [
          { name: 'b', backup_type: 'daily' },
          "Invalid input for field/attribute createBackup. Value: {'name': 'b', 'backup_type': 'daily'}. 'rotation' is a required property",
        ],
        [
          { ...ok, rotation: -1 },
          'Invalid input for field/attribute rotation. Value: -1. -1 is less than the minimum of 0',
        ],
        [
          { ...ok, rotation: 'x' },
          "Invalid input for field/attribute rotation. Value: x. 'x' does not match '^[0-9]*$'",
        ],
        [
          { ...ok, rotation: 1.5 },
          "Invalid input for field/attribute rotation. Value: 1.5. 1.5 is not of type 'integer', 'string'",
        ],
        [
          { ...ok, backup_type: 1 },
          "Invalid input for field/attribute backup_type. Value: 1. 1 is not of type 'string'",
        ],
        [{ ...ok, name: '' }, "Invalid input for field/attribute name. Value: . '' should be non-empty"],
        [
          { ...ok, name: 'n'.repeat(256) },
          `Invalid input for field/attribute name. Value: ${'n'.repeat(256)}. '${'n'.repeat(256)}' is too long`,
        ],
        [
          { ...ok, extra: 1 },
          "Invalid input for field/attribute createBackup. Value: {'name': 'b', 'backup_type': 'daily', 'rotation': 1, 'extra': 1}. Additional properties are not allowed ('extra' was unexpected)",
        ],
        [{ ...ok, metadata: { k: 1 } }, "Invalid input for field/attribute k. Value: 1. 1 is not of type 'string'"],
        [null, "Invalid input for field/attribute createBackup. Value: None. None is not of type 'object'"],
      ];
      for (const [value, message] of cases) {
        const res = await act(id, { createBackup: value });
        assert.equal(res.status, 400, `${JSON.stringify(value)}: ${res.text}`);
        assert.deepEqual(res.body, bad(message));
      }
      const reader = await act(id, { createBackup: ok }, 'reader');
      assert.equal(reader.status, 403);
      assert.deepEqual(reader.body, forbidden('os_compute_api:os-create-backup'));
      const other = await act(id, { createBackup: ok }, 'other');
      assert.equal(other.status, 404);
      assert.deepEqual(other.body, notFound(`Instance ${id} could not be found.`));
      assert.equal(
        (await cloud.request('POST', `/v2.1/servers/${id}/action`, { body: { createBackup: ok } })).status,
        401,
      );
      await act(id, { shelve: null });
      await settle();
      const shelved = await act(id, { createBackup: ok });
      assert.equal(shelved.status, 409);
      assert.deepEqual(
        shelved.body,
        conflicting(`Cannot 'createBackup' instance ${id} while it is in vm_state shelved_offloaded`),
      );
      // Locked: Nova does not check the lock for a backup.
      const locked = await cloud.createServer('member', { name: 'bklock' });
      assert.equal((await act(locked, { lock: null }, 'admin')).status, 202);
      assert.equal((await act(locked, { createBackup: ok })).status, 202);
      await settle();
    });

    test('a delete while the backup is queued deletes its image', async () => {
      const id = await cloud.createServer('member', { name: 'bkdel' });
      const res = await act(
        id,
        { createBackup: { name: 'gone', backup_type: 'daily', rotation: 1 } },
        'member',
        '2.45',
      );
      assert.equal(res.status, 202);
      assert.equal((await cloud.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' })).status, 204);
      await settle();
      assert.equal((await cloud.request('GET', `/image/v2/images/${res.body.image_id}`, { as: 'admin' })).status, 404);
      assert.equal((await cloud.server(id)).status, 404);
    });
  });
}

describe('shelved_offload_time > 0', () => {
  let cloud: TestCloud;
  const clock = new ManualClock(new Date());
  before(async () => {
    cloud = await TestCloud.start({ shelvedOffloadTime: 30 }, { clock });
  });
  after(async () => {
    await cloud?.close();
  });
  test('the node offloads a SHELVED server once it has been shelved longer than N seconds', async () => {
    const id = await cloud.createServer('member', { name: 'later' });
    assert.equal(
      (await cloud.request('POST', `/v2.1/servers/${id}/action`, { as: 'member', body: { shelve: null } })).status,
      202,
    );
    await cloud.drain();
    const state = async () => (await cloud.server(id)).body.server.status;
    assert.equal(await state(), 'SHELVED');
    clock.advance(29_000);
    await cloud.stack.agents[0].periodic();
    await cloud.drain();
    assert.equal(await state(), 'SHELVED', 'not before N seconds');
    clock.advance(2_000);
    await cloud.stack.agents[0].periodic();
    await cloud.drain();
    const s = (await cloud.server(id)).body.server;
    assert.equal(s.status, 'SHELVED_OFFLOADED');
    assert.equal(s['OS-EXT-SRV-ATTR:host'], null);
    assert.equal(await cloud.stack.agents[0].driver.power(id), 'missing');
    // Unshelved, shelved again: the clock starts over from the new shelve.
    await cloud.request('POST', `/v2.1/servers/${id}/action`, { as: 'member', body: { unshelve: null } });
    await cloud.drain();
    await cloud.request('POST', `/v2.1/servers/${id}/action`, { as: 'member', body: { shelve: null } });
    await cloud.drain();
    clock.advance(10_000);
    await cloud.stack.agents[0].periodic();
    await cloud.drain();
    assert.equal(await state(), 'SHELVED');
  });
});

describe('unshelve on the process driver', () => {
  let pc: TestCloud;
  before(async () => {
    pc = await TestCloud.start({ driver: 'process' });
    const f = await pc.request('POST', '/v2.1/flavors', {
      as: 'admin',
      body: { flavor: { name: 'tiny0', ram: 64, vcpus: 1, disk: 0, id: 'tiny0' } },
    });
    assert.equal(f.status, 200, f.text);
  });
  after(async () => {
    await pc?.close();
  });
  test('an offloaded server boots from its <name>-shelved snapshot: the guest disk is the data it wrote', async () => {
    const id = await pc.createServer('member', { name: 'pshelf', flavorRef: 'tiny0', networks: 'none' });
    const disk = join(pc.stack.deps.config.data, pc.stack.agents[0].host, 'instances', id, 'disk');
    writeFileSync(disk, 'what the guest wrote before the shelve\n');
    const act = (body: unknown) => pc.request('POST', `/v2.1/servers/${id}/action`, { as: 'member', body });
    assert.equal((await act({ shelve: null })).status, 202);
    await pc.drain();
    assert.equal((await pc.server(id)).body.server.status, 'SHELVED_OFFLOADED');
    assert.equal(existsSync(disk), false, 'offload removed the instance directory');
    assert.equal((await act({ unshelve: null })).status, 202);
    await pc.drain();
    assert.equal((await pc.server(id)).body.server.status, 'ACTIVE');
    assert.equal(readFileSync(disk, 'utf8'), 'what the guest wrote before the shelve\n');
    const left = (await pc.request('GET', '/image/v2/images?name=pshelf-shelved', { as: 'admin' })).body.images;
    assert.deepEqual(left, [], 'the snapshot image is deleted once the server runs');
    await pc.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' });
    await pc.drain();
  });
});
