// Delete Server with volumes (docs/delete-server.md B59-B64): detached → available,
// delete_on_termination → deleted, a failed detach → ERROR + fault and a second DELETE recovers,
// local delete, soft delete + reclaim, a server and its volume deleted at once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud, type Persona } from '../../src/testing/kit.js';
import { ManualClock } from '../../src/domain/clock.js';
import { databaseTargets } from '../../src/testing/databases.js';
import { settleVolumeWork } from '../../src/services/volume/volume-work.js';

for (const target of databaseTargets()) {
  describe(`Delete Server with volumes on ${target.name}`, () => {
    let cloud: TestCloud;
    let drop: () => Promise<void>;
    const clock = new ManualClock(new Date());
    const settle = () => settleVolumeWork(cloud.stack.deps);
    const volume = (id: string) =>
      cloud.request('GET', `/volume/v3/${cloud.projects.member}/volumes/${id}`, { as: 'member' });
    const status = async (id: string) => {
      const r = await volume(id);
      return r.status === 404 ? 'gone' : (r.body.volume.status as string);
    };
    const del = (id: string, as: Persona = 'member') => cloud.request('DELETE', `/v2.1/servers/${id}`, { as });
    async function makeVolume(): Promise<string> {
      const res = await cloud.request('POST', `/volume/v3/${cloud.projects.member}/volumes`, {
        as: 'member',
        body: { volume: { size: 1 } },
      });
      assert.equal(res.status, 202, res.text);
      await settle();
      return res.body.volume.id;
    }
    async function attach(server: string, dot = false): Promise<string> {
      const v = await makeVolume();
      const res = await cloud.request('POST', `/v2.1/servers/${server}/os-volume_attachments`, {
        as: 'member',
        mv: '2.79',
        body: { volumeAttachment: { volumeId: v, delete_on_termination: dot } },
      });
      assert.equal(res.status, 200, res.text);
      await cloud.drain();
      assert.equal(await status(v), 'in-use');
      return v;
    }
    const fault = (f: Record<string, unknown>) =>
      cloud.request('POST', '/stratus/v1/faults', { as: 'admin', body: { fault: { host: 'compute-test', ...f } } });
    async function forceDown(down: boolean) {
      const svc = (await cloud.request('GET', '/v2.1/os-services?binary=nova-compute', { as: 'admin', mv: '2.53' }))
        .body.services[0];
      await cloud.request('PUT', `/v2.1/os-services/${svc.id}`, {
        as: 'admin',
        mv: '2.53',
        body: { forced_down: down },
      });
    }

    before(async () => {
      const t = await target.url();
      drop = t.drop;
      cloud = await TestCloud.start({ database: t.url }, { clock });
      await cloud.request('PUT', `/volume/v3/${cloud.projects.admin}/os-quota-sets/${cloud.projects.member}`, {
        as: 'admin',
        body: { quota_set: { volumes: -1, gigabytes: -1 } },
      });
      await cloud.request('PUT', `/v2.1/os-quota-sets/${cloud.projects.member}`, {
        as: 'admin',
        body: { quota_set: { instances: -1, cores: -1, ram: -1 } },
      });
    });
    after(async () => {
      await cloud.close();
      await drop();
    });

    test("B60: another project's volume marked delete_on_termination is detached and kept, as Cinder refuses Nova's delete", async () => {
      const id = await cloud.createServer('member');
      const made = await cloud.request('POST', `/volume/v3/${cloud.projects.other}/volumes`, {
        as: 'other',
        body: { volume: { size: 1 } },
      });
      assert.equal(made.status, 202, made.text);
      await settle();
      const foreign = made.body.volume.id as string;
      // an admin attaches it to the member's server; the member marks it delete_on_termination (2.85)
      const att = await cloud.request('POST', `/v2.1/servers/${id}/os-volume_attachments`, {
        as: 'admin',
        mv: '2.79',
        body: { volumeAttachment: { volumeId: foreign } },
      });
      assert.equal(att.status, 200, att.text);
      await cloud.drain();
      const put = await cloud.request('PUT', `/v2.1/servers/${id}/os-volume_attachments/${foreign}`, {
        as: 'member',
        mv: '2.85',
        body: { volumeAttachment: { volumeId: foreign, delete_on_termination: true } },
      });
      assert.equal(put.status, 202, put.text);
      assert.equal((await del(id)).status, 204);
      await cloud.drain();
      await settle();
      const after = await cloud.request('GET', `/volume/v3/${cloud.projects.other}/volumes/${foreign}`, {
        as: 'other',
      });
      assert.deepEqual([after.status, after.body.volume?.status], [200, 'available']);
      assert.equal(
        (await cloud.request('DELETE', `/volume/v3/${cloud.projects.other}/volumes/${foreign}`, { as: 'other' }))
          .status,
        202,
      );
      await settle();
    });

    test('B59 B60: delete detaches every volume (available), delete_on_termination ones are deleted', async () => {
      const id = await cloud.createServer('member');
      const keep = await attach(id);
      const dot = await attach(id, true);
      // B64: an in-use volume cannot be deleted while the server holds it (Cinder's own check).
      const refused = await cloud.request('DELETE', `/volume/v3/${cloud.projects.member}/volumes/${keep}`, {
        as: 'member',
      });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.badRequest.code, 400);
      assert.match(refused.body.badRequest.message, /^Invalid volume: Volume status must be available/);
      assert.equal((await del(id)).status, 204);
      await cloud.drain();
      await settle();
      assert.equal((await cloud.server(id)).status, 404);
      assert.equal(await status(keep), 'available');
      assert.deepEqual((await volume(keep)).body.volume.attachments, []);
      assert.equal(await status(dot), 'gone');
      const rows = await cloud.stack.deps.db
        .selectFrom('block_device_mappings')
        .selectAll()
        .where('server_id', '=', id)
        .execute();
      assert.deepEqual(rows, []);
    });

    test('B61: a failed detach leaves ERROR with a fault, the volume in-use; a second DELETE recovers', async () => {
      const id = await cloud.createServer('member');
      const v = await attach(id);
      await fault({ operation: 'detach_volume', mode: 'fail', server_id: id });
      assert.equal((await del(id)).status, 204);
      await cloud.drain();
      const s = await cloud.server(id);
      assert.equal(s.status, 200);
      assert.equal(s.body.server.status, 'ERROR');
      assert.equal(s.body.server.fault.code, 500);
      assert.match(s.body.server.fault.message, /Injected fault: detach_volume failed/);
      assert.equal(await status(v), 'in-use', 'still attached to the ERROR server');
      await cloud.request('DELETE', '/stratus/v1/faults', { as: 'admin' });
      assert.equal((await del(id)).status, 204);
      await cloud.drain();
      assert.equal((await cloud.server(id)).status, 404);
      assert.equal(await status(v), 'available');
    });

    test('B62: a local delete (node down) releases the volumes at once', async () => {
      const id = await cloud.createServer('member');
      const v = await attach(id);
      const dot = await attach(id, true);
      await forceDown(true);
      try {
        assert.equal((await del(id)).status, 204);
        await settle();
        assert.equal(await status(v), 'available');
        assert.equal(await status(dot), 'gone');
      } finally {
        await forceDown(false);
      }
    });

    test('B64: a server and its volume deleted at once: the volume ends available or deleted, never in-use', async () => {
      const id = await cloud.createServer('member');
      const v = await attach(id);
      const [s, vol] = await Promise.all([
        del(id),
        cloud.request('DELETE', `/volume/v3/${cloud.projects.member}/volumes/${v}`, { as: 'member' }),
      ]);
      assert.equal(s.status, 204);
      assert.ok([202, 400].includes(vol.status), vol.text);
      await cloud.drain();
      await settle();
      const end = await status(v);
      assert.ok(['available', 'gone'].includes(end), end);
      assert.equal((await cloud.server(id)).status, 404);
    });
    test('B64: a delete that overtakes a queued attach and detach: the reserved volume is released, the detaching one back in-use', async () => {
      const setInterval = (seconds: number) => {
        cloud.stack.deps.config.reclaimInstanceInterval = seconds;
        for (const a of cloud.stack.agents)
          (
            a as unknown as { deps: { config: { reclaimInstanceInterval: number } } }
          ).deps.config.reclaimInstanceInterval = seconds;
      };
      setInterval(3600);
      try {
        // soft delete, then restore
        const id = await cloud.createServer('member');
        const kept = await attach(id);
        const queued = await makeVolume();
        const hang = (await fault({ operation: 'lease', mode: 'hang', delay_ms: 5_000 })).body.fault.id;
        const att = await cloud.request('POST', `/v2.1/servers/${id}/os-volume_attachments`, {
          as: 'member',
          body: { volumeAttachment: { volumeId: queued } },
        });
        assert.equal(att.status, 200, att.text);
        const det = await cloud.request('DELETE', `/v2.1/servers/${id}/os-volume_attachments/${kept}`, {
          as: 'member',
        });
        assert.equal(det.status, 202, det.text);
        assert.deepEqual([await status(queued), await status(kept)], ['reserved', 'detaching']);
        assert.equal((await del(id)).status, 204);
        await cloud.request('DELETE', `/stratus/v1/faults/${hang}`, { as: 'admin' });
        // A lease that was already hanging when the fault went finishes its wait first: the
        // queued tasks run when it wakes, so wait (bounded) for both volumes to leave their step.
        for (let i = 0; i < 400; i++) {
          await cloud.drain();
          const states = [await status(queued), await status(kept)];
          if (!states.includes('reserved') && !states.includes('detaching')) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        // Each queued task ran either while the delete was under way (the attach rolled back: its
        // volume available; the detach rolled back: in-use, still connected) or after the soft delete
        // (it completed, as Nova's would). Never is a volume left reserved or detaching.
        const after = [await status(queued), await status(kept)];
        for (const st of after) assert.ok(['available', 'in-use'].includes(st), after.join());
        const restore = await cloud.request('POST', `/v2.1/servers/${id}/action`, {
          as: 'member',
          body: { restore: null },
        });
        assert.equal(restore.status, 202, restore.text);
        await cloud.drain();
        const shown = (await cloud.server(id, 'member')).body.server;
        const inUse = [queued, kept].filter((_, k) => after[k] === 'in-use');
        assert.deepEqual(
          shown['os-extended-volumes:volumes_attached'].map((v: { id: string }) => v.id).sort(),
          inUse.sort(),
        );
        for (const v of inUse) {
          const again = await cloud.request('DELETE', `/v2.1/servers/${id}/os-volume_attachments/${v}`, {
            as: 'member',
          });
          assert.equal(again.status, 202, again.text);
        }
        await cloud.drain();
        assert.deepEqual([await status(queued), await status(kept)], ['available', 'available']);
      } finally {
        setInterval(0);
      }
    });

    test('B63: a soft delete keeps the volumes; the reclaim releases them', async () => {
      cloud.stack.deps.config.reclaimInstanceInterval = 60;
      for (const a of cloud.stack.agents)
        (
          a as unknown as { deps: { config: { reclaimInstanceInterval: number } } }
        ).deps.config.reclaimInstanceInterval = 60;
      try {
        const id = await cloud.createServer('member');
        const v = await attach(id);
        const dot = await attach(id, true);
        assert.equal((await del(id)).status, 204);
        await cloud.drain();
        assert.equal(await status(v), 'in-use', 'soft-deleted: restorable with its volumes');
        clock.advance(61_000);
        await cloud.stack.agents[0].periodic();
        await settle();
        assert.equal(await status(v), 'available');
        assert.equal(await status(dot), 'gone');
      } finally {
        cloud.stack.deps.config.reclaimInstanceInterval = 0;
        for (const a of cloud.stack.agents)
          (
            a as unknown as { deps: { config: { reclaimInstanceInterval: number } } }
          ).deps.config.reclaimInstanceInterval = 0;
      }
    });
  });
}
