import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createHash } from 'node:crypto';
import { generateSshKeypair, generateX509Keypair, sshFingerprint, x509Fingerprint } from './keypairs.js';

// Nova's api-ref sample (doc/api_samples/os-keypairs/v2.92/keypairs-import-post-*.json).
const NOVA_KEY =
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDx8nkQv/zgGgB4rMYmIf+6A4l6Rr+o/6lHBQdW5aYd44bd8JttDCE/F/pNRr0lRE+PiqSPO8nDPHw0010JeMH9gYgnnFlyY3/OcJ02RhIPyyxYpv9FhY+2YiUkpwFOcLImyrxEsYXpD/0d3ac30bNH6Sw9JD9UZHYcpSxsIbECHw== Generated-by-Nova';

test('the fingerprint of Nova’s sample key is the one Nova shows', () => {
  assert.equal(sshFingerprint(NOVA_KEY), '1e:2c:9b:56:79:4b:45:77:f9:ca:7a:98:2c:b0:d5:3c');
  assert.equal(sshFingerprint(`${NOVA_KEY}\n`), '1e:2c:9b:56:79:4b:45:77:f9:ca:7a:98:2c:b0:d5:3c');
});

test('what is no OpenSSH public key is InvalidKeypair', () => {
  const blob = NOVA_KEY.split(' ')[1];
  for (const bad of [
    '',
    'ssh-rsa',
    `ssh-rsa ${blob.slice(0, -8)}`, // truncated
    `ssh-ed25519 ${blob}`, // the line says another type than the blob
    `ssh-rsa ${blob}AAAA`, // data after the key
    ` ssh-rsa ${blob}`,
    `ssh-rsa\t${blob}`, // loads, but Nova's split(' ') finds no blob
  ]) {
    assert.throws(
      () => sshFingerprint(bad),
      (e: Error & { code?: string }) =>
        e.code === 'InvalidKeypair' && e.message === 'Keypair data is invalid: failed to generate fingerprint',
      bad,
    );
  }
});

test('a generated key: ssh-rsa 2048, Generated-by-Nova, PKCS#1 private key, MD5 fingerprint', async () => {
  const k = await generateSshKeypair();
  assert.match(k.publicKey, /^ssh-rsa AAAAB3NzaC1yc2E[A-Za-z0-9+/]+=* Generated-by-Nova$/);
  assert.ok(k.privateKey.startsWith('-----BEGIN RSA PRIVATE KEY-----\n'));
  const md5 = createHash('md5')
    .update(Buffer.from(k.publicKey.split(' ')[1], 'base64'))
    .digest('hex');
  assert.equal(k.fingerprint.replace(/:/g, ''), md5);
});

test('a generated x509 keypair: self-signed CN=<user>, 10 years, SHA-1 fingerprint, PFX with a valid MAC', async () => {
  const now = new Date('2026-03-01T12:00:00.000Z');
  const k = await generateX509Keypair('u-1', now);
  const cert = new X509Certificate(k.publicKey);
  assert.equal(cert.subject, 'CN=u-1');
  assert.equal(cert.issuer, 'CN=u-1');
  assert.equal(new Date(cert.validFrom).toISOString(), '2026-03-01T12:00:00.000Z');
  assert.equal(new Date(cert.validTo).toISOString(), '2036-02-27T12:00:00.000Z');
  assert.ok(cert.verify(cert.publicKey));
  assert.equal(k.fingerprint, x509Fingerprint(k.publicKey));
  assert.equal(
    k.fingerprint,
    createHash('sha1')
      .update(cert.raw)
      .digest('hex')
      .replace(/(..)(?!$)/g, '$1:'),
  );
  // The PFX ends with MacData: the HMAC-SHA256 of the authSafe content, which holds the certificate.
  const pfx = Buffer.from(k.privateKey, 'base64');
  assert.equal(pfx[0], 0x30);
  assert.ok(pfx.includes(cert.raw));
});

test('x509 fingerprint of what is no certificate', () => {
  assert.throws(
    () => x509Fingerprint(NOVA_KEY),
    /^DomainError: Keypair data is invalid: failed to generate X509 fingerprint\. Error message: Unable to load PEM file/,
  );
});
