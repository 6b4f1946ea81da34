// The stratus CLI as a user runs it: serve with a policy file, db migrate, db purge, config precedence.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { STRATUS_BIN, spawnStratus, stopProcess, type StratusProcess } from '../../src/testing/process.js';
import { call, token } from '../../src/testing/http.js';
import { setTimeout as sleep } from 'node:timers/promises';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'stratus-cli-'));
let proc: StratusProcess | null = null;
after(async () => {
  if (proc) await stopProcess(proc.child);
  rmSync(dir, { recursive: true, force: true });
});

test('serve with a policy file and a config file; purge removes old deleted rows', { timeout: 60000 }, async () => {
  const policy = join(dir, 'policy.yaml');
  // Operators may tighten a rule: here only admins may delete servers.
  writeFileSync(policy, '"os_compute_api:servers:delete": "rule:context_is_admin"\n');
  const cfg = join(dir, 'stratus.yaml');
  writeFileSync(cfg, `policy-file: ${policy}\nservice-down-time: 60\nport: 1\n`);
  proc = await spawnStratus(['--data', join(dir, 'data'), '--config', cfg]);
  assert.ok(existsSync(join(dir, 'data', 'clouds.yaml')));
  assert.match(readFileSync(join(dir, 'data', 'clouds.yaml'), 'utf8'), /stratus-demo:/);
  const demo = await token(proc.url, 'demo', 'demo');
  const admin = await token(proc.url, 'admin', 'admin');
  const image = (await call(proc.url, 'GET', '/image/v2/images', demo)).body.images[0].id;
  const id = (
    await call(proc.url, 'POST', '/v2.1/servers', demo, {
      server: { name: 'p', imageRef: image, flavorRef: '1', networks: 'none' },
    })
  ).body.server.id;
  const refused = await call(proc.url, 'DELETE', `/v2.1/servers/${id}`, demo);
  assert.equal(refused.status, 403);
  assert.deepEqual(refused.body, {
    forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:servers:delete to be performed." },
  });
  assert.equal((await call(proc.url, 'DELETE', `/v2.1/servers/${id}`, admin)).status, 204);
  for (let i = 0; i < 100 && (await call(proc.url, 'GET', `/v2.1/servers/${id}`, admin)).status !== 404; i++)
    await sleep(50);
  await stopProcess(proc.child);
  proc = null;

  const migrate = await run(process.execPath, [STRATUS_BIN, 'db', 'migrate', '--data', join(dir, 'data')]);
  assert.match(migrate.stdout, /schema is current/);
  const none = await run(process.execPath, [
    STRATUS_BIN,
    'db',
    'purge',
    '--before',
    '2000-01-01',
    '--data',
    join(dir, 'data'),
  ]);
  assert.match(none.stdout, /purged 0 deleted server/);
  const purged = await run(process.execPath, [
    STRATUS_BIN,
    'db',
    'purge',
    '--before',
    '2999-01-01',
    '--data',
    join(dir, 'data'),
  ]);
  assert.match(purged.stdout, /purged 1 deleted server/);
  await assert.rejects(
    run(process.execPath, [STRATUS_BIN, 'db', 'purge', '--before', 'yesterday-ish', '--data', join(dir, 'data')]),
    /not a date/,
  );
});

test('the demo users follow the configured password on every start, not only the first', {
  timeout: 60000,
}, async () => {
  const data = join(dir, 'pw');
  let p = await spawnStratus(['--data', data]);
  await token(p.url, 'admin', 'admin');
  await stopProcess(p.child);
  p = await spawnStratus(['--data', data], { STRATUS_PASSWORD: 'N3w-Strong-Pw' });
  try {
    await assert.rejects(token(p.url, 'admin', 'admin'), /401/);
    const res = await call(p.url, 'POST', '/identity/v3/auth/tokens', undefined, {
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'demo', domain: { name: 'Default' }, password: 'N3w-Strong-Pw' } },
        },
        scope: { project: { name: 'demo', domain: { name: 'Default' } } },
      },
    });
    assert.equal(res.status, 201);
  } finally {
    await stopProcess(p.child);
  }
});

test('refuses to listen beyond loopback with the demo password', async () => {
  await assert.rejects(
    run(process.execPath, [STRATUS_BIN, 'serve', '--host', '0.0.0.0', '--port', '0', '--data', join(dir, 'lan')], {
      env: { ...process.env, STRATUS_PASSWORD: '' },
    }),
    /Refusing to listen on 0\.0\.0\.0 with the demo password/,
  );
});
