// Agent killed during a volume detach (and during a delete of a server with volumes): after the
// restart the task runs again and nothing is left `detaching` or in-use without a server.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnStratus, stopProcess, type StratusProcess } from '../../src/testing/process.js';
import { until } from '../../src/testing/wait.js';
import { call, token } from '../../src/testing/http.js';

const dataDir = mkdtempSync(join(tmpdir(), 'stratus-crash-vol-'));
let proc: StratusProcess | null = null;
after(async () => {
  if (proc) await stopProcess(proc.child);
  rmSync(dataDir, { recursive: true, force: true });
});

test('SIGKILL while a detach and a delete hang on the node, restart: volumes end available', {
  timeout: 120000,
}, async () => {
  const args = ['--data', dataDir, '--name', 'crash-node'];
  const env = { STRATUS_TASK_LEASE: '3' };
  proc = await spawnStratus(args, env);
  let url = proc.url;
  const demo = await token(url, 'demo', 'demo');
  const admin = await token(url, 'admin', 'admin');
  let project = '';
  const vpath = (p: string) => `/volume/v3/${project}${p}`;
  const image = (await call(url, 'GET', '/image/v2/images', demo)).body.images[0].id;
  const servers: string[] = [];
  for (const name of ['crash-detach', 'crash-delete']) {
    const r = await call(url, 'POST', '/v2.1/servers', demo, {
      server: { name, imageRef: image, flavorRef: '1', networks: 'auto' },
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    servers.push(r.body.server.id);
  }
  project = (await call(url, 'GET', `/v2.1/servers/${servers[0]}`, demo)).body.server.tenant_id;
  const volumes: string[] = [];
  for (let i = 0; i < 2; i++) {
    const r = await call(url, 'POST', vpath('/volumes'), demo, { volume: { size: 1 } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    volumes.push(r.body.volume.id);
  }
  const volStatus = async (id: string, tok = demo) =>
    (await call(url, 'GET', vpath(`/volumes/${id}`), tok)).body?.volume?.status;
  await until('servers ACTIVE, volumes available', async () => {
    for (const s of servers)
      if ((await call(url, 'GET', `/v2.1/servers/${s}`, demo)).body.server.status !== 'ACTIVE') return undefined;
    for (const v of volumes) if ((await volStatus(v)) !== 'available') return undefined;
    return true;
  });
  for (let i = 0; i < 2; i++) {
    const r = await call(url, 'POST', `/v2.1/servers/${servers[i]}/os-volume_attachments`, demo, {
      volumeAttachment: { volumeId: volumes[i] },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  await until('volumes in-use', async () => {
    for (const v of volumes) if ((await volStatus(v)) !== 'in-use') return undefined;
    return true;
  });
  // The node's detach hangs: the detach task (and the delete's detach) are running when the process dies.
  const f = await call(url, 'POST', '/stratus/v1/faults', admin, {
    fault: { host: 'crash-node', operation: 'detach_volume', mode: 'hang', delay_ms: 60000 },
  });
  assert.equal(f.status, 201, JSON.stringify(f.body));
  assert.equal(
    (await call(url, 'DELETE', `/v2.1/servers/${servers[0]}/os-volume_attachments/${volumes[0]}`, demo)).status,
    202,
  );
  assert.equal(await volStatus(volumes[0]), 'detaching');
  assert.equal((await call(url, 'DELETE', `/v2.1/servers/${servers[1]}`, demo)).status, 204);
  await new Promise((res) => setTimeout(res, 300));
  await stopProcess(proc.child, 'SIGKILL');

  proc = await spawnStratus(args, env);
  url = proc.url;
  const admin2 = await token(url, 'admin', 'admin');
  const demo2 = await token(url, 'demo', 'demo');
  await call(url, 'DELETE', '/stratus/v1/faults', admin2);
  await until(
    'the detach and the delete finished',
    async () => {
      if ((await volStatus(volumes[0], demo2)) !== 'available') return undefined;
      if ((await volStatus(volumes[1], demo2)) !== 'available') return undefined;
      if ((await call(url, 'GET', `/v2.1/servers/${servers[1]}`, demo2)).status !== 404) return undefined;
      return true;
    },
    60000,
  );
  const list = (await call(url, 'GET', `/v2.1/servers/${servers[0]}/os-volume_attachments`, demo2)).body;
  assert.deepEqual(list, { volumeAttachments: [] });
  const all = (await call(url, 'GET', vpath('/volumes/detail'), demo2)).body.volumes as Array<{ status: string }>;
  assert.deepEqual(
    all.map((v) => v.status),
    ['available', 'available'],
  );
});
