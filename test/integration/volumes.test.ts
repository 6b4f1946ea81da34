// Block storage, Cinder v3 (cinder/api/v3/volumes.py, snapshots, types, quotas, attachments), over
// real HTTP on SQLite and PostgreSQL: Cinder's bodies, status codes and messages.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TestCloud, type HttpResult, type Persona } from '../../src/testing/kit.js';
import { databaseTargets } from '../../src/testing/databases.js';
import { settleVolumeWork } from '../../src/services/volume/volume-work.js';
import { startVolumeService } from '../../src/services/volume/volume-recovery.js';
import { DEMO_IMAGE_NAME } from '../../src/runtime/seed.js';

const KEYS: Record<number, string> = {
  400: 'badRequest',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  406: 'computeFault',
  409: 'conflictingRequest',
  413: 'overLimit',
};
function assertFault(res: HttpResult, status: number, message: string, extra: Record<string, unknown> = {}) {
  assert.equal(res.status, status, res.text);
  assert.deepEqual(res.body, { [KEYS[status]]: { code: status, message, ...extra } });
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
}

const GIB = 1024 * 1024 * 1024;

for (const target of databaseTargets()) {
  describe(`Cinder v3 on ${target.name}`, () => {
    let cloud: TestCloud;
    let db: { url: string; drop(): Promise<void> };
    const vpath = (p: Persona, path: string) => `/volume/v3/${cloud.projects[p]}${path}`;
    const vol = (
      method: string,
      path: string,
      opts: { as?: Persona; body?: unknown; mv?: string; project?: Persona } = {},
    ) =>
      cloud.request(method, vpath(opts.project ?? opts.as ?? 'member', path), {
        as: opts.as ?? 'member',
        body: opts.body,
        headers: opts.mv ? { 'openstack-api-version': `volume ${opts.mv}` } : {},
      });
    const settle = () => settleVolumeWork(cloud.stack.deps);
    const dataDir = () => cloud.stack.deps.config.data;
    async function makeVolume(as: Persona = 'member', extra: Record<string, unknown> = {}): Promise<string> {
      const res = await vol('POST', '/volumes', { as, body: { volume: { size: 1, name: 'v', ...extra } } });
      assert.equal(res.status, 202, res.text);
      await settle();
      return res.body.volume.id;
    }

    before(async () => {
      db = await target.url();
      cloud = await TestCloud.start({ database: db.url });
    });
    after(async () => {
      await cloud.close();
      await db.drop();
    });

    test('version documents, catalog and microversion negotiation', async () => {
      const root = await cloud.request('GET', '/volume/');
      assert.equal(root.status, 300);
      assert.equal(root.body.versions[0].id, 'v3.0');
      assert.equal(root.body.versions[0].version, '3.71');
      assert.equal(root.body.versions[0].min_version, '3.0');
      const v3 = await cloud.request('GET', '/volume/v3/');
      assert.equal(v3.status, 200);
      assert.equal(v3.body.versions[0].links[1].href, `${cloud.url}/volume/v3/`);

      const token = await cloud.request('POST', '/identity/v3/auth/tokens', {
        body: {
          auth: {
            identity: {
              methods: ['password'],
              password: { user: { name: 'demo', domain: { name: 'Default' }, password: 'secret' } },
            },
            scope: { project: { name: 'demo', domain: { name: 'Default' } } },
          },
        },
      });
      const types = token.body.token.catalog.map((s: { type: string }) => s.type);
      assert.ok(types.includes('volumev3') && types.includes('block-storage'));
      const ep = token.body.token.catalog.find((s: { type: string }) => s.type === 'volumev3').endpoints[0].url;
      assert.equal(ep, `${cloud.url}/volume/v3/${cloud.projects.member}`);

      const plain = await vol('GET', '/volumes');
      assert.equal(plain.status, 200);
      assert.equal(plain.headers.get('openstack-api-version'), 'volume 3.0');
      assert.equal(plain.headers.get('vary'), 'OpenStack-API-Version');
      const latest = await vol('GET', '/volumes', { mv: 'latest' });
      assert.equal(latest.headers.get('openstack-api-version'), 'volume 3.71');
      assert.equal((await vol('GET', '/volumes', { mv: '3.45' })).headers.get('openstack-api-version'), 'volume 3.45');
      assertFault(
        await vol('GET', '/volumes', { mv: '3.99' }),
        406,
        'Version 3.99 is not supported by the API. Minimum is 3.0 and maximum is 3.71.',
      );
      assertFault(
        await vol('GET', '/volumes', { mv: '2.1' }),
        406,
        'Version 2.1 is not supported by the API. Minimum is 3.0 and maximum is 3.71.',
      );
      assertFault(
        await vol('GET', '/volumes', { mv: 'abc' }),
        400,
        'API Version String abc is of invalid format. Must be of format MajorNum.MinorNum.',
      );
      const other = await cloud.request('GET', vpath('member', '/volumes'), {
        as: 'member',
        headers: { 'openstack-api-version': 'compute 2.1' },
      });
      assertFault(other, 400, 'API version None is not supported on this method.');
    });

    test("the URL project must be the token's; no token is 401", async () => {
      assertFault(await vol('GET', '/volumes', { as: 'member', project: 'other' }), 400, 'Malformed request url');
      const anon = await cloud.request('GET', vpath('member', '/volumes'));
      assert.equal(anon.status, 401);
      assert.equal(anon.body.error.code, 401);
      const bad = await cloud.request('PATCH', vpath('member', '/volumes'), { as: 'member' });
      assert.equal(bad.status, 405);
    });

    test('a clone of a volume and a volume from a snapshot stay sparse (no zeros written)', async () => {
      const src = (await vol('POST', '/volumes', { body: { volume: { size: 2, name: 'sparse-src' } } })).body.volume;
      await settle();
      const clone = await vol('POST', '/volumes', { body: { volume: { source_volid: src.id, name: 'sparse-clone' } } });
      assert.equal(clone.status, 202, clone.text);
      const snap = await vol('POST', '/snapshots', { body: { snapshot: { volume_id: src.id, name: 'sparse-snap' } } });
      assert.equal(snap.status, 202, snap.text);
      await settle();
      const fromSnap = await vol('POST', '/volumes', {
        body: { volume: { snapshot_id: snap.body.snapshot.id, name: 'sparse-from-snap' } },
      });
      assert.equal(fromSnap.status, 202, fromSnap.text);
      await settle();
      for (const id of [clone.body.volume.id, fromSnap.body.volume.id]) {
        assert.equal((await vol('GET', `/volumes/${id}`)).body.volume.status, 'available');
        const st = statSync(join(dataDir(), 'volumes', id));
        assert.equal(st.size, 2 * GIB);
        assert.ok(st.blocks * 512 < 1024 * 1024, `${id} is sparse (${st.blocks * 512} bytes on disk)`);
        assert.equal((await vol('DELETE', `/volumes/${id}`)).status, 202);
      }
      assert.equal((await vol('DELETE', `/snapshots/${snap.body.snapshot.id}`)).status, 202);
      await settle();
      assert.equal((await vol('DELETE', `/volumes/${src.id}`)).status, 202);
      await settle();
    });

    test('create → creating, then available with a sparse file; show, list, update, delete', async () => {
      const res = await vol('POST', '/volumes', { body: { volume: { size: 2, name: 'v1', metadata: { a: 'b' } } } });
      assert.equal(res.status, 202, res.text);
      const v = res.body.volume;
      assert.equal(v.status, 'creating');
      assert.equal(v.size, 2);
      assert.equal(v.volume_type, '__DEFAULT__');
      assert.equal(v.availability_zone, 'nova');
      assert.equal(v.bootable, 'false');
      assert.deepEqual(v.metadata, { a: 'b' });
      await settle();
      const file = join(dataDir(), 'volumes', v.id);
      assert.ok(existsSync(file));
      const st = statSync(file);
      assert.equal(st.size, 2 * GIB);
      assert.ok(st.blocks * 512 < 1024 * 1024, 'the file is sparse');
      const shown = await vol('GET', `/volumes/${v.id}`);
      assert.equal(shown.status, 200);
      assert.equal(shown.body.volume.status, 'available');
      assert.equal(shown.body.volume['os-vol-tenant-attr:tenant_id'], cloud.projects.member);
      assert.equal(shown.body.volume['os-vol-host-attr:host'], undefined);
      const list = await vol('GET', '/volumes');
      assert.deepEqual(Object.keys(list.body.volumes[0]).sort(), ['id', 'links', 'name']);
      const detail = await vol('GET', '/volumes/detail?with_count=true', { mv: '3.45' });
      assert.equal(detail.body.count, detail.body.volumes.length);
      assert.equal((await vol('GET', '/volumes/detail?name=v1')).body.volumes.length, 1);
      const page = await vol('GET', '/volumes?limit=1');
      assert.equal(page.body.volumes.length, 1);
      assert.equal(page.body.volumes_links[0].rel, 'next');
      assert.match(page.body.volumes_links[0].href, new RegExp(`marker=${page.body.volumes[0].id}`));
      assert.equal((await vol('GET', "/volumes/detail?metadata={'a':'b'}")).body.volumes.length, 1);
      assert.equal((await vol('GET', '/volumes/detail?status=error')).body.volumes.length, 0);
      const upd = await vol('PUT', `/volumes/${v.id}`, { body: { volume: { name: 'v1b', description: 'd' } } });
      assert.equal(upd.status, 200);
      assert.equal(upd.body.volume.name, 'v1b');
      const del = await vol('DELETE', `/volumes/${v.id}`);
      assert.equal(del.status, 202);
      assert.equal(del.text, '');
      await settle();
      assert.ok(!existsSync(file));
      assertFault(await vol('GET', `/volumes/${v.id}`), 404, `Volume ${v.id} could not be found.`);
    });

    test('persona matrix: reader reads but cannot write, another project sees 404', async () => {
      const id = await makeVolume();
      assert.equal((await vol('GET', `/volumes/${id}`, { as: 'reader' })).status, 200);
      assertFault(
        await vol('POST', '/volumes', { as: 'reader', body: { volume: { size: 1 } } }),
        403,
        "Policy doesn't allow volume:create to be performed.",
      );
      assertFault(
        await vol('PUT', `/volumes/${id}`, { as: 'reader', body: { volume: { name: 'x' } } }),
        403,
        "Policy doesn't allow volume:update to be performed.",
      );
      assertFault(
        await vol('DELETE', `/volumes/${id}`, { as: 'reader' }),
        403,
        "Policy doesn't allow volume:delete to be performed.",
      );
      assertFault(await vol('GET', `/volumes/${id}`, { as: 'other' }), 404, `Volume ${id} could not be found.`);
      assertFault(await vol('DELETE', `/volumes/${id}`, { as: 'other' }), 404, `Volume ${id} could not be found.`);
      const adminView = await vol('GET', `/volumes/${id}`, { as: 'admin' });
      assert.equal(adminView.status, 200);
      assert.equal(adminView.body.volume['os-vol-host-attr:host'], 'stratus@local#local');
      const all = await vol('GET', '/volumes?all_tenants=1', { as: 'admin' });
      assert.ok(all.body.volumes.some((x: { id: string }) => x.id === id));
      const mine = await vol('GET', '/volumes?all_tenants=1', { as: 'other' });
      assert.ok(!mine.body.volumes.some((x: { id: string }) => x.id === id));
      assertFault(await vol('GET', '/volumes/not-a-uuid'), 404, 'Volume not-a-uuid could not be found.');
      await vol('DELETE', `/volumes/${id}`);
      await settle();
    });

    test("bad input is a 400 with Cinder's text", async () => {
      assertFault(await vol('POST', '/volumes', { body: {} }), 400, "'volume' is a required property");
      assertFault(
        await vol('POST', '/volumes', { body: { volume: { size: 1 }, x: 1 } }),
        400,
        "Additional properties are not allowed ('x' was unexpected)",
      );
      assertFault(
        await vol('POST', '/volumes', { body: { volume: { size: 'abc' } } }),
        400,
        'Invalid input for field/attribute size. Value: abc. abc is not valid under any of the given schemas',
      );
      assertFault(
        await vol('POST', '/volumes', { body: { volume: { size: 0 } } }),
        400,
        'Invalid input for field/attribute size. Value: 0. 0 is less than the minimum of 1',
      );
      assertFault(
        await vol('POST', '/volumes', { body: { volume: { name: 'x' } } }),
        400,
        'Invalid input received: Invalid volume size provided for create request: None (size argument must be an integer (or string representation of an integer) and greater than zero).',
      );
      const long = 'n'.repeat(256);
      assertFault(
        await vol('POST', '/volumes', { body: { volume: { size: 1, name: long } } }),
        400,
        `Invalid input for field/attribute name. Value: ${long}. '${long}' is too long`,
      );
      assertFault(
        await vol('POST', '/volumes', { body: { volume: { size: 1, volume_type: 'nope' } } }),
        404,
        'Volume type with name nope could not be found.',
      );
      assertFault(
        await vol('POST', '/volumes', { body: { volume: { size: 1, imageRef: 'nope' } } }),
        400,
        'Invalid image identifier or unable to access requested image.',
      );
      assertFault(
        await vol('POST', '/volumes', { body: { volume: { size: 1, bogus: 1 } }, mv: '3.53' }),
        400,
        "Additional properties are not allowed ('bogus' was unexpected)",
      );
      assertFault(await vol('GET', '/volumes?limit=x'), 400, 'Invalid input received: limit param must be an integer');
      assertFault(await vol('GET', '/volumes?sort=bogus:asc'), 400, 'Invalid input received: Invalid sort key: bogus');
      assertFault(
        await vol('GET', '/volumes?marker=00000000-0000-4000-8000-000000000000'),
        404,
        'Marker 00000000-0000-4000-8000-000000000000 could not be found.',
      );
      const id = await makeVolume();
      assertFault(
        await vol('POST', `/volumes/${id}/action`, { body: { 'os-extend': { new_size: 1 } } }),
        400,
        'Invalid input received: New size for extend must be greater than current size. (current: 1, extended: 1).',
      );
      assertFault(
        await vol('POST', `/volumes/${id}/action`, { body: { 'os-bogus': {} } }),
        404,
        'The resource could not be found.',
      );
      await vol('DELETE', `/volumes/${id}`);
      await settle();
    });

    test('from an image: bootable, image bytes at the start, volume_image_metadata', async () => {
      const image = (await cloud.request('GET', `/image/v2/images?name=${DEMO_IMAGE_NAME}`, { as: 'admin' })).body
        .images[0];
      const res = await vol('POST', '/volumes', { body: { volume: { size: 1, imageRef: image.id } } });
      assert.equal(res.status, 202, res.text);
      await settle();
      const v = (await vol('GET', `/volumes/${res.body.volume.id}`)).body.volume;
      assert.equal(v.status, 'available');
      assert.equal(v.bootable, 'true');
      assert.equal(v.volume_image_metadata.image_id, image.id);
      assert.equal(statSync(join(dataDir(), 'volumes', v.id)).size, GIB);
      await vol('DELETE', `/volumes/${v.id}`);
      // An image with data: its bytes are the volume's first bytes.
      const img = await cloud.request('POST', '/image/v2/images', {
        as: 'member',
        body: { name: 'bytes', disk_format: 'raw', container_format: 'bare' },
      });
      assert.equal(img.status, 201, img.text);
      const up = await fetch(`${cloud.url}/image/v2/images/${img.body.id}/file`, {
        method: 'PUT',
        headers: { 'x-auth-token': cloud.tokens.member, 'content-type': 'application/octet-stream' },
        body: 'STRATUS-IMAGE-BYTES',
      });
      assert.equal(up.status, 204);
      const fromBytes = await vol('POST', '/volumes', { body: { volume: { size: 1, imageRef: img.body.id } } });
      await settle();
      const file = join(dataDir(), 'volumes', fromBytes.body.volume.id);
      assert.equal(readFileSync(file).subarray(0, 19).toString(), 'STRATUS-IMAGE-BYTES');
      await vol('DELETE', `/volumes/${fromBytes.body.volume.id}`);
      await settle();
    });

    test('extend, reset-status, set_bootable, readonly, force-delete', async () => {
      const id = await makeVolume();
      assert.equal(
        (await vol('POST', `/volumes/${id}/action`, { body: { 'os-extend': { new_size: 3 } } })).status,
        202,
      );
      await settle();
      const v = (await vol('GET', `/volumes/${id}`)).body.volume;
      assert.equal(v.size, 3);
      assert.equal(v.status, 'available');
      assert.equal(statSync(join(dataDir(), 'volumes', id)).size, 3 * GIB);
      assertFault(
        await vol('POST', `/volumes/${id}/action`, { body: { 'os-reset_status': { status: 'error' } } }),
        403,
        "Policy doesn't allow volume_extension:volume_admin_actions:reset_status to be performed.",
      );
      const reset = await cloud.request('POST', `/volume/v3/${cloud.projects.admin}/volumes/${id}/action`, {
        as: 'admin',
        body: { 'os-reset_status': { status: 'in-use' } },
      });
      assert.equal(reset.status, 202, reset.text);
      assertFault(
        await vol('DELETE', `/volumes/${id}`),
        400,
        'Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.',
      );
      assertFault(
        await vol('POST', `/volumes/${id}/action`, { body: { 'os-extend': { new_size: 4 } } }),
        400,
        `Invalid volume: Volume ${id} status must be '{'status': 'available'}' to extend, currently in-use.`,
      );
      assert.equal(
        (await vol('POST', `/volumes/${id}/action`, { body: { 'os-set_bootable': { bootable: true } } })).status,
        200,
      );
      assert.equal(
        (await vol('POST', `/volumes/${id}/action`, { body: { 'os-update_readonly_flag': { readonly: true } } }))
          .status,
        202,
      );
      assert.equal((await vol('GET', `/volumes/${id}`)).body.volume.bootable, 'true');
      const force = await cloud.request('POST', `/volume/v3/${cloud.projects.admin}/volumes/${id}/action`, {
        as: 'admin',
        body: { 'os-force_delete': {} },
      });
      assert.equal(force.status, 202, force.text);
      await settle();
      assertFault(await vol('GET', `/volumes/${id}`), 404, `Volume ${id} could not be found.`);
    });

    test('snapshots: create, list, a volume with one cannot be deleted, a volume from it, delete', async () => {
      const id = await makeVolume();
      const s = await vol('POST', '/snapshots', { body: { snapshot: { volume_id: id, name: 's1' } } });
      assert.equal(s.status, 202, s.text);
      assert.equal(s.body.snapshot.status, 'creating');
      await settle();
      const sid = s.body.snapshot.id;
      assert.ok(existsSync(join(dataDir(), 'volumes', 'snapshots', sid)));
      assert.equal((await vol('GET', `/snapshots/${sid}`)).body.snapshot.status, 'available');
      assert.equal((await vol('GET', '/snapshots/detail')).body.snapshots.length, 1);
      assertFault(
        await vol('DELETE', `/volumes/${id}`),
        400,
        'Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.',
      );
      const from = await vol('POST', '/volumes', { body: { volume: { snapshot_id: sid } } });
      assert.equal(from.status, 202, from.text);
      assert.equal(from.body.volume.snapshot_id, sid);
      await settle();
      assert.equal((await vol('GET', `/volumes/${from.body.volume.id}`)).body.volume.status, 'available');
      assertFault(await vol('GET', `/snapshots/${sid}`, { as: 'other' }), 404, `Snapshot ${sid} could not be found.`);
      assertFault(
        await vol('DELETE', `/snapshots/${sid}`, { as: 'reader' }),
        403,
        "Policy doesn't allow volume:delete_snapshot to be performed.",
      );
      assert.equal(
        (await vol('PUT', `/snapshots/${sid}`, { body: { snapshot: { name: 's2' } } })).body.snapshot.name,
        's2',
      );
      assert.equal((await vol('DELETE', `/snapshots/${sid}`)).status, 202);
      await settle();
      assertFault(await vol('GET', `/snapshots/${sid}`), 404, `Snapshot ${sid} could not be found.`);
      assert.ok(!existsSync(join(dataDir(), 'volumes', 'snapshots', sid)));
      for (const x of [id, from.body.volume.id]) await vol('DELETE', `/volumes/${x}`);
      await settle();
      // cascade deletes the snapshots first
      const id2 = await makeVolume();
      await vol('POST', '/snapshots', { body: { snapshot: { volume_id: id2 } } });
      await settle();
      assert.equal((await vol('DELETE', `/volumes/${id2}?cascade=true`)).status, 202);
      await settle();
      assert.equal((await vol('GET', '/snapshots')).body.snapshots.length, 0);
    });

    test('types: default, admin create/delete, others 403', async () => {
      const list = await vol('GET', '/types');
      assert.deepEqual(
        list.body.volume_types.map((t: { name: string }) => t.name),
        ['__DEFAULT__'],
      );
      assertFault(
        await vol('POST', '/types', { body: { volume_type: { name: 'fast' } } }),
        403,
        "Policy doesn't allow volume_extension:type_create to be performed.",
      );
      const admin = (method: string, path: string, body?: unknown) =>
        cloud.request(method, `/volume/v3/${cloud.projects.admin}${path}`, { as: 'admin', body });
      const created = await admin('POST', '/types', { volume_type: { name: 'fast', description: 'ssd' } });
      assert.equal(created.status, 200, created.text);
      assertFault(
        await admin('POST', '/types', { volume_type: { name: 'fast' } }),
        409,
        'Volume Type fast already exists.',
      );
      const id = await makeVolume('member', { volume_type: 'fast' });
      assert.equal((await vol('GET', `/volumes/${id}`)).body.volume.volume_type, 'fast');
      assertFault(
        await admin('DELETE', `/types/${created.body.volume_type.id}`),
        400,
        `Volume Type ${created.body.volume_type.id} deletion is not allowed with volumes present with the type.`,
      );
      await vol('DELETE', `/volumes/${id}`);
      await settle();
      assert.equal((await admin('DELETE', `/types/${created.body.volume_type.id}`)).status, 202);
      assertFault(await vol('GET', '/types/nope'), 404, 'Volume type nope could not be found.');
    });

    test('quotas: show, usage, defaults, update (admin), enforced with 413 overLimit', async () => {
      const q = await vol('GET', `/os-quota-sets/${cloud.projects.member}`);
      assert.equal(q.status, 200);
      assert.equal(q.body.quota_set.volumes, 10);
      assert.equal(q.body.quota_set.gigabytes, 1000);
      assert.equal(q.body.quota_set.volumes___DEFAULT__, -1);
      const u = await vol('GET', `/os-quota-sets/${cloud.projects.member}?usage=true`);
      assert.deepEqual(u.body.quota_set.volumes, { limit: 10, in_use: 0, reserved: 0 });
      assertFault(
        await vol('PUT', `/os-quota-sets/${cloud.projects.member}`, { body: { quota_set: { volumes: 1 } } }),
        403,
        "Policy doesn't allow volume_extension:quotas:update to be performed.",
      );
      assertFault(
        await vol('GET', `/os-quota-sets/${cloud.projects.admin}`),
        403,
        "Policy doesn't allow volume_extension:quotas:show to be performed.",
      );
      const admin = (method: string, path: string, body?: unknown) =>
        cloud.request(method, `/volume/v3/${cloud.projects.admin}${path}`, { as: 'admin', body });
      assertFault(
        await admin('PUT', `/os-quota-sets/${cloud.projects.member}`, { quota_set: { bogus: 1 } }),
        400,
        'Bad key(s) in quota set: bogus',
      );
      assertFault(
        await admin('PUT', `/os-quota-sets/${cloud.projects.member}`, { quota_set: { volumes: -2 } }),
        400,
        'Invalid input received: volumes must be >= -1',
      );
      const upd = await admin('PUT', `/os-quota-sets/${cloud.projects.member}`, {
        quota_set: { volumes: 1, gigabytes: 5 },
      });
      assert.equal(upd.status, 200, upd.text);
      assert.equal(upd.body.quota_set.volumes, 1);
      const id = await makeVolume();
      const over = await vol('POST', '/volumes', { body: { volume: { size: 1 } } });
      assertFault(
        over,
        413,
        "VolumeLimitExceeded: Maximum number of volumes allowed (1) exceeded for quota 'volumes'.",
        {
          retryAfter: '0',
        },
      );
      assert.equal(over.headers.get('retry-after'), '0');
      assertFault(
        await vol('POST', `/volumes/${id}/action`, { body: { 'os-extend': { new_size: 6 } } }),
        413,
        'VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested 5G, quota is 5G and 1G has been consumed.',
        { retryAfter: '0' },
      );
      const lim = await vol('GET', '/limits');
      assert.equal(lim.body.limits.absolute.maxTotalVolumes, 1);
      assert.equal(lim.body.limits.absolute.totalVolumesUsed, 1);
      assert.equal((await vol('GET', `/os-quota-sets/${cloud.projects.member}/defaults`)).body.quota_set.volumes, 10);
      // Cinder's limits never show in Nova's quota views
      const nova = await cloud.request('GET', `/v2.1/os-quota-sets/${cloud.projects.member}`, { as: 'member' });
      assert.equal(nova.body.quota_set.volumes, undefined);
      assert.equal((await admin('DELETE', `/os-quota-sets/${cloud.projects.member}`)).status, 200);
      assert.equal((await vol('GET', `/os-quota-sets/${cloud.projects.member}`)).body.quota_set.volumes, 10);
      await vol('DELETE', `/volumes/${id}`);
      await settle();
    });

    test('quota under concurrency: two creates for the last unit, exactly one wins', async () => {
      const admin = (method: string, path: string, body?: unknown) =>
        cloud.request(method, `/volume/v3/${cloud.projects.admin}${path}`, { as: 'admin', body });
      await admin('PUT', `/os-quota-sets/${cloud.projects.member}`, { quota_set: { volumes: 1 } });
      const [a, b] = await Promise.all([
        vol('POST', '/volumes', { body: { volume: { size: 1 } } }),
        vol('POST', '/volumes', { body: { volume: { size: 1 } } }),
      ]);
      assert.deepEqual([a.status, b.status].sort(), [202, 413]);
      await settle();
      const winner = a.status === 202 ? a : b;
      await vol('DELETE', `/volumes/${winner.body.volume.id}`);
      await settle();
      await admin('DELETE', `/os-quota-sets/${cloud.projects.member}`);
    });

    test('attachments (3.27/3.44): reserve, connect, complete, detach; no second attach', async () => {
      const id = await makeVolume();
      const server = '11111111-2222-4333-8444-555555555555';
      assertFault(
        await vol('POST', '/attachments', { body: { attachment: { volume_uuid: id, instance_uuid: server } } }),
        404,
        'The resource could not be found.',
      );
      const created = await vol('POST', '/attachments', {
        mv: '3.27',
        body: { attachment: { volume_uuid: id, instance_uuid: server } },
      });
      assert.equal(created.status, 200, created.text);
      const att = created.body.attachment;
      assert.equal(att.status, 'reserved');
      assert.equal((await vol('GET', `/volumes/${id}`)).body.volume.status, 'reserved');
      assertFault(
        await vol('POST', '/attachments', {
          mv: '3.27',
          body: { attachment: { volume_uuid: id, instance_uuid: server } },
        }),
        400,
        `Invalid volume: Volume ${id} status must be available or downloading to reserve, but the current status is reserved.`,
      );
      const upd = await vol('PUT', `/attachments/${att.id}`, {
        mv: '3.27',
        body: { attachment: { connector: { host: 'compute-test', mountpoint: '/dev/vdb' } } },
      });
      assert.equal(upd.status, 200, upd.text);
      assert.equal(upd.body.attachment.connection_info.driver_volume_type, 'local');
      assert.equal(upd.body.attachment.connection_info.data.device_path, join(dataDir(), 'volumes', id));
      assert.equal((await vol('GET', `/volumes/${id}`)).body.volume.status, 'attaching');
      const done = await vol('POST', `/attachments/${att.id}/action`, { mv: '3.44', body: { 'os-complete': null } });
      assert.equal(done.status, 204, done.text);
      const attached = (await vol('GET', `/volumes/${id}`)).body.volume;
      assert.equal(attached.status, 'in-use');
      assert.equal(attached.attachments[0].server_id, server);
      assert.equal(attached.attachments[0].attachment_id, att.id);
      assertFault(
        await vol('DELETE', `/volumes/${id}`),
        400,
        'Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.',
      );
      assert.equal((await vol('GET', '/attachments', { mv: '3.27' })).body.attachments.length, 1);
      assertFault(
        await vol('GET', `/attachments/${att.id}`, { mv: '3.27', as: 'other' }),
        404,
        `Volume attachment could not be found with filter: attachment_id = ${att.id}.`,
      );
      assertFault(
        await vol('DELETE', `/attachments/${att.id}`, { mv: '3.27', as: 'reader' }),
        403,
        "Policy doesn't allow volume:attachment_delete to be performed.",
      );
      const del = await vol('DELETE', `/attachments/${att.id}`, { mv: '3.27' });
      assert.equal(del.status, 200);
      assert.deepEqual(del.body, { attachments: [] });
      assert.equal((await vol('GET', `/volumes/${id}`)).body.volume.status, 'available');
      await vol('DELETE', `/volumes/${id}`);
      await settle();
    });

    test('concurrent attachment creates: exactly one wins', async () => {
      const id = await makeVolume();
      const make = (server: string) =>
        vol('POST', '/attachments', { mv: '3.27', body: { attachment: { volume_uuid: id, instance_uuid: server } } });
      const results = await Promise.all([
        make('11111111-2222-4333-8444-000000000001'),
        make('11111111-2222-4333-8444-000000000002'),
        make('11111111-2222-4333-8444-000000000003'),
      ]);
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 400, 400], results.map((r) => r.text).join('\n'));
      const rows = await cloud.stack.deps.db
        .selectFrom('volume_attachments')
        .selectAll()
        .where('volume_id', '=', id)
        .execute();
      assert.equal(rows.length, 1);
      for (const r of rows) await vol('DELETE', `/attachments/${r.id}`, { mv: '3.27' });
      await vol('DELETE', `/volumes/${id}`);
      await settle();
    });

    test('legacy os-volume_actions: reserve, attach, begin/roll detaching, detach, initialize_connection', async () => {
      const id = await makeVolume();
      const act = (body: unknown) => vol('POST', `/volumes/${id}/action`, { body });
      assert.equal((await act({ 'os-reserve': null })).status, 202);
      assert.equal((await vol('GET', `/volumes/${id}`)).body.volume.status, 'attaching');
      assertFault(
        await act({ 'os-reserve': null }),
        400,
        'Invalid volume: Volume status must be available to reserve, but the status is attaching.',
      );
      assert.equal(
        (await act({ 'os-attach': { instance_uuid: '11111111-2222-4333-8444-555555555555', mountpoint: '/dev/vdb' } }))
          .status,
        202,
      );
      assert.equal((await vol('GET', `/volumes/${id}`)).body.volume.status, 'in-use');
      assert.equal((await act({ 'os-begin_detaching': null })).status, 202);
      assert.equal((await vol('GET', `/volumes/${id}`)).body.volume.status, 'detaching');
      assert.equal((await act({ 'os-roll_detaching': null })).status, 202);
      assert.equal((await vol('GET', `/volumes/${id}`)).body.volume.status, 'in-use');
      const conn = await act({ 'os-initialize_connection': { connector: { host: 'h' } } });
      assert.equal(conn.status, 200);
      assert.equal(conn.body.connection_info.data.device_path, join(dataDir(), 'volumes', id));
      // a non-string attachment_id is Cinder's schema 400, not a detach of every attachment
      assertFault(
        await act({ 'os-detach': { attachment_id: 7 } }),
        400,
        "Invalid input for field/attribute attachment_id. Value: 7. 7 is not of type 'string', 'null'",
      );
      assert.equal((await vol('GET', `/volumes/${id}`)).body.volume.status, 'in-use');
      assert.equal((await act({ 'os-detach': {} })).status, 202);
      assert.equal((await vol('GET', `/volumes/${id}`)).body.volume.status, 'available');
      await vol('DELETE', `/volumes/${id}`);
      await settle();
    });

    test('restart recovery: nothing stays creating or deleting', async () => {
      const id = await makeVolume();
      const db = cloud.stack.deps.db;
      const now = new Date().toISOString();
      const row = await db.selectFrom('volumes').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      await db
        .insertInto('volumes')
        .values({ ...row, id: '22222222-2222-4222-8222-222222222222', status: 'creating', created_at: now })
        .execute();
      await db.updateTable('volumes').set({ status: 'deleting' }).where('id', '=', id).execute();
      await startVolumeService(cloud.stack.deps);
      const created = await vol('GET', '/volumes/22222222-2222-4222-8222-222222222222');
      assert.equal(created.body.volume.status, 'available');
      assert.ok(existsSync(join(dataDir(), 'volumes', '22222222-2222-4222-8222-222222222222')));
      assertFault(await vol('GET', `/volumes/${id}`), 404, `Volume ${id} could not be found.`);
      assert.ok(!existsSync(join(dataDir(), 'volumes', id)));
      await vol('DELETE', '/volumes/22222222-2222-4222-8222-222222222222');
      await settle();
    });
  });
}
