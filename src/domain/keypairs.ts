/**
 * Keypair crypto, after nova/crypto.py: SSH and X.509 fingerprints as Nova computes them, the
 * generated RSA 2048 keys (`ssh-rsa … Generated-by-Nova` with a PKCS#1 PEM private key, as
 * paramiko writes it) and the self-signed WinRM client certificate of `type: x509` (its private
 * key a base64 PKCS#12 with an empty password, as `openssl pkcs12 -export -password pass:` makes).
 * Only node:crypto: no openssl process, no ASN.1 library; the few DER structures are built here.
 *
 * Pure module: no I/O beyond node:crypto.
 */
import {
  X509Certificate,
  createHash,
  createHmac,
  createPublicKey,
  generateKeyPair,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto';
import { invalidKeypair } from './errors.js';

/** An RSA key pair, generated off the event loop (node:crypto's thread pool). */
function rsaKeyPair(bits: number): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  return new Promise((resolve, reject) =>
    generateKeyPair('rsa', { modulusLength: bits, publicExponent: 65537 }, (err, publicKey, privateKey) =>
      err ? reject(err) : resolve({ publicKey, privateKey }),
    ),
  );
}

export type KeypairType = 'ssh' | 'x509';

// ---------------------------------------------------------------------------------------------
// SSH wire format (RFC 4253 §6.6)

function sshString(b: Buffer | string): Buffer {
  const body = typeof b === 'string' ? Buffer.from(b, 'latin1') : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

/** An mpint from unsigned big-endian bytes: minimal, with a zero byte when the top bit is set. */
function sshMpint(unsigned: Buffer): Buffer {
  let i = 0;
  while (i < unsigned.length - 1 && unsigned[i] === 0) i++;
  const b = unsigned.subarray(i);
  return sshString(b.length && b[0] & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
}

/** Reads the length-prefixed strings of an SSH key blob; null when the framing is broken. */
function sshFields(blob: Buffer): Buffer[] | null {
  const out: Buffer[] = [];
  let at = 0;
  while (at < blob.length) {
    if (at + 4 > blob.length) return null;
    const len = blob.readUInt32BE(at);
    at += 4;
    if (at + len > blob.length) return null;
    out.push(blob.subarray(at, at + len));
    at += len;
  }
  return out;
}

/** Unsigned magnitude of an SSH mpint; null for a negative one. */
function mpintValue(b: Buffer): Buffer | null {
  if (b.length && b[0] & 0x80) return null;
  return b.length ? b : Buffer.from([0]);
}

// ---------------------------------------------------------------------------------------------
// DER (X.690), just what SubjectPublicKeyInfo, the certificate and PKCS#12 need

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag: number, ...content: Buffer[]): Buffer => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
};
const seq = (...c: Buffer[]) => tlv(0x30, ...c);
const set = (...c: Buffer[]) => tlv(0x31, ...c);
const octets = (b: Buffer) => tlv(0x04, b);
const bitString = (b: Buffer) => tlv(0x03, Buffer.from([0]), b);
const derNull = Buffer.from([0x05, 0x00]);
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
/** `[n] EXPLICIT` (constructed, context-specific). */
const explicit = (n: number, ...c: Buffer[]) => tlv(0xa0 | n, ...c);

