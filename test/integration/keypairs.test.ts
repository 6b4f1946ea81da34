// os-keypairs (nova/api/openstack/compute/keypairs.py) and key_name on server create, over real
// HTTP on SQLite and PostgreSQL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestCloud, type HttpResult, type Persona } from '../../src/testing/kit.js';
import { databaseTargets } from '../../src/testing/databases.js';
import { countKeypairs } from '../../src/services/compute/keypairs.js';

// A key and fingerprint from Nova's api-ref sample (doc/api_samples/os-keypairs/v2.92).
const NOVA_KEY =
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDx8nkQv/zgGgB4rMYmIf+6A4l6Rr+o/6lHBQdW5aYd44bd8JttDCE/F/pNRr0lRE+PiqSPO8nDPHw0010JeMH9gYgnnFlyY3/OcJ02RhIPyyxYpv9FhY+2YiUkpwFOcLImyrxEsYXpD/0d3ac30bNH6Sw9JD9UZHYcpSxsIbECHw== Generated-by-Nova';
const NOVA_FP = '1e:2c:9b:56:79:4b:45:77:f9:ca:7a:98:2c:b0:d5:3c';

const FAULT_KEYS: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
};

function assertFault(res: HttpResult, status: number, message: string) {
  assert.equal(res.status, status, res.text);
  assert.deepEqual(res.body, { [FAULT_KEYS[status]]: { code: status, message } });
}

/** The MD5 of the key blob, computed here independently of Stratus. */
const md5Fingerprint = (pub: string) =>
  createHash('md5')
    .update(Buffer.from(pub.split(' ')[1], 'base64'))
    .digest('hex')
    .replace(/(..)(?!$)/g, '$1:');

/** An OpenSSH ed25519 public key line built from a fresh node:crypto key. */
function ed25519Line(comment = 'test@host'): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return `ssh-ed25519 ${Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]).toString('base64')} ${comment}`;
}

