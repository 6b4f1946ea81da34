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
    assert.deepEqual(
      { ...(await identity.findDomain(db, { id: 'ci-d2' })) },
      { id: 'ci-d2', name: 'ci-Other', description: '', enabled: 1 },
    );
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
        extra: '{}',
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
      { ...token('ci-t1'), user_password_generation: 0, user_enabled: 1, domain_enabled: 1, project_enabled: 1 },
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

  test('findToken: the project a token is scoped to, enabled or gone (null); an unscoped token has none', async () => {
    const db = s.database.db;
    await identity.insertToken(db, token('ci-t-gone', { project_id: 'ci-p-none' }));
    assert.equal((await identity.findToken(db, 'ci-t-gone'))?.project_enabled, null);
    await identity.insertToken(db, token('ci-t-unscoped', { project_id: '' }));
    assert.equal((await identity.findToken(db, 'ci-t-unscoped'))?.project_enabled, null);
  });

  test('domains: insert, list with filters, update, in use, delete', async () => {
    const db = s.database.db;
    await identity.insertDomain(db, { id: 'ci-a-d', name: 'ci-admin-dom', description: 'x', enabled: 0 });
    assert.deepEqual(
      (await identity.listDomains(db, { name: 'ci-admin-dom' })).map((d) => ({ ...d })),
      [{ id: 'ci-a-d', name: 'ci-admin-dom', description: 'x', enabled: 0 }],
    );
    assert.ok((await identity.listDomains(db, { enabled: false })).some((d) => d.id === 'ci-a-d'));
    assert.ok(!(await identity.listDomains(db, { enabled: true })).some((d) => d.id === 'ci-a-d'));
    assert.ok((await identity.listDomains(db)).length >= 3);
    assert.equal(await identity.updateDomain(db, 'ci-a-d', { description: 'y', enabled: 1 }), 1);
    assert.equal(await identity.updateDomain(db, 'ci-none', { description: 'y' }), 0);
    assert.equal((await identity.findDomain(db, { id: 'ci-a-d' }))?.description, 'y');
    await assertUniqueViolation(identity.insertDomain(db, { id: 'ci-a-d2', name: 'ci-admin-dom' }));
    assert.equal(await identity.domainInUse(db, 'ci-d1'), true);
    assert.equal(await identity.domainInUse(db, 'ci-a-d'), false);
    assert.equal(await identity.deleteDomain(db, 'ci-a-d'), 1);
    assert.equal(await identity.deleteDomain(db, 'ci-a-d'), 0);
  });

  test('projects: insert, list (name, domain, enabled, parent, user), update, children, delete with its assignments', async () => {
    const db = s.database.db;
    await identity.insertProject(db, {
      id: 'ci-a-p1',
      name: 'ci-top',
      domain_id: 'ci-d1',
      description: '',
      enabled: 1,
    });
    await identity.insertProject(db, {
      id: 'ci-a-p2',
      name: 'ci-kid',
      domain_id: 'ci-d1',
      description: 'k',
      enabled: 0,
      parent_id: 'ci-a-p1',
      extra: '{"a":1}',
    });
    const ids = async (f: identity.ProjectFilter) => (await identity.listProjects(db, f)).map((p) => p.id);
    assert.deepEqual(await ids({ name: 'ci-kid' }), ['ci-a-p2']);
    assert.deepEqual(await ids({ parentId: 'ci-a-p1' }), ['ci-a-p2']);
    assert.ok((await ids({ parentId: null, domainId: 'ci-d1' })).includes('ci-a-p1'));
    assert.ok(!(await ids({ parentId: null })).includes('ci-a-p2'));
    assert.deepEqual(await ids({ domainId: 'ci-d1', enabled: false }), ['ci-a-p2']);
    assert.deepEqual(await ids({ domainId: 'ci-d2' }), ['ci-p2']);
    assert.deepEqual(await ids({ userId: 'ci-u1' }), ['ci-p1', 'ci-p2']);
    assert.deepEqual(await ids({ userId: 'ci-u1', domainId: 'ci-d2' }), ['ci-p2']);
    assert.equal((await identity.findProject(db, { id: 'ci-a-p2' }))?.extra, '{"a":1}');
    await assertUniqueViolation(
      identity.insertProject(db, { id: 'ci-a-p3', name: 'ci-top', domain_id: 'ci-d1', description: '', enabled: 1 }),
    );
    assert.equal(await identity.updateProject(db, 'ci-a-p2', { name: 'ci-kid2', enabled: 1 }), 1);
    assert.equal(await identity.updateProject(db, 'ci-none', { name: 'x' }), 0);
    assert.equal(await identity.hasChildProjects(db, 'ci-a-p1'), true);
    assert.equal(await identity.hasChildProjects(db, 'ci-a-p2'), false);
    await identity.grantRole(db, { userId: 'ci-u3', projectId: 'ci-a-p2', roleId: 'ci-r1' });
    assert.equal(await identity.deleteProject(db, 'ci-a-p2'), 1);
    assert.deepEqual(await identity.listAssignments(db, { projectId: 'ci-a-p2' }), []);
    assert.equal(await identity.deleteProject(db, 'ci-a-p2'), 0);
    assert.equal(await identity.deleteProject(db, 'ci-a-p1'), 1);
  });

  test('users: insert, list with filters, update, delete with its assignments and tokens', async () => {
    const db = s.database.db;
    await identity.insertUser(db, {
      id: 'ci-a-u1',
      name: 'ci-carol',
      domain_id: 'ci-d2',
      password_hash: 'h',
      default_project_id: null,
      enabled: 0,
      extra: '{"email":"c@example.org"}',
    });
    assert.deepEqual(
      (await identity.listUsers(db, { name: 'ci-carol', domainId: 'ci-d2' })).map((u) => u.id),
      ['ci-a-u1'],
    );
    assert.deepEqual(
      (await identity.listUsers(db, { domainId: 'ci-d2', enabled: false })).map((u) => u.id),
      ['ci-a-u1'],
    );
    assert.ok((await identity.listUsers(db)).length >= 4);
    assert.equal(await identity.updateUser(db, 'ci-a-u1', { enabled: 1, extra: '{}' }), 1);
    assert.equal(await identity.updateUser(db, 'ci-none', { enabled: 1 }), 0);
    await assertUniqueViolation(identity.updateUser(db, 'ci-a-u1', { name: 'alice' }));
    await identity.grantRole(db, { userId: 'ci-a-u1', projectId: 'ci-p2', roleId: 'ci-r2' });
    await identity.insertToken(db, token('ci-t-carol', { user_id: 'ci-a-u1' }));
    assert.equal(await identity.deleteUser(db, 'ci-a-u1'), 1);
    assert.equal(await identity.findToken(db, 'ci-t-carol'), undefined);
    assert.deepEqual(await identity.listAssignments(db, { userId: 'ci-a-u1' }), []);
    assert.equal(await identity.deleteUser(db, 'ci-a-u1'), 0);
  });

  test('roles and grants: findRole, grant twice is one, list with names, revoke, revokeProjectTokensOf', async () => {
    const db = s.database.db;
    assert.equal((await identity.findRole(db, { id: 'ci-r1' }))?.name, 'ci-member');
    assert.equal((await identity.findRole(db, { name: 'ci-reader' }))?.id, 'ci-r2');
    assert.equal(await identity.findRole(db, {}), undefined);
    const a = { userId: 'ci-u3', projectId: 'ci-p1', roleId: 'ci-r2' };
    await identity.grantRole(db, a);
    await identity.grantRole(db, a);
    assert.deepEqual(
      (await identity.listAssignments(db, { userId: 'ci-u3' })).map((r) => ({ ...r })),
      [
        {
          user_id: 'ci-u3',
          project_id: 'ci-p1',
          role_id: 'ci-r2',
          user_name: 'bob',
          user_domain_id: 'ci-d1',
          project_name: 'web',
          project_domain_id: 'ci-d1',
          role_name: 'ci-reader',
        },
      ],
    );
    assert.equal((await identity.listAssignments(db, { projectId: 'ci-p1', roleId: 'ci-r2' })).length, 2);
    assert.ok((await identity.listAssignments(db)).length >= 4);
    await identity.insertToken(db, token('ci-t-bob', { user_id: 'ci-u3', project_id: 'ci-p1' }));
    await identity.insertToken(db, token('ci-t-bob2', { user_id: 'ci-u3', project_id: 'ci-p2' }));
    assert.equal(await identity.revokeRole(db, a), 1);
    assert.equal(await identity.revokeRole(db, a), 0);
    // ci-t2 (an earlier case's, also on ci-p1) and ci-t-bob.
    assert.equal(await identity.revokeProjectTokensOf(db, 'ci-u3', 'ci-p1'), 2);
    assert.equal(await identity.revokeProjectTokensOf(db, 'ci-u3', 'ci-p1'), 0);
    assert.equal((await identity.findToken(db, 'ci-t-bob2'))?.revoked, 0);
  });

  test('insertRole / deleteRole: a duplicate name is a unique violation; delete takes the assignments', async () => {
    const db = s.database.db;
    await identity.insertRole(db, { id: 'ci-a-r', name: 'ci-extra' });
    await assertUniqueViolation(identity.insertRole(db, { id: 'ci-a-r2', name: 'ci-extra' }));
    await identity.grantRole(db, { userId: 'ci-u2', projectId: 'ci-p2', roleId: 'ci-a-r' });
    assert.equal(await identity.deleteRole(db, 'ci-a-r'), 1);
    assert.deepEqual(await identity.listAssignments(db, { roleId: 'ci-a-r' }), []);
    assert.equal(await identity.deleteRole(db, 'ci-a-r'), 0);
  });

  test('ping: answers on a live database', async () => {
    await identity.ping(s.database.db);
  });
});
