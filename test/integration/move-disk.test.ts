// A move to another node carries the guest's disk (issue 12: the instance directory moves with
// the guest): resize and live migration on two process-driver nodes; the marker a guest wrote
// on its disk is on the target's disk afterwards, and nothing of the move is left in the image store.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestCloud } from '../../src/testing/kit.js';

let pc: TestCloud;
before(async () => {
  pc = await TestCloud.start({ driver: 'process', agents: 2 });
  for (const [id, ram] of [
    ['mv0', 64],
    ['mv1', 128],
  ] as const) {
    const f = await pc.request('POST', '/v2.1/flavors', {
      as: 'admin',
      body: { flavor: { name: id, ram, vcpus: 1, disk: 0, id } },
    });
    assert.equal(f.status, 200, f.text);
  }
});
after(async () => {
  await pc?.close();
});

const data = () => pc.stack.deps.config.data;
const diskOn = (host: string, id: string) => join(data(), host, 'instances', id, 'disk');
const hostOf = async (id: string) => (await pc.server(id, 'admin')).body.server['OS-EXT-SRV-ATTR:host'] as string;
const act = (id: string, body: unknown, as: 'member' | 'admin' = 'member', mv?: string) =>
  pc.request('POST', `/v2.1/servers/${id}/action`, { as, body, mv });
/** Drains until the server's move settles (each node's work hands the next step to the other). */
async function settle(id: string): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await pc.drain();
    if ((await pc.server(id, 'admin')).body.server['OS-EXT-STS:task_state'] === null) return;
  }
}
const moveFilesLeft = () => {
  const dir = join(data(), 'images');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith('move-')) : [];
};

test('resize to the other node: the guest disk goes with it; confirm drops the source', async () => {
  const id = await pc.createServer('member', { name: 'mvr', flavorRef: 'mv0', networks: 'none' });
  const source = await hostOf(id);
  writeFileSync(diskOn(source, id), 'written on the source\n');
  assert.equal((await act(id, { resize: { flavorRef: 'mv1' } })).status, 202);
  await settle(id);
  const s = (await pc.server(id, 'admin')).body.server;
  assert.equal(s.status, 'VERIFY_RESIZE', JSON.stringify(s.fault ?? s));
  const target = s['OS-EXT-SRV-ATTR:host'] as string;
  assert.notEqual(target, source);
  assert.equal(readFileSync(diskOn(target, id), 'utf8').replace(/\0+$/, ''), 'written on the source\n');
  assert.deepEqual(moveFilesLeft(), []);
  assert.equal((await act(id, { confirmResize: null })).status, 204);
  await pc.drain();
  assert.equal(existsSync(diskOn(source, id)), false, 'the source let go of the guest');
  await pc.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' });
  await pc.drain();
});

test('live migration: the disk is on the target when the guest runs there', async () => {
  const id = await pc.createServer('member', { name: 'mvl', flavorRef: 'mv0', networks: 'none' });
  const source = await hostOf(id);
  writeFileSync(diskOn(source, id), 'live data\n');
  const res = await act(id, { 'os-migrateLive': { host: null, block_migration: 'auto' } }, 'admin', '2.30');
  assert.equal(res.status, 202, res.text);
  await settle(id);
  const target = await hostOf(id);
  assert.notEqual(target, source);
  assert.equal(readFileSync(diskOn(target, id), 'utf8').replace(/\0+$/, ''), 'live data\n');
  assert.equal(existsSync(diskOn(source, id)), false);
  assert.deepEqual(moveFilesLeft(), []);
  await pc.request('DELETE', `/v2.1/servers/${id}`, { as: 'member' });
  await pc.drain();
});
