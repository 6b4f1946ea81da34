// "Never stuck in a task state" for the server actions (issue 12): SIGKILL Stratus while resizes,
// rebuilds, shelves, rescues and snapshots are in flight; after the restart every server leaves
// its task state (the action completes or fails cleanly) and no migration is left open.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnStratus, stopProcess, type StratusProcess } from '../../src/testing/process.js';
import { until as untilIn } from '../../src/testing/wait.js';
import { call, token } from '../../src/testing/http.js';
import { setTimeout as sleep } from 'node:timers/promises';

const dataDir = mkdtempSync(join(tmpdir(), 'stratus-crash-actions-'));
let proc: StratusProcess | null = null;
after(async () => {
  if (proc) await stopProcess(proc.child);
  rmSync(dataDir, { recursive: true, force: true });
});

/** Actions take longer than deletes: a minute, polled every 200 ms. */
const until = <T>(what: string, fn: () => Promise<T | undefined>) => untilIn(what, fn, 60000, 200);

const ACTIONS: Array<Record<string, unknown>> = [
  { resize: { flavorRef: '2' } },
  { resize: { flavorRef: '2' } },
  { rebuild: { imageRef: '' } },
  { shelve: null },
  { rescue: null },
  { createImage: { name: 'crash-snap' } },
  { 'os-stop': null },
];
const OPEN_MIGRATION = [
  'pre-migrating',
  'migrating',
  'post-migrating',
  'confirming',
  'reverting',
  'queued',
  'preparing',
  'running',
  'accepted',
];

test('SIGKILL with server actions in flight, restart: every server leaves its task state, no migration stays open', {
  timeout: 180000,
}, async () => {
  const args = ['--data', dataDir, '--name', 'crash-node'];
  proc = await spawnStratus(args);
  let url = proc.url;
  const demo = await token(url, 'demo', 'demo');
  const admin = await token(url, 'admin', 'admin');
  const image = (await call(url, 'GET', '/image/v2/images', demo)).body.images[0].id as string;
  const ids: string[] = [];
  for (let i = 0; i < ACTIONS.length; i++) {
    const r = await call(url, 'POST', '/v2.1/servers', demo, {
      server: { name: `ca-${i}`, imageRef: image, flavorRef: '1', networks: 'auto' },
    });
    assert.equal(r.status, 202);
    ids.push(r.body.server.id);
  }
  await until('all ACTIVE', async () => {
    const list = (await call(url, 'GET', '/v2.1/servers/detail?name=ca-', demo)).body.servers as Array<{
      status: string;
    }>;
    return list.length === ACTIONS.length && list.every((s) => s.status === 'ACTIVE') ? true : undefined;
  });
  // Slow driver steps keep the actions in flight when the process dies.
  for (const operation of ['spawn', 'destroy', 'resize', 'rebuild', 'snapshot', 'rescue', 'shelve', 'power_off'])
    assert.equal(
      (
        await call(url, 'POST', '/stratus/v1/faults', admin, {
          fault: { host: 'crash-node', operation, mode: 'delay', delay_ms: 1500 },
        })
      ).status,
      201,
      operation,
    );
  for (let i = 0; i < ACTIONS.length; i++) {
    const body = JSON.parse(JSON.stringify(ACTIONS[i]).replace('"imageRef":""', `"imageRef":"${image}"`));
    const r = await call(url, 'POST', `/v2.1/servers/${ids[i]}/action`, demo, body);
    assert.ok([200, 202].includes(r.status), `${Object.keys(body)[0]}: ${r.status} ${JSON.stringify(r.body)}`);
  }
  await sleep(500);
  await stopProcess(proc.child, 'SIGKILL');

  proc = await spawnStratus(args);
  url = proc.url;
  const admin2 = await token(url, 'admin', 'admin');
  await call(url, 'DELETE', '/stratus/v1/faults', admin2);
  const states = await until('every server out of its task state', async () => {
    const out: Record<string, string> = {};
    for (const id of ids) {
      const s = (await call(url, 'GET', `/v2.1/servers/${id}`, admin2)).body.server;
      if (s['OS-EXT-STS:task_state'] !== null) return undefined;
      out[s.name] = s.status;
    }
    return out;
  });
  const migrations = (await call(url, 'GET', '/v2.1/os-migrations', admin2)).body.migrations as Array<{
    status: string;
  }>;
  assert.deepEqual(
    migrations.filter((m) => OPEN_MIGRATION.includes(m.status)),
    [],
    JSON.stringify({ states, migrations }),
  );
  // And every one can still be deleted.
  for (const id of ids) assert.equal((await call(url, 'DELETE', `/v2.1/servers/${id}`, admin2)).status, 204);
  await until('all deleted', async () => {
    for (const id of ids) if ((await call(url, 'GET', `/v2.1/servers/${id}`, admin2)).status !== 404) return undefined;
    return true;
  });
});
