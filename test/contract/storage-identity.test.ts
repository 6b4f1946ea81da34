// Storage contract: domains, users, projects, roles and tokens, the same on every dialect.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as identity from '../../src/db/repositories/identity.repository.js';
import { T, assertUniqueViolation, storageSuite } from '../../src/testing/storage.js';
import type { TokensTable } from '../../src/db/schema.js';

const token = (hash: string, over: Partial<TokensTable> = {}): TokensTable => ({
  token_hash: hash,
  user_id: 'ci-u1',
  project_id: 'ci-p1',
  roles: '["member"]',
  issued_at: T(0),
  expires_at: T(3600),
  revoked: 0,
  password_generation: 0,
  ...over,
});

storageSuite('identity storage', (s) => {
  before(async () => {
    const db = s.database.db;
    await db
      .insertInto('domains')
      .values([
        { id: 'ci-d1', name: 'ci-Default' },
        { id: 'ci-d2', name: 'ci-Other' },
      ])
      .execute();
    const user = (id: string, name: string, domain_id: string) => ({
      id,
      name,
      domain_id,
      password_hash: `hash-${id}`,
      default_project_id: null,
      enabled: 1,
    });
    // The same user and project names in two domains: names are unique within a domain only.
    await db
      .insertInto('users')
      .values([user('ci-u1', 'alice', 'ci-d1'), user('ci-u2', 'alice', 'ci-d2'), user('ci-u3', 'bob', 'ci-d1')])
      .execute();
    const project = (id: string, name: string, domain_id: string) => ({
      id,
      name,
      domain_id,
      description: '',
      enabled: 1,
    });
    await db
      .insertInto('projects')
      .values([project('ci-p1', 'web', 'ci-d1'), project('ci-p2', 'web', 'ci-d2')])
      .execute();
    await db
      .insertInto('roles')
      .values([
        { id: 'ci-r1', name: 'ci-member' },
        { id: 'ci-r2', name: 'ci-reader' },
        { id: 'ci-r3', name: 'ci-admin' },
      ])
      .execute();
    await db
      .insertInto('role_assignments')
      .values([
        { user_id: 'ci-u1', project_id: 'ci-p1', role_id: 'ci-r1' },
        { user_id: 'ci-u1', project_id: 'ci-p1', role_id: 'ci-r2' },
        { user_id: 'ci-u1', project_id: 'ci-p2', role_id: 'ci-r3' },
      ])
      .execute();
  });

  test('findDomain: by id or by name (exact, case-sensitive); neither is no domain', async () => {
    const db = s.database.db;
    assert.deepEqual(await identity.findDomain(db, { id: 'ci-d2' }), { id: 'ci-d2', name: 'ci-Other' });
    assert.equal((await identity.findDomain(db, { name: 'ci-Default' }))?.id, 'ci-d1');
    assert.equal(await identity.findDomain(db, { name: 'ci-default' }), undefined);
    assert.equal(await identity.findDomain(db, { id: 'ci-d1', name: 'ci-Other' }).then((d) => d?.id), 'ci-d1');
    assert.equal(await identity.findDomain(db, {}), undefined);
  });

  test('findUser / findProject: by id, or by name within a domain; a name alone is no match', async () => {
    const db = s.database.db;
    assert.equal((await identity.findUser(db, { name: 'alice', domainId: 'ci-d2' }))?.id, 'ci-u2');
    assert.equal((await identity.findUser(db, { name: 'alice', domainId: 'ci-d1' }))?.id, 'ci-u1');
    assert.equal(await identity.findUser(db, { name: 'alice' }), undefined);
    assert.equal(await identity.findUser(db, { name: 'Alice', domainId: 'ci-d1' }), undefined);
    const u3 = await identity.findUser(db, { id: 'ci-u3' });
    assert.deepEqual(
      { ...u3 },
      {
        id: 'ci-u3',
        name: 'bob',
        domain_id: 'ci-d1',
        password_hash: 'hash-ci-u3',
        default_project_id: null,
        enabled: 1,
        password_generation: 0,
      },
    );
    assert.equal((await identity.findProject(db, { name: 'web', domainId: 'ci-d2' }))?.id, 'ci-p2');
    assert.equal((await identity.findProject(db, { id: 'ci-p1' }))?.name, 'web');
    assert.equal(await identity.findProject(db, { name: 'web' }), undefined);
    assert.equal(await identity.findProject(db, {}), undefined);
  });

  test('the unique keys: a user or project name twice in a domain, a domain name twice', async () => {
    const db = s.database.db;
    await assertUniqueViolation(
      db
        .insertInto('users')
        .values({
          id: 'ci-u9',
          name: 'alice',
          domain_id: 'ci-d1',
          password_hash: 'x',
          default_project_id: null,
          enabled: 1,
        })
        .execute(),
    );
    await assertUniqueViolation(
      db
        .insertInto('projects')
        .values({ id: 'ci-p9', name: 'web', domain_id: 'ci-d1', description: '', enabled: 1 })
        .execute(),
    );
    await assertUniqueViolation(db.insertInto('domains').values({ id: 'ci-d9', name: 'ci-Default' }).execute());
  });

  test('roleNamesFor: the roles of a user on one project; allRoles lists every role', async () => {
    const db = s.database.db;
    assert.deepEqual((await identity.roleNamesFor(db, 'ci-u1', 'ci-p1')).sort(), ['ci-member', 'ci-reader']);
    assert.deepEqual(await identity.roleNamesFor(db, 'ci-u1', 'ci-p2'), ['ci-admin']);
    assert.deepEqual(await identity.roleNamesFor(db, 'ci-u3', 'ci-p1'), []);
    const all = (await identity.allRoles(db)).filter((r) => r.id.startsWith('ci-'));
    assert.deepEqual(
      all.sort((a, b) => a.id.localeCompare(b.id)),
      [
        { id: 'ci-r1', name: 'ci-member' },
        { id: 'ci-r2', name: 'ci-reader' },
        { id: 'ci-r3', name: 'ci-admin' },
      ],
    );
  });

  test("insertToken / findToken: the token with its user's current password generation and enabled flag; a duplicate hash is a unique violation", async () => {
    const db = s.database.db;
    await identity.insertToken(db, token('ci-t1'));
    assert.deepEqual(
      { ...(await identity.findToken(db, 'ci-t1')) },
      { ...token('ci-t1'), user_password_generation: 0, user_enabled: 1 },
    );
    await assertUniqueViolation(identity.insertToken(db, token('ci-t1')));
    assert.equal(await identity.findToken(db, 'ci-none'), undefined);
    await identity.insertToken(db, token('ci-t-orphan', { user_id: 'ci-gone' }));
    assert.equal(await identity.findToken(db, 'ci-t-orphan'), undefined, 'a token whose user is gone is not found');
  });

  test('setUserPassword: new hash and the next generation, in one write; other users untouched', async () => {
    const db = s.database.db;
    await identity.insertToken(db, token('ci-t2', { user_id: 'ci-u3' }));
    await identity.setUserPassword(db, 'ci-u3', 'new-hash');
    await identity.setUserPassword(db, 'ci-u3', 'newer-hash');
    const u3 = await identity.findUser(db, { id: 'ci-u3' });
    assert.deepEqual({ hash: u3?.password_hash, gen: u3?.password_generation }, { hash: 'newer-hash', gen: 2 });
    assert.equal((await identity.findUser(db, { id: 'ci-u2' }))?.password_generation, 0);
    const t = await identity.findToken(db, 'ci-t2');
    assert.deepEqual(
      { issued: t?.password_generation, now: t?.user_password_generation },
      { issued: 0, now: 2 },
      'the token shows it was issued under an older generation',
    );
    // A new salt for the same password keeps the generation: tokens issued before stay valid.
    await identity.resaltUserPassword(db, 'ci-u3', 'resalted-hash');
    const resalted = await identity.findUser(db, { id: 'ci-u3' });
    assert.deepEqual(
      { hash: resalted?.password_hash, gen: resalted?.password_generation },
      { hash: 'resalted-hash', gen: 2 },
    );
    // Concurrent changes each move the generation on: none is lost.
    await Promise.all(Array.from({ length: 5 }, (_, i) => identity.setUserPassword(db, 'ci-u3', `h${i}`)));
    assert.equal((await identity.findUser(db, { id: 'ci-u3' }))?.password_generation, 7);
  });

  test('revokeToken: 1 the first time, 0 after (compare-and-set), 0 for an unknown token', async () => {
    const db = s.database.db;
    await identity.insertToken(db, token('ci-t3'));
    const results = await Promise.all(Array.from({ length: 5 }, () => identity.revokeToken(db, 'ci-t3')));
    assert.deepEqual(results.sort(), [0, 0, 0, 0, 1]);
    assert.equal((await identity.findToken(db, 'ci-t3'))?.revoked, 1);
    assert.equal(await identity.revokeToken(db, 'ci-none'), 0);
  });

  test('ping: answers on a live database', async () => {
    await identity.ping(s.database.db);
  });
});