function derUint(unsigned: Buffer): Buffer {
  let i = 0;
  while (i < unsigned.length - 1 && unsigned[i] === 0) i++;
  const b = unsigned.subarray(i);
  return tlv(0x02, b[0] & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
}
function derInt(n: number): Buffer {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return derUint(Buffer.from(bytes.length ? bytes : [0]));
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const bytes: number[] = [parts[0] * 40 + parts[1]];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** UTCTime until 2049, GeneralizedTime after (RFC 5280 §4.1.2.5). */
function derTime(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return d.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`, 'latin1'))
    : tlv(0x18, Buffer.from(`${iso}Z`, 'latin1'));
}

// ---------------------------------------------------------------------------------------------
// SSH public keys

const CURVES: Record<string, string> = {
  nistp256: '1.2.840.10045.3.1.7',
  nistp384: '1.3.132.0.34',
  nistp521: '1.3.132.0.35',
};

/** The key an SSH key blob holds, loaded by node:crypto (which checks it); throws when it is no key. */
function loadSshKey(type: string, blob: Buffer): KeyObject {
  const f = sshFields(blob);
  if (!f || f[0].toString('latin1') !== type) throw new Error('Invalid data');
  let spki: Buffer;
  if (type === 'ssh-rsa' && f.length === 3) {
    const e = mpintValue(f[1]);
    const n = mpintValue(f[2]);
    if (!e || !n) throw new Error('Invalid data');
    spki = seq(seq(oid('1.2.840.113549.1.1.1'), derNull), bitString(seq(derUint(n), derUint(e))));
  } else if (type === 'ssh-ed25519' && f.length === 2 && f[1].length === 32) {
    spki = seq(seq(oid('1.3.101.112')), bitString(f[1]));
  } else if (type.startsWith('ecdsa-sha2-') && f.length === 3 && CURVES[f[1].toString('latin1')]) {
    if (type !== `ecdsa-sha2-${f[1].toString('latin1')}`) throw new Error('Invalid data');
    spki = seq(seq(oid('1.2.840.10045.2.1'), oid(CURVES[f[1].toString('latin1')])), bitString(f[2]));
  } else if (type === 'ssh-dss' && f.length === 5) {
    const [p, q, g, y] = f.slice(1).map(mpintValue);
    if (!p || !q || !g || !y) throw new Error('Invalid data');
    spki = seq(seq(oid('1.2.840.10040.4.1'), seq(derUint(p), derUint(q), derUint(g))), bitString(derUint(y)));
  } else {
    throw new Error('Invalid data');
  }
  return createPublicKey({ key: spki, format: 'der', type: 'spki' });
}

const colonHex = (digest: Buffer) => digest.toString('hex').replace(/(..)(?!$)/g, '$1:');

/**
 * Nova's generate_fingerprint: the key must load as an OpenSSH public key (`<type> <base64>
 * [comment]`; RSA, ECDSA, Ed25519 or DSA), then the fingerprint is the MD5 of the decoded blob of
 * the second space-separated field, as colon-separated hex.
 */
export function sshFingerprint(publicKey: string): string {
  try {
    const m = /^(\S+)[ \t]+(\S+)/.exec(publicKey);
    if (!m || !/^[A-Za-z0-9+/]*={0,2}$/.test(m[2]) || m[2].length % 4 !== 0) throw new Error('Invalid data');
    loadSshKey(m[1], Buffer.from(m[2], 'base64'));
    const field = publicKey.split(' ')[1];
    if (field === undefined) throw new Error('Invalid data');
    return colonHex(createHash('md5').update(Buffer.from(field, 'base64')).digest());
  } catch {
    throw invalidKeypair('failed to generate fingerprint');
  }
}

/** Nova's generate_x509_fingerprint: the SHA-1 of the certificate's DER, colon-separated lower-case hex. */
export function x509Fingerprint(pem: string): string {
  const framed = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(pem);
  const fail = (detail: string) => invalidKeypair(`failed to generate X509 fingerprint. Error message: ${detail}`);
  if (!framed)
    throw fail(
      'Unable to load PEM file. See https://cryptography.io/en/latest/faq/#why-can-t-i-import-my-pem-file for more details. MalformedFraming',
    );
  try {
    return new X509Certificate(framed[0]).fingerprint.toLowerCase();
  } catch {
    throw fail('error parsing asn1 value');
  }
}

/** The fingerprint of an imported key of `type` (KeypairAPI._generate_fingerprint). */
export function fingerprintOf(type: KeypairType, publicKey: string): string {
  return type === 'x509' ? x509Fingerprint(publicKey) : sshFingerprint(publicKey);
}

// ---------------------------------------------------------------------------------------------
// Generation

export interface GeneratedKeypair {
  privateKey: string;
  publicKey: string;
  fingerprint: string;
}

/** crypto.generate_key_pair: an RSA 2048 key; the public half as `ssh-rsa <blob> Generated-by-Nova`. */
export async function generateSshKeypair(bits = 2048): Promise<GeneratedKeypair> {
  const { publicKey, privateKey } = await rsaKeyPair(bits);
  const jwk = publicKey.export({ format: 'jwk' });
  const blob = Buffer.concat([
    sshString('ssh-rsa'),
    sshMpint(Buffer.from(jwk.e!, 'base64url')),
    sshMpint(Buffer.from(jwk.n!, 'base64url')),
  ]);
  const pub = `ssh-rsa ${blob.toString('base64')} Generated-by-Nova`;
  return {
    // paramiko's write_private_key: the traditional PKCS#1 "BEGIN RSA PRIVATE KEY" PEM.
    privateKey: privateKey.export({ format: 'pem', type: 'pkcs1' }).toString(),
    publicKey: pub,
    fingerprint: sshFingerprint(pub),
  };
}

/**
 * crypto.generate_winrm_x509_cert: a self-signed client certificate for `CN=<user_id>`, valid
 * 3650 days, with extendedKeyUsage clientAuth and the UPN `<user_id>@localhost` as a
 * subjectAltName otherName; the private key is returned as a base64 PKCS#12 (password '').
 */
export async function generateX509Keypair(userId: string, now: Date, bits = 2048): Promise<GeneratedKeypair> {
  const { publicKey, privateKey } = await rsaKeyPair(bits);
  const sha256WithRsa = seq(oid('1.2.840.113549.1.1.11'), derNull);
  const name = seq(set(seq(oid('2.5.4.3'), utf8(userId))));
  const serial = randomBytes(16);
  serial[0] &= 0x7f;
  const extensions = seq(
    seq(oid('2.5.29.37'), octets(seq(oid('1.3.6.1.5.5.7.3.2')))),
    seq(
      oid('2.5.29.17'),
      octets(seq(explicit(0, oid('1.3.6.1.4.1.311.20.2.3'), explicit(0, utf8(`${userId}@localhost`))))),
    ),
  );
  const tbs = seq(
    explicit(0, derInt(2)),
    derUint(serial),
    sha256WithRsa,
    name,
    seq(derTime(now), derTime(new Date(now.getTime() + 3650 * 86_400_000))),
    name,
    publicKey.export({ format: 'der', type: 'spki' }),
    explicit(3, extensions),
  );
  const cert = seq(tbs, sha256WithRsa, bitString(sign('sha256', tbs, privateKey)));
  const pem = `-----BEGIN CERTIFICATE-----\n${cert
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
  const p12 = pkcs12(cert, privateKey.export({ format: 'der', type: 'pkcs8' }));
  return { privateKey: p12.toString('base64'), publicKey: pem, fingerprint: x509Fingerprint(pem) };
}

/** RFC 7292 appendix B.2 key derivation, for the MAC key (id 3) with SHA-256 and the empty password. */
function pkcs12Kdf(salt: Buffer, iterations: number, id: number, n: number): Buffer {
  const v = 64;
  const u = 32;
  const fill = (b: Buffer) => (b.length ? Buffer.alloc(v * Math.ceil(b.length / v), b) : Buffer.alloc(0));
  const password = Buffer.alloc(2); // BMPString "" plus its two-byte terminator
  const I = Buffer.concat([fill(salt), fill(password)]);
  const D = Buffer.alloc(v, id);
  const out: Buffer[] = [];
  for (let i = 0; i < Math.ceil(n / u); i++) {
    let A = createHash('sha256').update(D).update(I).digest();
    for (let r = 1; r < iterations; r++) A = createHash('sha256').update(A).digest();
    out.push(A);
    const B = Buffer.alloc(v, A);
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const s = I[j + k] + B[k] + carry;
        I[j + k] = s & 0xff;
        carry = s >> 8;
      }
    }
  }
  return Buffer.concat(out).subarray(0, n);
}

/** A PFX holding the certificate and its (unencrypted) key bag, MAC'd with HMAC-SHA256 under ''. */
function pkcs12(certDer: Buffer, keyPkcs8: Buffer): Buffer {
  const data = '1.2.840.113549.1.7.1';
  const localKeyId = set(seq(oid('1.2.840.113549.1.9.21'), set(octets(createHash('sha1').update(certDer).digest()))));
  const certBag = seq(
    oid('1.2.840.113549.1.12.10.1.3'),
    explicit(0, seq(oid('1.2.840.113549.1.9.22.1'), explicit(0, octets(certDer)))),
    localKeyId,
  );
  const keyBag = seq(oid('1.2.840.113549.1.12.10.1.1'), explicit(0, keyPkcs8), localKeyId);
  const contentInfo = (safeContents: Buffer) => seq(oid(data), explicit(0, octets(safeContents)));
  const authSafe = seq(contentInfo(seq(certBag)), contentInfo(seq(keyBag)));
  const salt = randomBytes(8);
  const iterations = 2048;
  const mac = createHmac('sha256', pkcs12Kdf(salt, iterations, 3, 32))
    .update(authSafe)
    .digest();
  return seq(
    derInt(3),
    seq(oid(data), explicit(0, octets(authSafe))),
    seq(seq(seq(oid('2.16.840.1.101.3.4.2.1'), derNull), octets(mac)), octets(salt), derInt(iterations)),
  );
}
