import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveCloud } from './cloud-config.js';
import { ClientError } from './client-error.js';
import { eventsUrlOf, faultMessage, identityV3 } from './session.js';
import { judge, parseTarget } from './wait.js';

const cloudsYaml = (user: string) =>
  `clouds:\n  c:\n    auth:\n      auth_url: http://127.0.0.1:1/identity/v3\n      username: ${user}\n      password: pw\n      project_name: p\n      user_domain_name: Default\n    region_name: R\n    interface: internal\n`;

test('clouds.yaml: OS_CLIENT_CONFIG_FILE, then ./clouds.yaml, then ~/.config/openstack', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-client-'));
  try {
    const home = join(dir, 'home');
    const cwd = join(dir, 'cwd');
    mkdirSync(join(home, '.config', 'openstack'), { recursive: true });
    mkdirSync(cwd);
    writeFileSync(join(home, '.config', 'openstack', 'clouds.yaml'), cloudsYaml('from-home'));
    assert.equal(resolveCloud({ HOME: home, OS_CLOUD: 'c' }, { cwd }).username, 'from-home');
    writeFileSync(join(cwd, 'clouds.yaml'), cloudsYaml('from-cwd'));
    assert.equal(resolveCloud({ HOME: home, OS_CLOUD: 'c' }, { cwd }).username, 'from-cwd');
    writeFileSync(join(dir, 'explicit.yaml'), cloudsYaml('explicit'));
    const c = resolveCloud({ HOME: home, OS_CLIENT_CONFIG_FILE: join(dir, 'explicit.yaml') }, { cwd, cloud: 'c' });
    assert.equal(c.username, 'explicit');
    assert.equal(c.regionName, 'R');
    assert.equal(c.interface, 'internal');
    assert.equal(c.userDomainName, 'Default');
    assert.throws(
      () => resolveCloud({ HOME: home, OS_CLOUD: 'other' }, { cwd }),
      (e: unknown) =>
        e instanceof ClientError && e.exitCode === 2 && /cloud other is not in .*\(it has: c\)/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('OS_* variables; missing pieces are exit-2 errors', () => {
  const c = resolveCloud({
    OS_AUTH_URL: 'http://127.0.0.1:1/identity',
    OS_USERNAME: 'u',
    OS_PASSWORD: 'p',
    OS_PROJECT_ID: 'pid',
    OS_DOMAIN_NAME: 'D',
    OS_INTERFACE: 'publicURL',
  });
  assert.deepEqual(
    [c.username, c.projectId, c.userDomainName, c.projectDomainName, c.interface, c.authType],
    ['u', 'pid', 'D', 'D', 'public', 'password'],
  );
  assert.equal(resolveCloud({ OS_AUTH_URL: 'http://h/v3', OS_AUTH_TYPE: 'v3token', OS_TOKEN: 't' }).token, 't');
  for (const [env, re] of [
    [{}, /no auth URL/],
    [{ OS_AUTH_URL: 'ftp://h' }, /not http/],
    [{ OS_AUTH_URL: 'http://h' }, /no user name/],
    [{ OS_AUTH_URL: 'http://h', OS_USERNAME: 'u' }, /no password/],
    [{ OS_AUTH_URL: 'http://h', OS_AUTH_TYPE: 'token' }, /without a token/],
    [{ OS_AUTH_URL: 'http://h', OS_AUTH_TYPE: 'v3oidc' }, /not supported/],
  ] as const)
    assert.throws(
      () => resolveCloud(env),
      (e: unknown) => e instanceof ClientError && e.exitCode === 2 && re.test(e.message),
    );
});

test('the identity URL gets /v3; the events URL replaces the compute path', () => {
  assert.equal(identityV3('http://h:1/identity'), 'http://h:1/identity/v3');
  assert.equal(identityV3('http://h:1/identity/v3/'), 'http://h:1/identity/v3');
  assert.equal(identityV3('http://h:5000/v2.0'), 'http://h:5000/v3');
  assert.equal(eventsUrlOf('http://127.0.0.1:8774/v2.1'), 'http://127.0.0.1:8774/stratus/v1/events');
  assert.equal(eventsUrlOf('https://c.example/compute/v2.1/abc123/'), 'https://c.example/compute/stratus/v1/events');
  assert.equal(eventsUrlOf('http://h/v2'), 'http://h/stratus/v1/events');
  assert.equal(faultMessage({ itemNotFound: { code: 404, message: 'gone' } }, 404), 'gone');
  assert.equal(faultMessage({ error: { code: 401, message: 'no' } }, 401), 'no');
  assert.equal(faultMessage(null, 502), 'HTTP 502');
});

test('--for: deleted or a Nova status, any case', () => {
  assert.equal(parseTarget('Deleted'), 'deleted');
  assert.equal(parseTarget('active'), 'ACTIVE');
  assert.equal(parseTarget('shelved_offloaded'), 'SHELVED_OFFLOADED');
  assert.throws(
    () => parseTarget('gone'),
    (e: unknown) => e instanceof ClientError && e.exitCode === 2,
  );
});

test('judge: reached, failed, or keep waiting', () => {
  const t = () => 'after 0 s';
  const s = (status: string, taskState: string | null = null, fault: string | null = null) => ({
    gone: false as const,
    status,
    taskState,
    fault,
  });
  const gone = { gone: true as const };
  const code = (target: string, seen: Parameters<typeof judge>[2], prev?: Parameters<typeof judge>[3]) =>
    judge('x', target, seen, prev, t)?.code;
  assert.equal(code('ACTIVE', s('ACTIVE')), 0);
  assert.equal(code('ACTIVE', s('BUILD', 'spawning')), undefined);
  assert.equal(code('ACTIVE', s('ERROR', null, 'boom')), 1);
  assert.match(judge('x', 'ACTIVE', s('ERROR', null, 'boom'), undefined, t)!.message, /ERROR, not ACTIVE: boom/);
  assert.equal(code('ERROR', s('ERROR')), 0);
  // A hard reboot of an ERROR server: ERROR with task_state rebooting_hard is no failure yet.
  assert.equal(code('ACTIVE', s('ERROR', 'rebooting_hard')), undefined);
  assert.equal(code('ACTIVE', s('ERROR', 'rebuilding'), s('ERROR')), undefined);
  assert.equal(code('ACTIVE', gone), 1);
  assert.equal(code('deleted', gone), 0);
  assert.equal(code('deleted', s('DELETED')), 0);
  // An ERROR server being deleted, or ERROR before the wait began, is not a failed delete...
  assert.equal(code('deleted', s('ERROR', 'deleting')), undefined);
  assert.equal(code('deleted', s('ERROR')), undefined);
  assert.equal(code('deleted', s('ERROR'), s('ERROR')), undefined);
  // ...a delete that ends in ERROR is.
  assert.equal(code('deleted', s('ERROR', null, 'destroy failed'), s('ACTIVE', 'deleting')), 1);
  assert.equal(code('deleted', s('ERROR'), s('ERROR', 'deleting')), 1);
});
