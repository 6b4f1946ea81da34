/**
 * os-keypairs through the stock OpenStack clients (python-openstackclient and openstacksdk from
 * Debian): `openstack keypair create` (generated, with --private-key, and imported with
 * --public-key), list, show, delete, `openstack server create --key-name`, and the same through
 * openstacksdk. Keypairs are a user's: alt_demo sees none of demo's. Fingerprints are checked
 * against an MD5 computed here, and the saved private key must be the half of the public one.
 *
 * Skipped when /usr/bin/openstack is absent (CI installs the clients).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import {
  BOOT,
  FLAVOR,
  IMAGE,
  OPENSTACK_SKIP as skip,
  useOpenstackCli,
  SDK_SKIP as skipSdk,
  TEST_TIMEOUT_MS,
} from '../../src/testing/openstack-cli.js';

const cli = useOpenstackCli({ name: 'clients-keypairs' });

// ---------------------------------------------------------------------------------------------
// The tests run in order.

const md5Fingerprint = (pub: string) =>
  createHash('md5')
    .update(Buffer.from(pub.split(' ')[1], 'base64'))
    .digest('hex')
    .replace(/(..)(?!$)/g, '$1:');

/** An OpenSSH ed25519 public key line, made with node:crypto. */
function ed25519Line(comment: string): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return `ssh-ed25519 ${Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]).toString('base64')} ${comment}`;
}

let generatedFingerprint = '';
let importedLine = '';

test('openstack keypair create: a generated key saved with --private-key', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const pem = join(cli.dataDir, 'k-gen.pem');
  const created = await cli.json('stratus-demo', ['keypair', 'create', '--private-key', pem, 'k-gen']);
  assert.equal(created.name, 'k-gen');
  assert.equal(created.type, 'ssh');
  assert.match(created.fingerprint, /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
  generatedFingerprint = created.fingerprint;
  const privateKey = readFileSync(pem, 'utf8');
  assert.match(privateKey, /^-----BEGIN RSA PRIVATE KEY-----\n/);
  // The saved private key is the half of the public key Stratus keeps.
  const pub = await cli.ok('stratus-demo', ['keypair', 'show', '--public-key', 'k-gen']);
  const n = Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).n!, 'base64url');
  assert.ok(Buffer.from(pub.trim().split(' ')[1], 'base64').includes(n), `public key ${pub}`);
  assert.equal(md5Fingerprint(pub.trim()), generatedFingerprint);
});

test('openstack keypair create --public-key, list, show', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  importedLine = ed25519Line('demo@laptop');
  const file = join(cli.dataDir, 'k-imp.pub');
  writeFileSync(file, `${importedLine}\n`);
  const created = await cli.json('stratus-demo', ['keypair', 'create', '--public-key', file, 'k-imp']);
  assert.equal(created.fingerprint, md5Fingerprint(importedLine));

  const list = await cli.json<Array<Record<string, string>>>('stratus-demo', ['keypair', 'list']);
  assert.deepEqual(
    list.map((k) => [k.Name, k.Fingerprint, k.Type]),
    [
      ['k-gen', generatedFingerprint, 'ssh'],
      ['k-imp', md5Fingerprint(importedLine), 'ssh'],
    ],
  );
  const shown = await cli.json('stratus-demo', ['keypair', 'show', 'k-imp']);
  assert.equal(shown.name, 'k-imp');
  assert.equal(shown.fingerprint, md5Fingerprint(importedLine));
  assert.equal(shown.type, 'ssh');
  assert.equal(shown.is_deleted, false);
  assert.match(shown.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);

  // A duplicate name is refused with Nova's message.
  const dup = await cli.osc('stratus-demo', ['keypair', 'create', '--public-key', file, 'k-imp']);
  assert.notEqual(dup.code, 0, cli.describe(dup));
  assert.match(dup.stderr, /Key pair 'k-imp' already exists/, cli.describe(dup));
});