for (const target of databaseTargets()) {
  describe(`os-keypairs on ${target.name}`, () => {
    let cloud: TestCloud;
    let db: { url: string; drop(): Promise<void> };
    const users = {} as Record<Persona, string>;
    const kp = (method: string, path: string, opts: { as?: Persona; body?: unknown; mv?: string } = {}) =>
      cloud.request(method, `/v2.1/os-keypairs${path}`, { as: 'member', mv: '2.2', ...opts });
    const importKey = (name: string, as: Persona = 'member', mv = '2.2', extra: Record<string, unknown> = {}) =>
      kp('POST', '', { as, mv, body: { keypair: { name, public_key: ed25519Line(), ...extra } } });

    before(async () => {
      db = await target.url();
      cloud = await TestCloud.start({ database: db.url });
      for (const p of ['admin', 'member', 'reader', 'other'] as Persona[]) {
        const res = await importKey(`whoami-${p}`, p);
        assert.equal(res.status, 201, res.text);
        users[p] = res.body.keypair.user_id;
        await kp('DELETE', `/whoami-${p}`, { as: p });
      }
    });
    after(async () => {
      await cloud.close();
      await db.drop();
    });

    describe('create', () => {
      test('a generated key at 2.1: 200, a real RSA 2048 pair, the fingerprint as Nova computes it', async () => {
        const res = await kp('POST', '', { mv: '2.1', body: { keypair: { name: 'gen-21' } } });
        assert.equal(res.status, 200, res.text);
        const k = res.body.keypair;
        assert.deepEqual(Object.keys(k).sort(), ['fingerprint', 'name', 'private_key', 'public_key', 'user_id']);
        assert.equal(k.name, 'gen-21');
        assert.equal(k.user_id, users.member);
        assert.match(k.public_key, /^ssh-rsa [A-Za-z0-9+/]+=* Generated-by-Nova$/);
        assert.match(k.private_key, /^-----BEGIN RSA PRIVATE KEY-----\n[\s\S]+\n-----END RSA PRIVATE KEY-----\n$/);
        assert.equal(k.fingerprint, md5Fingerprint(k.public_key));
        // The private key is the other half of the public one.
        const priv = createPublicKey(k.private_key).export({ format: 'jwk' });
        assert.equal(priv.kty, 'RSA');
        assert.equal(Buffer.from(priv.n!, 'base64url').length, 256);
        const blob = Buffer.from(k.public_key.split(' ')[1], 'base64');
        assert.ok(blob.includes(Buffer.from(priv.n!, 'base64url')));
        // The private key is never shown again.
        const shown = await kp('GET', '/gen-21', { mv: '2.1' });
        assert.equal(shown.status, 200);
        assert.equal(shown.body.keypair.private_key, undefined);
        assert.equal(shown.body.keypair.public_key, k.public_key);
      });

      test('at 2.2: 201 with type ssh', async () => {
        const res = await kp('POST', '', { body: { keypair: { name: 'gen-22' } } });
        assert.equal(res.status, 201, res.text);
        assert.equal(res.body.keypair.type, 'ssh');
        assert.ok(res.body.keypair.private_key);
      });

      test('an imported key: no private key, the fingerprint of Nova’s sample key', async () => {
        const res = await kp('POST', '', {
          mv: '2.92',
          body: { keypair: { name: 'nova-sample', public_key: NOVA_KEY } },
        });
        assert.equal(res.status, 201, res.text);
        assert.deepEqual(res.body, {
          keypair: {
            name: 'nova-sample',
            public_key: NOVA_KEY,
            fingerprint: NOVA_FP,
            type: 'ssh',
            user_id: users.member,
          },
        });
      });

      test('ed25519 and ECDSA keys import too', async () => {
        const ed = ed25519Line();
        const res = await kp('POST', '', { body: { keypair: { name: 'ed', public_key: ed } } });
        assert.equal(res.status, 201, res.text);
        assert.equal(res.body.keypair.fingerprint, md5Fingerprint(ed));
        const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        const jwk = publicKey.export({ format: 'jwk' });
        const point = Buffer.concat([
          Buffer.from([4]),
          Buffer.from(jwk.x!, 'base64url'),
          Buffer.from(jwk.y!, 'base64url'),
        ]);
        const str = (b: Buffer) => {
          const l = Buffer.alloc(4);
          l.writeUInt32BE(b.length);
          return Buffer.concat([l, b]);
        };
        const blob = Buffer.concat([str(Buffer.from('ecdsa-sha2-nistp256')), str(Buffer.from('nistp256')), str(point)]);
        const line = `ecdsa-sha2-nistp256 ${blob.toString('base64')}`;
        const ec = await kp('POST', '', { body: { keypair: { name: 'ec', public_key: line } } });
        assert.equal(ec.status, 201, ec.text);
        assert.equal(ec.body.keypair.fingerprint, md5Fingerprint(line));
      });

      test('x509: a generated client certificate and PKCS#12 key; an imported certificate', async () => {
        const res = await kp('POST', '', { body: { keypair: { name: 'winrm', type: 'x509' } } });
        assert.equal(res.status, 201, res.text);
        const k = res.body.keypair;
        assert.equal(k.type, 'x509');
        const cert = new X509Certificate(k.public_key);
        assert.equal(cert.subject, `CN=${users.member}`);
        assert.ok(cert.verify(cert.publicKey));
        assert.match(cert.subjectAltName ?? '', new RegExp(`${users.member}@localhost`));
        assert.equal(k.fingerprint, cert.fingerprint.toLowerCase());
        assert.equal(Buffer.from(k.private_key, 'base64')[0], 0x30); // a DER PFX
        if (existsSync('/usr/bin/openssl')) {
          // OpenSSL opens the PKCS#12 with the empty password (its MAC checks) and finds both halves.
          const dir = mkdtempSync(join(tmpdir(), 'stratus-p12-'));
          try {
            writeFileSync(join(dir, 'k.p12'), Buffer.from(k.private_key, 'base64'));
            const out = execFileSync(
              '/usr/bin/openssl',
              ['pkcs12', '-in', join(dir, 'k.p12'), '-passin', 'pass:', '-nodes'],
              {
                stdio: ['ignore', 'pipe', 'pipe'],
              },
            ).toString();
            assert.match(out, /-----BEGIN PRIVATE KEY-----/);
            assert.ok(out.includes(k.public_key.trim().split('\n')[1]));
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        }
        const imported = await kp('POST', '', {
          body: { keypair: { name: 'winrm-imported', type: 'x509', public_key: k.public_key } },
        });
        assert.equal(imported.status, 201, imported.text);
        assert.equal(imported.body.keypair.fingerprint, k.fingerprint);
        assert.equal(imported.body.keypair.private_key, undefined);
      });

      test('409 for a name the user already has; another user may use it', async () => {
        assert.equal((await importKey('dup')).status, 201);
        assertFault(await importKey('dup'), 409, "Key pair 'dup' already exists.");
        assertFault(
          await kp('POST', '', { body: { keypair: { name: 'dup' } } }),
          409,
          "Key pair 'dup' already exists.",
        );
        assert.equal((await importKey('dup', 'other')).status, 201);
        assert.equal((await importKey('dup', 'reader')).status, 201);
      });

      test('two imports of one name at once: one 201, one 409', async () => {
        const [a, b] = await Promise.all([importKey('race'), importKey('race')]);
        const statuses = [a.status, b.status].sort();
        assert.deepEqual(statuses, [201, 409]);
        assertFault(a.status === 409 ? a : b, 409, "Key pair 'race' already exists.");
      });

      test('400 for a public key that is no key', async () => {
        for (const public_key of [
          '',
          'ssh-rsa',
          'ssh-rsa AAAA',
          'garbage',
          'ssh-rsa !!!notbase64',
          'foo AAAAB3NzaC1yc2E=',
        ]) {
          assertFault(
            await kp('POST', '', { body: { keypair: { name: 'bad', public_key } } }),
            400,
            'Keypair data is invalid: failed to generate fingerprint',
          );
        }
        // The blob says another type than the line.
        const ed = ed25519Line().replace(/^ssh-ed25519/, 'ssh-rsa');
        assertFault(
          await kp('POST', '', { body: { keypair: { name: 'bad', public_key: ed } } }),
          400,
          'Keypair data is invalid: failed to generate fingerprint',
        );
        assertFault(
          await kp('POST', '', { body: { keypair: { name: 'bad', type: 'x509', public_key: NOVA_KEY } } }),
          400,
          'Keypair data is invalid: failed to generate X509 fingerprint. Error message: Unable to load PEM file. See https://cryptography.io/en/latest/faq/#why-can-t-i-import-my-pem-file for more details. MalformedFraming',
        );
        assertFault(
          await kp('POST', '', {
            body: {
              keypair: {
                name: 'bad',
                type: 'x509',
                public_key: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
              },
            },
          }),
          400,
          'Keypair data is invalid: failed to generate X509 fingerprint. Error message: error parsing asn1 value',
        );
        const list = await kp('GET', '');
        assert.ok(!list.body.keypairs.some((k: { keypair: { name: string } }) => k.keypair.name === 'bad'));
      });

      test('body validation, with the messages of Nova’s schema', async () => {
        const cases: Array<[string, unknown, string]> = [
          [
            '2.2',
            { keypair: { name: 'a/b' } },
            "Invalid input for field/attribute name. Value: a/b. 'a/b' does not match '^[_\\\\- a-zA-Z0-9]+$'",
          ],
          [
            '2.2',
            { keypair: { name: 'a@b.c' } },
            "Invalid input for field/attribute name. Value: a@b.c. 'a@b.c' does not match '^[_\\\\- a-zA-Z0-9]+$'",
          ],
          [
            '2.92',
            { keypair: { name: 'a/b', public_key: NOVA_KEY } },
            "Invalid input for field/attribute name. Value: a/b. 'a/b' does not match '^[_\\\\-\\\\@\\\\. a-zA-Z0-9]+$'",
          ],
          ['2.2', { keypair: { name: '' } }, "Invalid input for field/attribute name. Value: . '' should be non-empty"],
          [
            '2.2',
            { keypair: { name: 'x'.repeat(256) } },
            `Invalid input for field/attribute name. Value: ${'x'.repeat(256)}. '${'x'.repeat(256)}' is too long`,
          ],
          [
            '2.2',
            { keypair: { name: ' lead' } },
            "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.",
          ],
          [
            '2.2',
            { keypair: { name: 'tab\tin' } },
            "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.",
          ],
          [
            '2.2',
            { keypair: { name: 5 } },
            "Invalid input for field/attribute name. Value: 5. 5 is not of type 'string'",
          ],
          [
            '2.2',
            { keypair: { name: null } },
            "Invalid input for field/attribute name. Value: None. None is not of type 'string'",
          ],
          [
            '2.2',
            { keypair: { name: 'k', type: 'rsa' } },
            "Invalid input for field/attribute type. Value: rsa. 'rsa' is not one of ['ssh', 'x509']",
          ],
          [
            '2.2',
            { keypair: { name: 'k', type: 1 } },
            "Invalid input for field/attribute type. Value: 1. 1 is not of type 'string'",
          ],
          [
            '2.2',
            { keypair: { name: 'k', public_key: 1 } },
            "Invalid input for field/attribute public_key. Value: 1. 1 is not of type 'string'",
          ],
          [
            '2.10',
            { keypair: { name: 'k', user_id: true } },
            "Invalid input for field/attribute user_id. Value: True. True is not of type 'string'",
          ],
          [
            '2.1',
            { keypair: { name: 'k', type: 'ssh' } },
            "Invalid input for field/attribute keypair. Value: {'name': 'k', 'type': 'ssh'}. Additional properties are not allowed ('type' was unexpected)",
          ],
          [
            '2.9',
            { keypair: { name: 'k', user_id: 'u' } },
            "Invalid input for field/attribute keypair. Value: {'name': 'k', 'user_id': 'u'}. Additional properties are not allowed ('user_id' was unexpected)",
          ],
          [
            '2.2',
            { keypair: { name: 'k', foo: 1 } },
            "Invalid input for field/attribute keypair. Value: {'name': 'k', 'foo': 1}. Additional properties are not allowed ('foo' was unexpected)",
          ],
          [
            '2.2',
            { keypair: {} },
            "Invalid input for field/attribute keypair. Value: {}. 'name' is a required property",
          ],
          ['2.2', { keypair: 'k' }, "Invalid input for field/attribute keypair. Value: k. 'k' is not of type 'object'"],
          [
            '2.2',
            { keypair: { name: 'k' }, extra: 1 },
            "Additional properties are not allowed ('extra' was unexpected)",
          ],
          ['2.2', {}, "'keypair' is a required property"],
          ['2.2', [], "[] is not of type 'object'"],
          // 2.92: no more generation.
          [
            '2.92',
            { keypair: { name: 'k' } },
            "Invalid input for field/attribute keypair. Value: {'name': 'k'}. 'public_key' is a required property",
          ],
        ];
        for (const [mv, body, message] of cases) assertFault(await kp('POST', '', { mv, body }), 400, message);
        assertFault(
          await cloud.request('POST', '/v2.1/os-keypairs', { as: 'member', rawBody: '{"keypair": ' }),
          400,
          'Malformed request body',
        );
      });

      test('2.92 allows @ and . in names', async () => {
        const res = await kp('POST', '', {
          mv: '2.92',
          body: { keypair: { name: 'me@host.example', public_key: NOVA_KEY } },
        });
        assert.equal(res.status, 201, res.text);
        assert.equal((await kp('GET', `/${encodeURIComponent('me@host.example')}`)).status, 200);
      });

      test('names with spaces, dashes and underscores round-trip through the URL', async () => {
        assert.equal((await importKey('my key_1-a')).status, 201);
        const res = await kp('GET', `/${encodeURIComponent('my key_1-a')}`);
        assert.equal(res.status, 200);
        assert.equal(res.body.keypair.name, 'my key_1-a');
      });
    });

    describe('list, show, delete', () => {
      test('list: items wrapped in {"keypair"}, type from 2.2, only the caller’s', async () => {
        await importKey('list-a', 'other');
        const v21 = await kp('GET', '', { as: 'other', mv: '2.1' });
        assert.equal(v21.status, 200);
        for (const item of v21.body.keypairs) {
          assert.deepEqual(Object.keys(item), ['keypair']);
          assert.deepEqual(Object.keys(item.keypair).sort(), ['fingerprint', 'name', 'public_key']);
        }
        const v22 = await kp('GET', '', { as: 'other' });
        const names = v22.body.keypairs.map((k: { keypair: { name: string } }) => k.keypair.name);
        assert.deepEqual(names, [...names].sort());
        assert.ok(names.includes('list-a'));
        assert.ok(v22.body.keypairs.every((k: { keypair: { type: string } }) => k.keypair.type === 'ssh'));
        assert.equal(v22.body.keypairs_links, undefined);
        // Another user's keys are not listed, in the same project or another.
        const member = await kp('GET', '');
        assert.ok(!member.body.keypairs.some((k: { keypair: { name: string } }) => k.keypair.name === 'list-a'));
      });

      test('show: the detail view, with id, created_at and the never-filled soft-delete fields', async () => {
        const created = await importKey('show-me', 'member', '2.2');
        const res = await kp('GET', '/show-me', { mv: '2.2' });
        assert.equal(res.status, 200);
        const k = res.body.keypair;
        assert.deepEqual(Object.keys(k).sort(), [
          'created_at',
          'deleted',
          'deleted_at',
          'fingerprint',
          'id',
          'name',
          'public_key',
          'type',
          'updated_at',
          'user_id',
        ]);
        assert.equal(typeof k.id, 'number');
        assert.ok(Number.isInteger(k.id) && k.id > 0);
        assert.match(k.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
        assert.equal(k.deleted, false);
        assert.equal(k.deleted_at, null);
        assert.equal(k.updated_at, null);
        assert.equal(k.user_id, users.member);
        assert.equal(k.fingerprint, created.body.keypair.fingerprint);
        const v21 = await kp('GET', '/show-me', { mv: '2.1' });
        assert.equal(v21.body.keypair.type, undefined);
        assert.equal(v21.body.keypair.id, k.id);
      });

      test('show and delete of a missing keypair: 404 naming the user', async () => {
        assertFault(await kp('GET', '/nope'), 404, `Keypair nope not found for user ${users.member}`);
        assertFault(await kp('DELETE', '/nope'), 404, `Keypair nope not found for user ${users.member}`);
      });

      test('delete: 202 at 2.1, 204 from 2.2, then gone', async () => {
        await importKey('del-21');
        await importKey('del-22');
        const a = await kp('DELETE', '/del-21', { mv: '2.1' });
        assert.equal(a.status, 202);
        assert.equal(a.text, '');
        const b = await kp('DELETE', '/del-22', { mv: '2.2' });
        assert.equal(b.status, 204);
        assert.equal(b.text, '');
        assertFault(await kp('GET', '/del-21'), 404, `Keypair del-21 not found for user ${users.member}`);
        assertFault(await kp('DELETE', '/del-22'), 404, `Keypair del-22 not found for user ${users.member}`);
        // The name is free again.
        assert.equal((await importKey('del-22')).status, 201);
      });

      test('the project-scoped URL serves the same keypairs', async () => {
        await importKey('scoped');
        const res = await cloud.request('GET', `/v2.1/${cloud.projects.member}/os-keypairs/scoped`, {
          as: 'member',
          mv: '2.2',
        });
        assert.equal(res.status, 200);
        assert.equal(res.body.keypair.name, 'scoped');
      });

      test('405 for other methods', async () => {
        const res = await kp('PUT', '/x', { body: {} });
        assertFault(res, 405, 'The method specified is not allowed for this resource.');
        assert.equal(res.headers.get('allow'), 'DELETE, GET, HEAD');
        const list = await kp('DELETE', '');
        assert.equal(list.status, 405);
        assert.equal(list.headers.get('allow'), 'GET, HEAD, POST');
      });

      test('countKeypairs counts a user’s keypairs (for the key_pairs quota)', async () => {
        const before = await countKeypairs(cloud.stack.deps, users.reader);
        await importKey('count-1', 'reader');
        await importKey('count-2', 'reader');
        assert.equal(await countKeypairs(cloud.stack.deps, users.reader), before + 2);
        await kp('DELETE', '/count-1', { as: 'reader' });
        assert.equal(await countKeypairs(cloud.stack.deps, users.reader), before + 1);
      });
    });

    describe('personas: keypairs are a user’s, not a project’s', () => {
      before(async () => {
        assert.equal((await importKey('mine')).status, 201);
      });

      test('a reader of the same project and a member of another cannot see or delete it (404)', async () => {
        for (const as of ['reader', 'other'] as Persona[]) {
          assertFault(await kp('GET', '/mine', { as }), 404, `Keypair mine not found for user ${users[as]}`);
          assertFault(await kp('DELETE', '/mine', { as }), 404, `Keypair mine not found for user ${users[as]}`);
        }
        assert.equal((await kp('GET', '/mine')).status, 200);
      });

      test('a reader may manage its own keypairs (Nova checks the user, not a role)', async () => {
        assert.equal((await importKey('reader-own', 'reader')).status, 201);
        assert.equal((await kp('GET', '/reader-own', { as: 'reader' })).status, 200);
        assert.equal((await kp('DELETE', '/reader-own', { as: 'reader' })).status, 204);
      });

      test('2.10: a non-admin naming another user_id is refused (403)', async () => {
        for (const [method, path, rule] of [
          ['GET', `?user_id=${users.member}`, 'index'],
          ['GET', `/mine?user_id=${users.member}`, 'show'],
          ['DELETE', `/mine?user_id=${users.member}`, 'delete'],
        ] as const) {
          assertFault(
            await kp(method, path, { as: 'other', mv: '2.10' }),
            403,
            `Policy doesn't allow os_compute_api:os-keypairs:${rule} to be performed.`,
          );
        }
        assertFault(
          await kp('POST', '', {
            as: 'reader',
            mv: '2.10',
            body: { keypair: { name: 'theirs', public_key: NOVA_KEY, user_id: users.member } },
          }),
          403,
          "Policy doesn't allow os_compute_api:os-keypairs:create to be performed.",
        );
        // Naming oneself is fine.
        assert.equal((await kp('GET', `?user_id=${users.other}`, { as: 'other', mv: '2.10' })).status, 200);
      });

      test('2.10: an admin manages another user’s keypairs with user_id', async () => {
        const created = await kp('POST', '', {
          as: 'admin',
          mv: '2.10',
          body: { keypair: { name: 'by-admin', public_key: NOVA_KEY, user_id: users.member } },
        });
        assert.equal(created.status, 201, created.text);
        assert.equal(created.body.keypair.user_id, users.member);
        assert.equal((await kp('GET', '/by-admin')).status, 200); // the member sees it as its own
        const list = await kp('GET', `?user_id=${users.member}`, { as: 'admin', mv: '2.10' });
        assert.ok(list.body.keypairs.some((k: { keypair: { name: string } }) => k.keypair.name === 'mine'));
        const shown = await kp('GET', `/mine?user_id=${users.member}`, { as: 'admin', mv: '2.10' });
        assert.equal(shown.status, 200);
        assert.equal(shown.body.keypair.user_id, users.member);
        // Without user_id the admin sees only its own.
        assertFault(
          await kp('GET', '/mine', { as: 'admin', mv: '2.10' }),
          404,
          `Keypair mine not found for user ${users.admin}`,
        );
        assert.equal(
          (await kp('DELETE', `/by-admin?user_id=${users.member}`, { as: 'admin', mv: '2.10' })).status,
          204,
        );
        assertFault(await kp('GET', '/by-admin'), 404, `Keypair by-admin not found for user ${users.member}`);
        // The first user_id counts, as Nova's getall()[0].
        const first = await kp('GET', `/mine?user_id=${users.member}&user_id=${users.admin}`, {
          as: 'admin',
          mv: '2.10',
        });
        assert.equal(first.status, 200);
      });

      test('before 2.10 user_id is ignored', async () => {
        const res = await kp('GET', `/mine?user_id=${users.admin}`, { mv: '2.9' });
        assert.equal(res.status, 200);
        assert.equal(res.body.keypair.user_id, users.member);
        assertFault(
          await kp('GET', `/mine?user_id=${users.member}`, { as: 'admin', mv: '2.9' }),
          404,
          `Keypair mine not found for user ${users.admin}`,
        );
      });

      test('no token: 401', async () => {
        for (const [method, path] of [
          ['GET', ''],
          ['POST', ''],
          ['GET', '/mine'],
          ['DELETE', '/mine'],
        ]) {
          const res = await cloud.request(method, `/v2.1/os-keypairs${path}`, {
            body: method === 'POST' ? { keypair: { name: 'x' } } : undefined,
          });
          assert.equal(res.status, 401);
          assert.deepEqual(res.body, {
            error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' },
          });
        }
      });
    });

    describe('paging (2.35) and strict queries (2.75)', () => {
      const names = ['page-a', 'page-b', 'page-c', 'page-d', 'page-e'];
      before(async () => {
        for (const n of names) assert.equal((await importKey(n, 'admin')).status, 201);
      });
      const page = async (query: string, mv = '2.35') => {
        const res = await kp('GET', query, { as: 'admin', mv });
        assert.equal(res.status, 200, res.text);
        return res;
      };
      const namesOf = (res: HttpResult) => res.body.keypairs.map((k: { keypair: { name: string } }) => k.keypair.name);

      test('limit and marker walk the list by name; a full page carries a next link', async () => {
        const all = namesOf(await page(''));
        assert.deepEqual(all, [...all].sort());
        const first = await page('?limit=2');
        assert.deepEqual(namesOf(first), all.slice(0, 2));
        const next = first.body.keypairs_links;
        assert.equal(next.length, 1);
        assert.equal(next[0].rel, 'next');
        const url = new URL(next[0].href);
        assert.equal(url.pathname, '/v2.1/os-keypairs');
        assert.equal(url.searchParams.get('limit'), '2');
        assert.equal(url.searchParams.get('marker'), all[1]);
        const second = await page(`?${url.searchParams.toString()}`);
        assert.deepEqual(namesOf(second), all.slice(2, 4));
        const rest = await page(`?marker=${all[all.length - 2]}&limit=5`);
        assert.deepEqual(namesOf(rest), [all[all.length - 1]]);
        assert.equal(rest.body.keypairs_links, undefined);
        assert.deepEqual(namesOf(await page('?limit=0')), []);
        assert.equal((await page('?limit=0')).body.keypairs_links, undefined);
      });

      test('the next link keeps the project of the URL', async () => {
        const res = await cloud.request('GET', `/v2.1/${cloud.projects.admin}/os-keypairs?limit=1`, {
          as: 'admin',
          mv: '2.35',
        });
        assert.equal(new URL(res.body.keypairs_links[0].href).pathname, `/v2.1/${cloud.projects.admin}/os-keypairs`);
      });

      test('bad limit and unknown marker: 400', async () => {
        assertFault(
          await kp('GET', '?limit=abc', { as: 'admin', mv: '2.35' }),
          400,
          "Invalid input for query parameters limit. Value: abc. 'abc' does not match '^[0-9]*$'",
        );
        assertFault(
          await kp('GET', '?limit=-1', { as: 'admin', mv: '2.35' }),
          400,
          "Invalid input for query parameters limit. Value: -1. '-1' does not match '^[0-9]*$'",
        );
        assertFault(
          await kp('GET', '?limit=', { as: 'admin', mv: '2.35' }),
          400,
          "Invalid input for query parameters limit. Value: . '' should be non-empty",
        );
        assertFault(
          await kp('GET', '?marker=nope', { as: 'admin', mv: '2.35' }),
          400,
          'Marker nope could not be found.',
        );
        // Another user's keypair is no marker.
        await importKey('others-marker', 'other');
        assertFault(
          await kp('GET', '?marker=others-marker', { as: 'admin', mv: '2.35' }),
          400,
          'Marker others-marker could not be found.',
        );
      });

      test('before 2.35 limit and marker are ignored', async () => {
        const res = await page('?limit=1&marker=nope', '2.34');
        assert.ok(namesOf(res).length >= names.length);
        assert.equal(res.body.keypairs_links, undefined);
      });

      test('from 2.75 an unknown query parameter is a 400; before, ignored', async () => {
        assertFault(
          await kp('GET', '?foo=1', { as: 'admin', mv: '2.75' }),
          400,
          "Additional properties are not allowed ('foo' was unexpected)",
        );
        assertFault(
          await kp('GET', '/page-a?limit=1', { as: 'admin', mv: '2.75' }),
          400,
          "Additional properties are not allowed ('limit' was unexpected)",
        );
        assertFault(
          await kp('DELETE', '/page-a?foo=1', { as: 'admin', mv: '2.75' }),
          400,
          "Additional properties are not allowed ('foo' was unexpected)",
        );
        assert.equal((await kp('GET', '?foo=1', { as: 'admin', mv: '2.74' })).status, 200);
        assert.equal((await kp('GET', '/page-a?foo=1', { as: 'admin', mv: '2.74' })).status, 200);
        assert.equal((await kp('GET', '?limit=1&user_id=x', { as: 'admin', mv: '2.75' })).status, 200);
      });
    });

    describe('key_name on server create', () => {
      test('an unknown key, or another user’s: 400 "Invalid key_name provided."', async () => {
        await importKey('others-key', 'other');
        for (const key_name of ['no-such-key', 'others-key']) {
          const image = (await cloud.request('GET', '/image/v2/images', { as: 'member' })).body.images[0].id;
          assertFault(
            await cloud.request('POST', '/v2.1/servers', {
              as: 'member',
              mv: '2.37',
              body: { server: { name: 'k', imageRef: image, flavorRef: '1', networks: 'none', key_name } },
            }),
            400,
            'Invalid key_name provided.',
          );
        }
      });

      test('the caller’s key: stored on the server and shown as key_name', async () => {
        assert.equal((await importKey('boot-key')).status, 201);
        const id = await cloud.createServer('member', { key_name: 'boot-key' });
        const s = (await cloud.server(id, 'member')).body.server;
        assert.equal(s.key_name, 'boot-key');
        const detail = await cloud.request('GET', '/v2.1/servers/detail', { as: 'member', mv: '2.1' });
        assert.equal(detail.body.servers.find((x: { id: string }) => x.id === id).key_name, 'boot-key');
        // Deleting the keypair leaves the server's key_name as it was (Nova keeps it on the instance).
        assert.equal((await kp('DELETE', '/boot-key')).status, 204);
        assert.equal((await cloud.server(id, 'member')).body.server.key_name, 'boot-key');
        const plain = await cloud.createServer('member');
        assert.equal((await cloud.server(plain, 'member')).body.server.key_name, null);
      });
    });
  });
}
