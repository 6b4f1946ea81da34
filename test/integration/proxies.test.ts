// The 2.1 proxy APIs (/images and image metadata, os-tenant-networks, os-floating-ips,
// os-floating-ip-pools, os-security-groups) and /servers/{id}/ips, on SQLite and PostgreSQL:
// status and exact body of every answer, and the 404 past each proxy's last microversion.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud, type Persona } from '../../src/testing/kit.js';
import { databaseTargets } from '../../src/testing/databases.js';

const fault = (key: string, code: number, message: string) => ({ [key]: { code, message } });
const bad = (message: string) => fault('badRequest', 400, message);
const notFound = (message: string) => fault('itemNotFound', 404, message);
const forbiddenMsg = (message: string) => fault('forbidden', 403, message);
const forbidden = (rule: string) => forbiddenMsg(`Policy doesn't allow ${rule} to be performed.`);
const GONE = fault('computeFault', 410, 'This resource is no longer available.  No forwarding address is given.');
const NO_RESOURCE = notFound('The resource could not be found.');
const ISOTIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const ALL: Persona[] = ['admin', 'member', 'reader', 'other'];
const MISSING = '6f9b1b8c-0000-4000-8000-000000000000';

for (const target of databaseTargets()) {
  describe(`2.1 proxies and server ips (${target.name})`, () => {
    let cloud: TestCloud;
    let drop: () => Promise<void>;
    let seq = 0;
    const req = (method: string, path: string, opts: Parameters<TestCloud['request']>[2] = {}) =>
      cloud.request(method, path, opts);
    /** An image registered in the image service by an admin, owned by `owner`'s project. */
    const newImage = async (extra: Record<string, unknown> = {}, owner: Persona = 'member') => {
      const res = await req('POST', '/image/v2/images', {
        as: 'admin',
        body: {
          name: `proxy-${++seq}`,
          disk_format: 'qcow2',
          container_format: 'bare',
          visibility: 'shared',
          owner: cloud.projects[owner],
          min_ram: 64,
          min_disk: 1,
          ...extra,
        },
      });
      assert.equal(res.status, 201, res.text);
      // Glance: queued until it has data.
      const put = await req('PUT', `/image/v2/images/${res.body.id}/file`, {
        as: 'admin',
        rawBody: 'image data',
        headers: { 'content-type': 'application/octet-stream' },
      });
      assert.equal(put.status, 204, put.text);
      return res.body.id as string;
    };

    before(async () => {
      const db = await target.url();
      drop = db.drop;
      cloud = await TestCloud.start({ database: db.url });
    });
    after(async () => {
      await cloud?.close();
      await drop?.();
    });

    // --- images ------------------------------------------------------------------------
    test("images: index, detail and show in Nova's image view", async () => {
      const id = await newImage({ os_distro: 'cirros', auto_disk_config: 'True', instance_uuid: MISSING });
      const index = await req('GET', '/v2.1/images', { as: 'member' });
      assert.equal(index.status, 200);
      const brief = index.body.images.find((i: { id: string }) => i.id === id);
      assert.deepEqual(Object.keys(brief), ['id', 'name', 'links']);
      assert.deepEqual(
        brief.links.map((l: { rel: string }) => l.rel),
        ['self', 'bookmark', 'alternate'],
      );
      assert.match(brief.links[0].href, new RegExp(`/v2\\.1/images/${id}$`));
      assert.match(brief.links[2].href, new RegExp(`/image/images/${id}$`));
      const show = await req('GET', `/v2.1/images/${id}`, { as: 'reader' });
      assert.equal(show.status, 200);
      const img = show.body.image;
      assert.equal(img.id, id);
      assert.equal(img.status, 'ACTIVE');
      assert.equal(img.progress, 100);
      assert.equal(img.minRam, 64);
      assert.equal(img.minDisk, 1);
      assert.equal(img['OS-EXT-IMG-SIZE:size'], 10, 'the 10 bytes newImage uploads');
      assert.equal(img['OS-DCF:diskConfig'], 'AUTO');
      assert.match(img.created, ISOTIME);
      assert.match(img.updated, ISOTIME);
      assert.deepEqual(img.metadata, { os_distro: 'cirros', auto_disk_config: 'True', instance_uuid: MISSING });
      assert.equal(img.server.id, MISSING);
      assert.match(img.server.links[0].href, new RegExp(`/v2\\.1/servers/${MISSING}$`));
      const detail = await req('GET', '/v2.1/images/detail', { as: 'member' });
      assert.deepEqual(
        detail.body.images.find((i: { id: string }) => i.id === id),
        img,
      );
      // The project-id form links with the project id.
      const p = cloud.projects.member;
      const scoped = await req('GET', `/v2.1/${p}/images/${id}`, { as: 'member' });
      assert.match(scoped.body.image.links[0].href, new RegExp(`/v2\\.1/${p}/images/${id}$`));
      assert.equal(scoped.body.image.links[1].href, `${cloud.url}/${p}/images/${id}`);
    });

    test('images: filters (name, status, server, type, minRam, minDisk, property-*) and paging', async () => {
      const a = await newImage({ image_type: 'snapshot', instance_uuid: MISSING, min_ram: 2048 });
      const b = await newImage({ min_disk: 40 });
      const ids = async (qs: string) => {
        const res = await req('GET', `/v2.1/images?${qs}`, { as: 'member' });
        assert.equal(res.status, 200, res.text);
        return res.body.images.map((i: { id: string }) => i.id).filter((i: string) => i === a || i === b);
      };
      const nameA = (await req('GET', `/v2.1/images/${a}`, { as: 'member' })).body.image.name;
      assert.deepEqual(await ids(`name=${nameA}`), [a]);
      assert.deepEqual(await ids('status=ACTIVE'), [b, a]);
      assert.deepEqual(await ids('status=SAVING'), []);
      assert.deepEqual(await ids(`server=http://x/servers/${MISSING}`), [a]);
      assert.deepEqual(await ids('type=snapshot'), [a]);
      assert.deepEqual(await ids('minRam=1024'), [a]);
      assert.deepEqual(await ids('minDisk=20'), [b]);
      assert.deepEqual(await ids('property-image_type=snapshot'), [a]);
      assert.deepEqual(await ids('changes-since=2000-01-01T00:00:00Z'), [b, a]);
      const page = await req('GET', '/v2.1/images?limit=1', { as: 'member' });
      assert.equal(page.body.images.length, 1);
      assert.match(page.body.images_links[0].href, /\/v2\.1\/images\?limit=1&marker=/);
      const next = await req('GET', `/v2.1/images?limit=1&marker=${page.body.images[0].id}`, { as: 'member' });
      assert.equal(next.status, 200);
      assert.notEqual(next.body.images[0].id, page.body.images[0].id);
      const marker = await req('GET', `/v2.1/images?marker=${MISSING}`, { as: 'member' });
      assert.equal(marker.status, 400);
      assert.deepEqual(marker.body, bad(`Marker ${MISSING} could not be found.`));
      const limit = await req('GET', '/v2.1/images?limit=-1', { as: 'member' });
      assert.equal(limit.status, 400);
      assert.deepEqual(
        limit.body,
        bad("Invalid input for field/attribute limit. Value: -1. '-1' does not match '^[0-9]*$'"),
      );
      const minRam = await req('GET', '/v2.1/images?minRam=abc', { as: 'member' });
      assert.equal(minRam.status, 400);
      assert.deepEqual(minRam.body, bad('Invalid minRam filter [abc]'));
    });

    test('images: show of a missing, malformed or invisible image is 404 "Image not found."', async () => {
      const priv = await newImage({ visibility: 'private' }, 'member');
      for (const [as, id] of [
        ['member', MISSING],
        ['member', 'not-a-uuid'],
        ['other', priv],
      ] as Array<[Persona, string]>) {
        const res = await req('GET', `/v2.1/images/${id}`, { as });
        assert.equal(res.status, 404);
        assert.deepEqual(res.body, notFound('Image not found.'));
      }
      assert.equal((await req('GET', `/v2.1/images/${priv}`)).status, 401);
    });

    test('images: delete is 204 for an admin; 403 for a protected image or a reader; 404 when missing', async () => {
      const id = await newImage();
      // Glance's delete_image: a member of the owning project may delete (below: the admin does).
      for (const as of ['reader'] as Persona[]) {
        const res = await req('DELETE', `/v2.1/images/${id}`, { as });
        assert.equal(res.status, 403);
        assert.deepEqual(res.body, forbiddenMsg('You are not allowed to delete the image.'));
      }
      const other = await req('DELETE', `/v2.1/images/${id}`, { as: 'other' });
      assert.equal(other.status, 404);
      assert.deepEqual(other.body, notFound('Image not found.'));
      const ok = await req('DELETE', `/v2.1/images/${id}`, { as: 'admin' });
      assert.equal(ok.status, 204);
      assert.equal(ok.text, '');
      const again = await req('DELETE', `/v2.1/images/${id}`, { as: 'admin' });
      assert.equal(again.status, 404);
      assert.deepEqual(again.body, notFound('Image not found.'));
      const prot = await newImage({ protected: true });
      const res = await req('DELETE', `/v2.1/images/${prot}`, { as: 'admin' });
      assert.equal(res.status, 403);
      assert.deepEqual(res.body, forbiddenMsg('You are not allowed to delete the image.'));
    });

    test("images: 404 from 2.36 (Nova's MAX_PROXY_API_SUPPORT_VERSION is 2.35)", async () => {
      const id = await newImage();
      assert.equal((await req('GET', '/v2.1/images', { as: 'member', mv: '2.35' })).status, 200);
      for (const [m, p] of [
        ['GET', '/v2.1/images'],
        ['GET', '/v2.1/images/detail'],
        ['GET', `/v2.1/images/${id}`],
        ['DELETE', `/v2.1/images/${id}`],
      ]) {
        const res = await req(m, p, { as: 'admin', mv: '2.36' });
        assert.equal(res.status, 404, `${m} ${p}`);
        assert.deepEqual(res.body, NO_RESOURCE);
      }
      const res = await req('PUT', '/v2.1/images', { as: 'admin' });
      assert.equal(res.status, 405);
    });

    // --- image metadata ----------------------------------------------------------------
    test('image metadata: list, show, create (merge), update_all (replace), update one key, delete', async () => {
      const id = await newImage({ a: '1', b: '2' });
      const base = `/v2.1/images/${id}/metadata`;
      let res = await req('GET', base, { as: 'reader' });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { metadata: { a: '1', b: '2' } });
      res = await req('GET', `${base}/a`, { as: 'reader' });
      assert.deepEqual([res.status, res.body], [200, { meta: { a: '1' } }]);
      res = await req('GET', `${base}/zz`, { as: 'reader' });
      assert.deepEqual([res.status, res.body], [404, NO_RESOURCE]);
      res = await req('POST', base, { as: 'member', body: { metadata: { b: '3', c: '4' } } });
      assert.deepEqual([res.status, res.body], [200, { metadata: { a: '1', b: '3', c: '4' } }]);
      res = await req('PUT', base, { as: 'member', body: { metadata: { x: 'y' } } });
      assert.deepEqual([res.status, res.body], [200, { metadata: { x: 'y' } }]);
      res = await req('PUT', `${base}/k`, { as: 'member', body: { meta: { k: 'v' } } });
      assert.deepEqual([res.status, res.body], [200, { meta: { k: 'v' } }]);
      res = await req('PUT', `${base}/k`, { as: 'member', body: { meta: { j: 'v' } } });
      assert.deepEqual([res.status, res.body], [400, bad('Request body and URI mismatch')]);
      res = await req('DELETE', `${base}/x`, { as: 'member' });
      assert.equal(res.status, 204);
      res = await req('DELETE', `${base}/x`, { as: 'member' });
      assert.deepEqual([res.status, res.body], [404, notFound('Invalid metadata key')]);
      res = await req('GET', base, { as: 'member' });
      assert.deepEqual(res.body, { metadata: { k: 'v' } });
      // Glance shows the same properties.
      const glance = await req('GET', `/image/v2/images/${id}`, { as: 'member' });
      assert.equal(glance.body.k, 'v');
      assert.equal(glance.body.a, undefined);
    });

    test('image metadata: readers and other owners 403 "Not authorized"; invisible 404; bad bodies 400; reserved names 403', async () => {
      const id = await newImage({ a: '1' });
      const base = `/v2.1/images/${id}/metadata`;
      for (const [m, p, body] of [
        ['POST', base, { metadata: { b: '2' } }],
        ['PUT', base, { metadata: { b: '2' } }],
        ['PUT', `${base}/b`, { meta: { b: '2' } }],
        ['DELETE', `${base}/a`, undefined],
      ] as Array<[string, string, unknown]>) {
        const res = await req(m, p, { as: 'reader', body });
        assert.equal(res.status, 403, `${m} ${p}`);
        assert.deepEqual(res.body, forbiddenMsg(`Not authorized for image ${id}.`));
        const other = await req(m, p, { as: 'other', body });
        assert.equal(other.status, 404);
        assert.deepEqual(other.body, notFound('Image not found.'));
      }
      const pub = await newImage({ visibility: 'public' }, 'admin');
      const res = await req('POST', `/v2.1/images/${pub}/metadata`, { as: 'member', body: { metadata: { b: '2' } } });
      assert.deepEqual([res.status, res.body], [403, forbiddenMsg(`Not authorized for image ${pub}.`)]);
      const missing = await req('GET', `/v2.1/images/${MISSING}/metadata`, { as: 'member' });
      assert.deepEqual([missing.status, missing.body], [404, notFound('Image not found.')]);
      const reserved = await req('POST', base, { as: 'member', body: { metadata: { status: 'x' } } });
      assert.deepEqual([reserved.status, reserved.body], [403, forbiddenMsg(`Not authorized for image ${id}.`)]);
      const noMeta = await req('POST', base, { as: 'member', body: { meta: {} } });
      assert.equal(noMeta.status, 400);
      assert.equal(noMeta.body.badRequest.code, 400);
      const notString = await req('PUT', base, { as: 'member', body: { metadata: { a: 1 } } });
      assert.equal(notString.status, 400);
      const twoKeys = await req('PUT', `${base}/a`, { as: 'member', body: { meta: { a: '1', b: '2' } } });
      assert.equal(twoKeys.status, 400);
      assert.equal((await req('GET', base)).status, 401);
    });

    test('image metadata: the metadata_items quota is 403 "Image metadata limit exceeded"', async () => {
      const id = await newImage();
      const p = cloud.projects.member;
      const set = await req('PUT', `/v2.1/os-quota-sets/${p}`, {
        as: 'admin',
        body: { quota_set: { metadata_items: 1 } },
      });
      assert.equal(set.status, 200, set.text);
      try {
        const res = await req('POST', `/v2.1/images/${id}/metadata`, {
          as: 'member',
          body: { metadata: { a: '1', b: '2' } },
        });
        assert.deepEqual([res.status, res.body], [403, forbiddenMsg('Image metadata limit exceeded')]);
      } finally {
        await req('PUT', `/v2.1/os-quota-sets/${p}`, { as: 'admin', body: { quota_set: { metadata_items: -1 } } });
      }
    });

    test('image metadata: served to 2.38, 404 from 2.39', async () => {
      const id = await newImage({ a: '1' });
      assert.equal((await req('GET', `/v2.1/images/${id}/metadata`, { as: 'member', mv: '2.38' })).status, 200);
      for (const [m, p, body] of [
        ['GET', `/v2.1/images/${id}/metadata`, undefined],
        ['POST', `/v2.1/images/${id}/metadata`, { metadata: { b: '2' } }],
        ['PUT', `/v2.1/images/${id}/metadata`, { metadata: { b: '2' } }],
        ['GET', `/v2.1/images/${id}/metadata/a`, undefined],
        ['PUT', `/v2.1/images/${id}/metadata/a`, { meta: { a: '2' } }],
        ['DELETE', `/v2.1/images/${id}/metadata/a`, undefined],
      ] as Array<[string, string, unknown]>) {
        const res = await req(m, p, { as: 'member', mv: '2.39', body });
        assert.deepEqual([res.status, res.body], [404, NO_RESOURCE], `${m} ${p}`);
      }
    });

    // --- /servers/{id}/ips --------------------------------------------------------------
    test('ips: addresses by network label at every microversion; 404s; persona matrix', async () => {
      const server = await cloud.createServer('member');
      const full = await req('GET', `/v2.1/servers/${server}`, { as: 'member' });
      const expected: Record<string, Array<{ version: number; addr: string }>> = {};
      for (const [label, list] of Object.entries(
        full.body.server.addresses as Record<string, Array<{ version: number; addr: string }>>,
      ))
        expected[label] = list.map((a) => ({ version: a.version, addr: a.addr }));
      assert.ok(Object.keys(expected).length > 0, 'the server has an address');
      const [label] = Object.keys(expected);
      for (const mv of ['2.1', '2.96']) {
        for (const as of ['admin', 'member', 'reader'] as Persona[]) {
          const res = await req('GET', `/v2.1/servers/${server}/ips`, { as, mv });
          assert.deepEqual([res.status, res.body], [200, { addresses: expected }]);
          const one = await req('GET', `/v2.1/servers/${server}/ips/${label}`, { as, mv });
          assert.deepEqual([one.status, one.body], [200, { [label]: expected[label] }]);
        }
      }
      const other = await req('GET', `/v2.1/servers/${server}/ips`, { as: 'other' });
      assert.deepEqual([other.status, other.body], [404, notFound(`Instance ${server} could not be found.`)]);
      const none = await req('GET', `/v2.1/servers/${MISSING}/ips/${label}`, { as: 'member' });
      assert.deepEqual([none.status, none.body], [404, notFound(`Instance ${MISSING} could not be found.`)]);
      const noNet = await req('GET', `/v2.1/servers/${server}/ips/nowhere`, { as: 'member' });
      assert.deepEqual([noNet.status, noNet.body], [404, notFound('Instance is not a member of specified network')]);
      assert.equal((await req('GET', `/v2.1/servers/${server}/ips`)).status, 401);
      const post = await req('POST', `/v2.1/servers/${server}/ips`, { as: 'member', body: {} });
      assert.equal(post.status, 405);
    });

    // --- os-tenant-networks -------------------------------------------------------------
    test("os-tenant-networks: list and show in Nova's {id, cidr, label}; 404; 410 writes; 404 from 2.36", async () => {
      const nets = await req('GET', '/networking/v2.0/networks', { as: 'member' });
      const expected = nets.body.networks.map((n: { id: string; name: string }) => ({
        id: n.id,
        cidr: 'None',
        label: n.name,
      }));
      for (const as of ALL) {
        const res = await req('GET', '/v2.1/os-tenant-networks', { as });
        assert.equal(res.status, 200);
        if (as === 'member' || as === 'reader')
          assert.deepEqual(
            [...res.body.networks].sort((a, b) => a.id.localeCompare(b.id)),
            [...expected].sort((a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id)),
          );
      }
      const show = await req('GET', `/v2.1/os-tenant-networks/${expected[0].id}`, { as: 'reader' });
      assert.deepEqual([show.status, show.body], [200, { network: expected[0] }]);
      const missing = await req('GET', `/v2.1/os-tenant-networks/${MISSING}`, { as: 'member' });
      assert.deepEqual([missing.status, missing.body], [404, notFound('Network not found')]);
      for (const [m, p] of [
        ['POST', '/v2.1/os-tenant-networks'],
        ['DELETE', `/v2.1/os-tenant-networks/${expected[0].id}`],
      ]) {
        for (const mv of ['2.1', '2.36']) {
          const res = await req(m, p, { as: 'admin', mv, body: m === 'POST' ? { network: {} } : undefined });
          assert.deepEqual([res.status, res.body], [410, GONE]);
        }
      }
      for (const p of ['/v2.1/os-tenant-networks', `/v2.1/os-tenant-networks/${expected[0].id}`]) {
        const res = await req('GET', p, { as: 'member', mv: '2.36' });
        assert.deepEqual([res.status, res.body], [404, NO_RESOURCE]);
      }
      assert.equal((await req('GET', '/v2.1/os-tenant-networks')).status, 401);
    });

    // --- floating IPs -------------------------------------------------------------------
    test("os-floating-ip-pools and os-floating-ips: external networks, the project's floating IPs; Nova's 404s", async () => {
      for (const as of ALL) {
        const pools = await req('GET', '/v2.1/os-floating-ip-pools', { as });
        assert.deepEqual([pools.status, pools.body], [200, { floating_ip_pools: [{ name: 'public' }] }]);
        const list = await req('GET', '/v2.1/os-floating-ips', { as });
        assert.deepEqual([list.status, list.body], [200, { floating_ips: [] }]);
      }
      // Allocation itself is floating-ip-proxies.test.ts's; here the refusals.
      let res: Awaited<ReturnType<typeof req>>;
      res = await req('POST', '/v2.1/os-floating-ips', { as: 'member', body: { pool: 'nowhere' } });
      assert.deepEqual([res.status, res.body], [404, notFound('Floating IP pool not found.')]);
      // No pool: Nova's [neutron] default_floating_pool, `nova`, which Stratus does not have.
      res = await req('POST', '/v2.1/os-floating-ips', { as: 'member', body: {} });
      assert.deepEqual([res.status, res.body], [404, notFound('Floating IP pool not found.')]);
      res = await req('POST', '/v2.1/os-floating-ips', { as: 'member', body: { pool: 5 } });
      assert.deepEqual(
        [res.status, res.body],
        [400, bad("Invalid input for field/attribute pool. Value: 5. 5 is not of type 'string', 'null'")],
      );
      res = await req('POST', '/v2.1/os-floating-ips', { as: 'reader', body: { pool: 'public' } });
      assert.deepEqual([res.status, res.body], [403, forbidden('os_compute_api:os-floating-ips:create')]);
      res = await req('GET', '/v2.1/os-floating-ips/1', { as: 'member' });
      assert.deepEqual([res.status, res.body], [404, notFound('Floating IP not found for ID 1')]);
      res = await req('DELETE', `/v2.1/os-floating-ips/${MISSING}`, { as: 'member' });
      assert.deepEqual([res.status, res.body], [404, notFound(`Floating IP not found for ID ${MISSING}`)]);
      res = await req('DELETE', `/v2.1/os-floating-ips/${MISSING}`, { as: 'reader' });
      assert.deepEqual([res.status, res.body], [403, forbidden('os_compute_api:os-floating-ips:delete')]);
      for (const [m, p] of [
        ['GET', '/v2.1/os-floating-ip-pools'],
        ['GET', '/v2.1/os-floating-ips'],
        ['POST', '/v2.1/os-floating-ips'],
        ['GET', '/v2.1/os-floating-ips/1'],
        ['DELETE', '/v2.1/os-floating-ips/1'],
      ]) {
        const r2 = await req(m, p, { as: 'member', mv: '2.36', body: m === 'POST' ? {} : undefined });
        assert.deepEqual([r2.status, r2.body], [404, NO_RESOURCE], `${m} ${p}`);
      }
      assert.equal((await req('GET', '/v2.1/os-floating-ips')).status, 401);
    });

    // --- security groups (the full proxy is in secgroups.test.ts) -------------------------
    test('servers/{id}/os-security-groups: the default group at every microversion; 404 for another project', async () => {
      const server = await cloud.createServer('member', {}, { wait: false });
      const group = (await req('GET', '/v2.1/os-security-groups', { as: 'member' })).body.security_groups.find(
        (g: { name: string }) => g.name === 'default',
      );
      for (const mv of ['2.1', '2.96']) {
        const res = await req('GET', `/v2.1/servers/${server}/os-security-groups`, { as: 'reader', mv });
        assert.deepEqual([res.status, res.body], [200, { security_groups: [group] }]);
      }
      const res = await req('GET', `/v2.1/servers/${server}/os-security-groups`, { as: 'other' });
      assert.deepEqual([res.status, res.body], [404, notFound(`Instance ${server} could not be found.`)]);
    });
  });
}