test('keypairs are a user’s: alt_demo sees none of demo’s', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  assert.deepEqual(await cli.json('stratus-alt', ['keypair', 'list']), []);
  const show = await cli.osc('stratus-alt', ['keypair', 'show', 'k-imp']);
  assert.notEqual(show.code, 0, cli.describe(show));
  const del = await cli.osc('stratus-alt', ['keypair', 'delete', 'k-imp']);
  assert.notEqual(del.code, 0, cli.describe(del));
  assert.match(del.stderr, /Keypair k-imp not found for user/, cli.describe(del));
  assert.equal((await cli.json('stratus-demo', ['keypair', 'show', 'k-imp'])).name, 'k-imp');
});

test('openstack server create --key-name: shown as key_name; an unknown key is refused', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const created = await cli.json('stratus-demo', [
    'server',
    'create',
    ...BOOT,
    '--key-name',
    'k-imp',
    '--wait',
    'kp-s1',
  ]);
  assert.equal(created.status, 'ACTIVE', JSON.stringify(created));
  assert.equal(created.key_name, 'k-imp');
  assert.equal(
    (await cli.ok('stratus-demo', ['server', 'show', 'kp-s1', '-c', 'key_name', '-f', 'value'])).trim(),
    'k-imp',
  );

  const bad = await cli.osc('stratus-demo', ['server', 'create', ...BOOT, '--key-name', 'no-such-key', 'kp-s2']);
  assert.notEqual(bad.code, 0, cli.describe(bad));
  assert.match(bad.stderr, /Invalid key_name provided\. \(HTTP 400\)/, cli.describe(bad));
  // alt_demo cannot boot with demo's key either.
  const alt = await cli.osc('stratus-alt', [
    'server',
    'create',
    '--flavor',
    FLAVOR,
    '--image',
    IMAGE,
    '--key-name',
    'k-imp',
    '--network',
    'none',
    'kp-s3',
  ]);
  assert.notEqual(alt.code, 0, cli.describe(alt));

  await cli.ok('stratus-demo', ['server', 'delete', '--wait', 'kp-s1']);
});

test('openstack keypair delete: both gone, a second delete fails', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  await cli.ok('stratus-demo', ['keypair', 'delete', 'k-gen', 'k-imp']);
  assert.deepEqual(await cli.json('stratus-demo', ['keypair', 'list']), []);
  const again = await cli.osc('stratus-demo', ['keypair', 'delete', 'k-gen']);
  assert.notEqual(again.code, 0, cli.describe(again));
  assert.match(again.stderr, /Keypair k-gen not found for user/, cli.describe(again));
});

const SDK_SCRIPT = `
import json, sys
import openstack

line = sys.argv[1]
conn = openstack.connect(cloud='stratus-demo')
imported = conn.compute.create_keypair(name='sdk-imp', public_key=line)
generated = conn.compute.create_keypair(name='sdk-gen')
names = sorted(k.name for k in conn.compute.keypairs())
got = conn.compute.get_keypair('sdk-imp')
alt = openstack.connect(cloud='stratus-alt')
alt_missing = alt.compute.find_keypair('sdk-imp', ignore_missing=True) is None
conn.compute.delete_keypair('sdk-imp')
conn.compute.delete_keypair(generated)
after = [k.name for k in conn.compute.keypairs()]
print(json.dumps({'imported_fp': imported.fingerprint, 'got_fp': got.fingerprint, 'got_type': got.type,
                  'generated_private': (generated.private_key or '')[:31], 'names': names,
                  'alt_missing': alt_missing, 'after': after}))
`;

test('openstacksdk: create (imported and generated), list, get, delete', {
  skip: skipSdk,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const line = ed25519Line('sdk@host');
  const r = await cli.python(SDK_SCRIPT, [line]);
  assert.equal(r.code, 0, `openstacksdk script failed:\n${cli.describe(r)}`);
  const lines = r.stdout.trim().split('\n');
  const summary = JSON.parse(lines[lines.length - 1] ?? '{}');
  assert.deepEqual(summary, {
    imported_fp: md5Fingerprint(line),
    got_fp: md5Fingerprint(line),
    got_type: 'ssh',
    generated_private: '-----BEGIN RSA PRIVATE KEY-----',
    names: ['sdk-gen', 'sdk-imp'],
    alt_missing: true,
    after: [],
  });
});
