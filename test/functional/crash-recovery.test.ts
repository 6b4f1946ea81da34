// "Never stuck": SIGKILL Stratus while deletes are in flight; after restart every accepted delete completes.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnStratus, stopProcess, type StratusProcess } from '../../src/testing/process.js';
import { until } from '../../src/testing/wait.js';
import { call, token } from '../../src/testing/http.js';

const dataDir = mkdtempSync(join(tmpdir(), 'stratus-crash-'));
let proc: StratusProcess | null = null;
after(async () => {
  if (proc) await stopProcess(proc.child);
  rmSync(dataDir, { recursive: true, force: true });
});

test('SIGKILL mid-burst of deletes, restart: every accepted delete completes, nothing is left half-done', {
  timeout: 120000,
}, async () => {
  const args = ['--data', dataDir, '--name', 'crash-node'];
  proc = await spawnStratus(args);
  let url = proc.url;
  const demo = await token(url, 'demo', 'demo');
  const admin = await token(url, 'admin', 'admin');
  const image = (await call(url, 'GET', '/image/v2/images', demo)).body.images[0].id;
  const ids: string[] = [];
  for (let i = 0; i < 60; i++) {
    const r = await call(url, 'POST', '/v2.1/servers', demo, {
      server: { name: `crash-${i}`, imageRef: image, flavorRef: '1', networks: 'auto' },
    });
    assert.equal(r.status, 202);
    ids.push(r.body.server.id);
  }
  await until('all ACTIVE', async () => {
    const list = (await call(url, 'GET', '/v2.1/servers/detail?name=crash-', demo)).body.servers as Array<{
      status: string;
    }>;
    return list.length === 60 && list.every((s) => s.status === 'ACTIVE') ? true : undefined;
  });
  // Slow destroys keep the deletes in flight when the process dies.
  assert.equal(
    (
      await call(url, 'POST', '/stratus/v1/faults', admin, {
        fault: { host: 'crash-node', operation: 'destroy', mode: 'delay', delay_ms: 200 },
      })
    ).status,
    201,
  );

  const accepted = new Set<string>();
  let sent = 0;
  const burst = ids.map(async (id) => {
    try {
      sent++;
      const r = await call(url, 'DELETE', `/v2.1/servers/${id}`, demo);
      if (r.status === 204) accepted.add(id);
    } catch {
      /* connection cut by the kill: not acknowledged */
    }
  });
  await until('half the deletes acknowledged', async () => (accepted.size >= 30 ? true : undefined), 20000);
  await stopProcess(proc.child, 'SIGKILL');
  await Promise.allSettled(burst);
  assert.ok(sent >= accepted.size);

  proc = await spawnStratus(args);
  url = proc.url;
  const admin2 = await token(url, 'admin', 'admin');
  const demo2 = await token(url, 'demo', 'demo');
  await call(url, 'DELETE', '/stratus/v1/faults', admin2);
  await until(
    'every accepted delete completed',
    async () => {
      for (const id of accepted)
        if ((await call(url, 'GET', `/v2.1/servers/${id}`, demo2)).status !== 404) return undefined;
      return true;
    },
    60000,
  );
  for (const id of ids) {
    const r = await call(url, 'GET', `/v2.1/servers/${id}`, admin2);
    if (r.status === 404) {
      const ports = (await call(url, 'GET', `/networking/v2.0/ports?device_id=${id}`, admin2)).body.ports;
      assert.deepEqual(ports, [], `ports of deleted ${id}`);
      continue;
    }
    // Not acknowledged and not committed: untouched, or committed without the reply: it must finish.
    assert.equal(r.status, 200);
    if (r.body.server['OS-EXT-STS:task_state'] === 'deleting') {
      await until(`${id} to finish deleting`, async () =>
        (await call(url, 'GET', `/v2.1/servers/${id}`, admin2)).status === 404 ? true : undefined,
      );
    } else {
      // Untouched by the burst, and still ACTIVE: the restarted fake node adopted its guests.
      assert.equal(r.body.server.status, 'ACTIVE');
      assert.equal(r.body.server['OS-EXT-STS:task_state'], null);
      assert.equal(accepted.has(id), false);
    }
  }
});
