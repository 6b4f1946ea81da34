// PostgreSQL stops for 10 s during traffic: requests get 503 with Retry-After within a bounded
// time (no hang, no 500), nothing is half-written, and Stratus recovers by itself.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresCluster, freePort, postgresBin } from '../../src/testing/postgres-cluster.js';
import { spawnStratus, stopProcess, type StratusProcess } from '../../src/testing/process.js';
import { call, token } from '../../src/testing/http.js';
import { setTimeout as sleep } from 'node:timers/promises';

const bin = postgresBin();
const dataDir = mkdtempSync(join(tmpdir(), 'stratus-outage-'));
let cluster: PostgresCluster | null = null;
let proc: StratusProcess | null = null;
after(async () => {
  // On failure, show what the server printed (a crash would be there).
  if (proc && proc.child.exitCode !== null)
    process.stdout.write(
      proc
        .output()
        .split('\n')
        .map((l) => `# ${l}`)
        .join('\n') + '\n',
    );
  if (proc) await stopProcess(proc.child);
  cluster?.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

test('database outage: 503 + Retry-After, then recovery', {
  skip: bin ? false : 'PostgreSQL server binaries not installed',
  timeout: 180000,
}, async () => {
  cluster = new PostgresCluster(bin!, await freePort());
  cluster.init();
  cluster.start();
  proc = await spawnStratus(['--data', dataDir, '--database', cluster.url, '--name', 'outage-node']);
  const url = proc.url;
  const demo = await token(url, 'demo', 'demo');
  const image = (await call(url, 'GET', '/image/v2/images', demo)).body.images[0].id;
  const ids: string[] = [];
  for (let i = 0; i < 5; i++)
    ids.push(
      (
        await call(url, 'POST', '/v2.1/servers', demo, {
          server: { name: `o${i}`, imageRef: image, flavorRef: '1', networks: 'none' },
        })
      ).body.server.id,
    );

  cluster.stop();
  const outageEnds = Date.now() + 10000;
  const seen: number[] = [];
  while (Date.now() < outageEnds) {
    // A fresh token forces a database round trip; a cached one exercises the write path.
    for (const r of [
      await call(url, 'DELETE', `/v2.1/servers/${ids[0]}`, demo),
      await call(url, 'GET', '/v2.1/servers', 'not-a-cached-token'),
    ]) {
      seen.push(r.status);
      assert.equal(r.status, 503, JSON.stringify(r.body));
      assert.ok(r.headers.get('retry-after'), 'Retry-After');
      assert.equal(r.body.serviceUnavailable?.code ?? r.body.error?.code, 503);
      assert.ok(r.ms < 15000, `answered in ${r.ms} ms`);
    }
  }
  assert.ok(seen.length >= 2);
  assert.equal(proc.child.exitCode, null, 'Stratus survived the outage');
  cluster.start();

  // Recovers by itself: within a bounded time requests succeed again, and nothing was half-written.
  const end = Date.now() + 30000;
  let status = 0;
  while (Date.now() < end && status !== 200) {
    status = (await call(url, 'GET', '/v2.1/servers', demo)).status;
    if (status !== 200) await sleep(200);
  }
  assert.equal(status, 200);
  const first = await call(url, 'GET', `/v2.1/servers/${ids[0]}`, demo);
  assert.equal(first.status, 200, 'the DELETEs that got 503 changed nothing');
  assert.equal(first.body.server['OS-EXT-STS:task_state'], null);
  assert.equal((await call(url, 'DELETE', `/v2.1/servers/${ids[0]}`, demo)).status, 204);
});
