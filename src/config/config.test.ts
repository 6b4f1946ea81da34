import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, defaults, loadConfig } from './config.js';

test('flags win over environment, environment over file, file over defaults', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'cfg-')), 'c.yaml');
  writeFileSync(file, 'port: 1111\nhost: 127.0.0.2\nservice-down-time: 5\ndriver: process\n');
  const c = loadConfig({ port: '3333' }, { STRATUS_PORT: '2222', STRATUS_HOST: '127.0.0.3' }, file);
  assert.equal(c.port, 3333);
  assert.equal(c.host, '127.0.0.3');
  assert.equal(c.serviceDownTime, 5);
  assert.equal(c.driver, 'process');
  assert.equal(c.reclaimInstanceInterval, defaults().reclaimInstanceInterval);
});

test('bad values are refused with the option named', () => {
  assert.throws(
    () => loadConfig({ port: 'eighty' }, {}),
    (e: Error) => e instanceof ConfigError && /port/.test(e.message),
  );
  assert.throws(() => loadConfig({ driver: 'kvm' }, {}), /driver/);
  assert.throws(() => loadConfig({}, { STRATUS_AGENTS: '-1' }), /agents/);
});

test('--public-url must be a plain base URL', () => {
  for (const bad of ['ftp://x', 'not a url', 'http://x/?a=1', 'http://x/#f', 'http://user:pw@x/']) {
    assert.throws(() => loadConfig({ publicUrl: bad }, {}), ConfigError, bad);
  }
  assert.equal(
    loadConfig({ publicUrl: 'https://cloud.example:8443/base' }, {}).publicUrl,
    'https://cloud.example:8443/base',
  );
});

test('zone: --zone / STRATUS_ZONE, default nova; a name with ":" or edge spaces is refused', () => {
  assert.equal(defaults().zone, 'nova');
  assert.equal(loadConfig({}, { STRATUS_ZONE: 'az1' }).zone, 'az1');
  assert.equal(loadConfig({ zone: 'az2' }, { STRATUS_ZONE: 'az1' }).zone, 'az2');
  for (const bad of ['a:b', ' az', 'az ', 'a\u0001b'])
    assert.throws(
      () => loadConfig({ zone: bad }, {}),
      (e: Error) => e instanceof ConfigError && /zone/.test(e.message),
    );
});

test('workers: 1 unless set (PostgreSQL too); N > 1 on SQLite is refused', () => {
  const pg = 'postgres://u@127.0.0.1/db';
  assert.equal(loadConfig({}, {}).workers, 1);
  assert.equal(loadConfig({ database: pg }, {}).workers, 1);
  assert.equal(loadConfig({ database: pg }, { STRATUS_WORKERS: '3' }).workers, 3);
  assert.equal(loadConfig({ database: pg, workers: '2' }, { STRATUS_WORKERS: '3' }).workers, 2);
  assert.equal(loadConfig({ workers: '1' }, {}).workers, 1);
  assert.throws(
    () => loadConfig({ workers: '2' }, {}),
    (e: Error) => e instanceof ConfigError && /workers/.test(e.message) && /PostgreSQL/.test(e.message),
  );
  for (const bad of ['0', '-1', 'two', '65'])
    assert.throws(
      () => loadConfig({ database: pg, workers: bad }, {}),
      (e: Error) => e instanceof ConfigError && /workers/.test(e.message),
      bad,
    );
});

test('watch API: events retention and heartbeat from the environment, validated', () => {
  assert.equal(defaults().eventsRetention, 3600);
  assert.equal(defaults().eventsHeartbeat, 15);
  const c = loadConfig({}, { STRATUS_EVENTS_RETENTION: '60', STRATUS_EVENTS_HEARTBEAT: '5' });
  assert.equal(c.eventsRetention, 60);
  assert.equal(c.eventsHeartbeat, 5);
  for (const [env, name] of [
    [{ STRATUS_EVENTS_RETENTION: '0' }, /events-retention/],
    [{ STRATUS_EVENTS_RETENTION: 'x' }, /events-retention/],
    [{ STRATUS_EVENTS_HEARTBEAT: '0' }, /events-heartbeat/],
    [{ STRATUS_EVENTS_HEARTBEAT: '301' }, /events-heartbeat/],
  ] as const)
    assert.throws(
      () => loadConfig({}, env),
      (e: Error) => e instanceof ConfigError && name.test(e.message),
    );
});
