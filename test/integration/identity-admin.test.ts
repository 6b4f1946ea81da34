// Keystone's admin API (keystone/api/{domains,projects,users,roles,role_assignments}.py) over real
// HTTP on SQLite and PostgreSQL: status codes, Keystone's fault bodies and the token consequences
// (a deleted or disabled user or project, a new password, a revoked role end the tokens).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCloud, type HttpResult, type Persona } from '../../src/testing/kit.js';
import { databaseTargets } from '../../src/testing/databases.js';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
};
function assertError(res: HttpResult, status: number, message: string) {
  assert.equal(res.status, status, res.text);
  assert.deepEqual(res.body, { error: { code: status, title: TITLES[status], message } });
}
const forbidden = (rule: string) => `You are not authorized to perform the requested action: ${rule}.`;
const AUTH = 'The request you have made requires authentication.';
const V3 = '/identity/v3';

for (const target of databaseTargets()) {
  describe(`Keystone admin API on ${target.name}`, () => {
    let cloud: TestCloud;
    let db: { url: string; drop(): Promise<void> };
    const roles = {} as Record<string, string>;
    const id = {} as Record<Persona, string>;
    const ks = (method: string, path: string, opts: { as?: Persona; body?: unknown; token?: string } = {}) =>
      cloud.request(method, `${V3}${path}`, { as: opts.token ? undefined : 'admin', ...opts });
    const login = (user: string, password: string, project?: string) =>
      cloud.request('POST', `${V3}/auth/tokens`, {
        body: {
          auth: {
            identity: {
              methods: ['password'],
              password: { user: { name: user, domain: { id: 'default' }, password } },
            },
            ...(project ? { scope: { project: { name: project, domain: { id: 'default' } } } } : {}),
          },
        },
      });
    const valid = async (token: string) => (await ks('GET', '/auth/projects', { token })).status === 200;

    before(async () => {
      db = await target.url();
      cloud = await TestCloud.start({ database: db.url });
      for (const r of (await ks('GET', '/roles')).body.roles) roles[r.name] = r.id;
      for (const p of ['admin', 'member', 'reader', 'other'] as Persona[]) {
        const res = await cloud.request('GET', `${V3}/auth/tokens`, {
          as: p,
          headers: { 'x-subject-token': cloud.tokens[p] },
        });
        id[p] = res.body.token.user.id;
      }
    });
    after(async () => {
      await cloud.close();
      await db.drop();
    });

    describe('domains', () => {
      test('list (admin) and show (a project user sees its own domain)', async () => {
        const list = await ks('GET', '/domains');
        assert.equal(list.status, 200);
        assert.deepEqual(
          list.body.domains.map((d: { id: string; name: string; enabled: boolean }) => [d.id, d.name, d.enabled]),
          [['default', 'Default', true]],
        );
        const show = await ks('GET', '/domains/default', { as: 'member' });
        assert.equal(show.status, 200, show.text);
        assert.equal(show.body.domain.name, 'Default');
        assert.match(show.body.domain.links.self, /\/identity\/v3\/domains\/default$/);
        assertError(await ks('GET', '/domains', { as: 'member' }), 403, forbidden('identity:list_domains'));
        assertError(await ks('GET', '/domains/nope'), 404, 'Could not find domain: nope.');
      });
      test('create, duplicate 409, update, delete only once disabled', async () => {
        const c = await ks('POST', '/domains', { body: { domain: { name: 'ci-dom', description: 'd' } } });
        assert.equal(c.status, 201, c.text);
        const did = c.body.domain.id;
        assertError(
          await ks('POST', '/domains', { body: { domain: { name: 'ci-dom' } } }),
          409,
          'Conflict occurred attempting to store project - it is not permitted to have two projects acting as domains with the same name: ci-dom.',
        );
        assertError(
          await ks('POST', '/domains', { as: 'member', body: { domain: { name: 'x' } } }),
          403,
          forbidden('identity:create_domain'),
        );
        assertError(
          await ks('DELETE', `/domains/${did}`),
          403,
          'Cannot delete a domain that is enabled, please disable it first.',
        );
        const u = await ks('PATCH', `/domains/${did}`, { body: { domain: { enabled: false } } });
        assert.equal(u.status, 200, u.text);
        assert.equal(u.body.domain.enabled, false);
        assert.equal((await ks('DELETE', `/domains/${did}`)).status, 204);
        assertError(await ks('DELETE', `/domains/${did}`), 404, `Could not find domain: ${did}.`);
      });
    });

    describe('projects', () => {
      let pid: string;
      test('create: 201 with Keystone fields; duplicate name 409; validation 400s; non-admin 403', async () => {
        const c = await ks('POST', '/projects', {
          body: { project: { name: 'ci-proj', description: 'a project', domain_id: 'default', colour: 'blue' } },
        });
        assert.equal(c.status, 201, c.text);
        pid = c.body.project.id;
        const { links, ...rest } = c.body.project;
        assert.deepEqual(rest, {
          id: pid,
          name: 'ci-proj',
          description: 'a project',
          domain_id: 'default',
          enabled: true,
          parent_id: 'default',
          is_domain: false,
          tags: [],
          options: {},
          colour: 'blue',
        });
        assert.match(links.self, new RegExp(`/identity/v3/projects/${pid}$`));
        const dup = await ks('POST', '/projects', { body: { project: { name: 'ci-proj' } } });
        assert.equal(dup.status, 409);
        assert.match(
          dup.body.error.message,
          /^Conflict occurred attempting to store project - it is not permitted to have two projects with either the same name or same id in the same domain: name is ci-proj, project id [0-9a-f]{32}\.$/,
        );
        assertError(await ks('POST', '/projects', { body: {} }), 400, "'name' is a required property");
        assertError(
          await ks('POST', '/projects', { body: { project: { name: 5 } } }),
          400,
          "Invalid input for field 'name': 5 is not of type 'string'",
        );
        assertError(
          await ks('POST', '/projects', { body: { project: { name: 'x'.repeat(65) } } }),
          400,
          `Invalid input for field 'name': '${'x'.repeat(65)}' is too long`,
        );
        assertError(
          await ks('POST', '/projects', { body: { project: { name: 'ok', enabled: 'yes' } } }),
          400,
          "Invalid input for field 'enabled': 'yes' is not of type 'boolean'",
        );
        assertError(
          await ks('POST', '/projects', { body: { project: { name: 'ok', domain_id: 'nope' } } }),
          404,
          'Could not find domain: nope.',
        );
        assertError(
          await ks('POST', '/projects', { body: { project: { name: 'ok', parent_id: 'nope' } } }),
          404,
          'Could not find project: nope.',
        );
        for (const p of ['member', 'reader', 'other'] as Persona[])
          assertError(
            await ks('POST', '/projects', { as: p, body: { project: { name: 'x' } } }),
            403,
            forbidden('identity:create_project'),
          );
        assertError(await ks('POST', '/projects', { token: 'bogus', body: { project: { name: 'x' } } }), 401, AUTH);
      });
      test('list with filters; show; non-admin sees its own project only', async () => {
        const byName = await ks('GET', '/projects?name=ci-proj');
        assert.deepEqual(
          byName.body.projects.map((p: { id: string }) => p.id),
          [pid],
        );
        const all = (await ks('GET', '/projects?domain_id=default')).body.projects.map((p: { name: string }) => p.name);
        for (const n of ['admin', 'demo', 'alt_demo', 'service', 'ci-proj']) assert.ok(all.includes(n), n);
        assert.deepEqual((await ks('GET', '/projects?domain_id=other')).body.projects, []);
        assert.deepEqual((await ks('GET', '/projects?enabled=false')).body.projects, []);
        assert.ok((await ks('GET', '/projects?parent_id=default')).body.projects.length >= 5);
        assert.equal((await ks('GET', `/projects/${pid}`)).body.project.name, 'ci-proj');
        assert.equal((await ks('GET', `/projects/${cloud.projects.member}`, { as: 'reader' })).status, 200);
        assertError(await ks('GET', `/projects/${pid}`, { as: 'member' }), 403, forbidden('identity:get_project'));
        assertError(await ks('GET', '/projects', { as: 'member' }), 403, forbidden('identity:list_projects'));
        assertError(await ks('GET', '/projects/nope'), 404, 'Could not find project: nope.');
      });
      test('update: name, description, enabled; 400 on an empty patch; parent_id and domain_id refused', async () => {
        const u = await ks('PATCH', `/projects/${pid}`, {
          body: { project: { name: 'ci-proj2', description: 'changed', enabled: false } },
        });
        assert.equal(u.status, 200, u.text);
        assert.deepEqual(
          [u.body.project.name, u.body.project.description, u.body.project.enabled],
          ['ci-proj2', 'changed', false],
        );
        assertError(
          await ks('PATCH', `/projects/${pid}`, { body: { project: {} } }),
          400,
          '{} does not have enough properties',
        );
        assertError(
          await ks('PATCH', `/projects/${pid}`, { body: { project: { parent_id: cloud.projects.member } } }),
          403,
          'Update of `parent_id` is not allowed.',
        );
        assertError(
          await ks('PATCH', `/projects/${pid}`, { body: { project: { domain_id: 'other' } } }),
          400,
          'Cannot change Domain ID',
        );
        assertError(
          await ks('PATCH', `/projects/${cloud.projects.member}`, { body: { project: { name: 'ci-proj2' } } }),
          409,
          `Conflict occurred attempting to store project - it is not permitted to have two projects with either the same name or same id in the same domain: name is ci-proj2, project id ${cloud.projects.member}.`,
        );
        assertError(
          await ks('PATCH', `/projects/${pid}`, { as: 'member', body: { project: { name: 'x' } } }),
          403,
          forbidden('identity:update_project'),
        );
        assertError(
          await ks('PATCH', '/projects/nope', { body: { project: { name: 'x' } } }),
          404,
          'Could not find project: nope.',
        );
      });
      test('delete: 204, then 404; a child keeps its parent', async () => {
        const parent = (await ks('POST', '/projects', { body: { project: { name: 'ci-parent' } } })).body.project;
        const child = await ks('POST', '/projects', { body: { project: { name: 'ci-child', parent_id: parent.id } } });
        assert.equal(child.status, 201, child.text);
        assert.equal(child.body.project.parent_id, parent.id);
        assert.deepEqual(
          (await ks('GET', `/projects?parent_id=${parent.id}`)).body.projects.map((p: { id: string }) => p.id),
          [child.body.project.id],
        );
        assertError(
          await ks('DELETE', `/projects/${parent.id}`),
          403,
          `Cannot delete the project ${parent.id} since it is not a leaf in the hierarchy. Use the cascade option if you want to delete a whole subtree.`,
        );
        assertError(
          await ks('DELETE', `/projects/${pid}`, { as: 'member' }),
          403,
          forbidden('identity:delete_project'),
        );
        for (const p of [child.body.project.id, parent.id, pid])
          assert.equal((await ks('DELETE', `/projects/${p}`)).status, 204);
        assertError(await ks('DELETE', `/projects/${pid}`), 404, `Could not find project: ${pid}.`);
      });
    });

    describe('users, roles and grants', () => {
      let proj: string;
      let uid: string;
      test('create a user: 201 without the password; 409 on a duplicate name; 400s; 403 for non-admins', async () => {
        proj = (await ks('POST', '/projects', { body: { project: { name: 'ci-team' } } })).body.project.id;
        const c = await ks('POST', '/users', {
          body: { user: { name: 'ci-alice', password: 'pw1', email: 'a@example.org', default_project_id: proj } },
        });
        assert.equal(c.status, 201, c.text);
        uid = c.body.user.id;
        const { links, ...rest } = c.body.user;
        assert.deepEqual(rest, {
          id: uid,
          name: 'ci-alice',
          domain_id: 'default',
          enabled: true,
          default_project_id: proj,
          email: 'a@example.org',
          password_expires_at: null,
          options: {},
        });
        assert.match(links.self, /\/identity\/v3\/users\/[0-9a-f]{32}$/);
        assertError(
          await ks('POST', '/users', { body: { user: { name: 'ci-alice' } } }),
          409,
          'Conflict occurred attempting to store user - Duplicate entry found with name ci-alice at domain ID default.',
        );
        assertError(await ks('POST', '/users', { body: { user: {} } }), 400, "'name' is a required property");
        assertError(
          await ks('POST', '/users', { body: { user: { name: 'x', password: 1 } } }),
          400,
          "Invalid input for field 'password': 1 is not of type 'string', 'null'",
        );
        assertError(
          await ks('POST', '/users', { body: { user: { name: 'x', default_project_id: 'nope' } } }),
          404,
          'Could not find project: nope.',
        );
        assertError(
          await ks('POST', '/users', { as: 'member', body: { user: { name: 'x' } } }),
          403,
          forbidden('identity:create_user'),
        );
      });
      test('list, show (a user sees itself), filters', async () => {
        assert.deepEqual(
          (await ks('GET', '/users?name=ci-alice')).body.users.map((u: { id: string }) => u.id),
          [uid],
        );
        assert.ok((await ks('GET', '/users?domain_id=default')).body.users.length >= 5);
        assert.equal((await ks('GET', `/users/${id.member}`, { as: 'member' })).status, 200);
        assertError(await ks('GET', `/users/${uid}`, { as: 'member' }), 403, forbidden('identity:get_user'));
        assertError(await ks('GET', '/users', { as: 'reader' }), 403, forbidden('identity:list_users'));
        assertError(await ks('GET', '/users/nope'), 404, 'Could not find user: nope.');
      });
      test('roles: list and show for admins only', async () => {
        assert.deepEqual(Object.keys(roles).sort(), ['admin', 'member', 'reader']);
        const show = await ks('GET', `/roles/${roles.member}`);
        assert.equal(show.status, 200);
        assert.equal(show.body.role.name, 'member');
        assertError(await ks('GET', '/roles', { as: 'member' }), 403, forbidden('identity:list_roles'));
        assertError(await ks('GET', '/roles/nope'), 404, 'Could not find role: nope.');
      });
      test('roles: create 201, duplicate 409, 400, 403; delete 204 then 404', async () => {
        const c = await ks('POST', '/roles', { body: { role: { name: 'ci-role' } } });
        assert.equal(c.status, 201, c.text);
        assert.equal(c.body.role.name, 'ci-role');
        assertError(
          await ks('POST', '/roles', { body: { role: { name: 'ci-role' } } }),
          409,
          'Conflict occurred attempting to store role - Duplicate entry found with name ci-role.',
        );
        assertError(await ks('POST', '/roles', { body: { role: {} } }), 400, "'name' is a required property");
        assertError(
          await ks('POST', '/roles', { as: 'member', body: { role: { name: 'x' } } }),
          403,
          forbidden('identity:create_role'),
        );
        assertError(
          await ks('DELETE', `/roles/${c.body.role.id}`, { as: 'member' }),
          403,
          forbidden('identity:delete_role'),
        );
        assert.equal((await ks('DELETE', `/roles/${c.body.role.id}`)).status, 204);
        assertError(await ks('DELETE', `/roles/${c.body.role.id}`), 404, `Could not find role: ${c.body.role.id}.`);
      });
      test('project tags: stored and shown; a bad tag is 400', async () => {
        const c = await ks('POST', '/projects', { body: { project: { name: 'ci-tagged', tags: ['a', 'b'] } } });
        assert.equal(c.status, 201, c.text);
        assert.deepEqual((await ks('GET', `/projects/${c.body.project.id}`)).body.project.tags, ['a', 'b']);
        assertError(
          await ks('POST', '/projects', { body: { project: { name: 'ci-tagged2', tags: ['a/b'] } } }),
          400,
          "Invalid input for field 'tags/0': 'a/b' does not match '^[^,/]*$'",
        );
        assert.equal((await ks('DELETE', `/projects/${c.body.project.id}`)).status, 204);
      });
      test('grant: PUT 204 (twice), HEAD 204, list; the user logs in; role_assignments with names', async () => {
        const path = `/projects/${proj}/users/${uid}/roles/${roles.member}`;
        assert.equal((await ks('HEAD', path)).status, 404); // HEAD: no body
        assert.equal((await ks('PUT', path)).status, 204);
        assert.equal((await ks('PUT', path)).status, 204);
        assert.equal((await ks('HEAD', path)).status, 204);
        const list = await ks('GET', `/projects/${proj}/users/${uid}/roles`);
        assert.deepEqual(
          list.body.roles.map((r: { name: string }) => r.name),
          ['member'],
        );
        const ra = await ks('GET', `/role_assignments?scope.project.id=${proj}&include_names`);
        assert.deepEqual(ra.body.role_assignments, [
          {
            role: { id: roles.member, name: 'member' },
            user: { id: uid, name: 'ci-alice', domain: { id: 'default', name: 'Default' } },
            scope: { project: { id: proj, name: 'ci-team', domain: { id: 'default', name: 'Default' } } },
            links: { assignment: `${cloud.url}${V3}${path}` },
          },
        ]);
        const plain = await ks('GET', `/role_assignments?user.id=${uid}&role.id=${roles.member}`);
        assert.deepEqual(plain.body.role_assignments[0].user, { id: uid });
        assert.deepEqual((await ks('GET', `/role_assignments?group.id=x`)).body.role_assignments, []);
        assertError(
          await ks('GET', '/role_assignments', { as: 'member' }),
          403,
          forbidden('identity:list_role_assignments'),
        );
        const tok = await login('ci-alice', 'pw1', 'ci-team');
        assert.equal(tok.status, 201, tok.text);
        const t = tok.headers.get('x-subject-token')!;
        const mine = await ks('GET', `/users/${uid}/projects`, { token: t });
        assert.deepEqual(
          mine.body.projects.map((p: { id: string }) => p.id),
          [proj],
        );
        const authProjects = await ks('GET', '/auth/projects', { token: t });
        assert.deepEqual(
          authProjects.body.projects.map((p: { id: string }) => p.id),
          [proj],
        );
        assertError(
          await ks('GET', `/users/${id.admin}/projects`, { token: t }),
          403,
          forbidden('identity:list_user_projects'),
        );
        assertError(await ks('PUT', path, { as: 'member' }), 403, forbidden('identity:create_grant'));
        assertError(
          await ks('PUT', `/projects/nope/users/${uid}/roles/${roles.member}`),
          404,
          'Could not find project: nope.',
        );
        assertError(
          await ks('PUT', `/projects/${proj}/users/nope/roles/${roles.member}`),
          404,
          'Could not find user: nope.',
        );
        assertError(await ks('PUT', `/projects/${proj}/users/${uid}/roles/nope`), 404, 'Could not find role: nope.');
      });
      test('the new user creates a server in its new project', async () => {
        const t = (await login('ci-alice', 'pw1', 'ci-team')).headers.get('x-subject-token')!;
        const image = (await cloud.request('GET', '/image/v2/images', { token: t })).body.images[0].id;
        const res = await cloud.request('POST', '/v2.1/servers', {
          token: t,
          body: { server: { name: 'ci-vm', imageRef: image, flavorRef: '1', networks: 'auto' } },
        });
        assert.equal(res.status, 202, res.text);
        const show = await cloud.request('GET', `/v2.1/servers/${res.body.server.id}`, { token: t });
        assert.equal(show.body.server.tenant_id, proj);
        assert.equal((await cloud.request('DELETE', `/v2.1/servers/${res.body.server.id}`, { token: t })).status, 204);
      });
      test('revoking the role ends its tokens on the project; DELETE twice is 404', async () => {
        const t = (await login('ci-alice', 'pw1', 'ci-team')).headers.get('x-subject-token')!;
        assert.equal(await valid(t), true);
        const path = `/projects/${proj}/users/${uid}/roles/${roles.member}`;
        assertError(await ks('DELETE', path, { as: 'member' }), 403, forbidden('identity:revoke_grant'));
        assert.equal((await ks('DELETE', path)).status, 204);
        assert.equal(await valid(t), false);
        assertError(
          await ks('DELETE', path),
          404,
          `Could not find role assignment with role: ${roles.member}, user or group: ${uid}, project, domain, or system: ${proj}.`,
        );
        assertError(await login('ci-alice', 'pw1', 'ci-team'), 401, `User ${uid} has no access to project ${proj}.`);
        assert.equal((await ks('PUT', path)).status, 204);
      });
      test('deleting a role ends the tokens that carry it (found in review: they kept validating)', async () => {
        const role = (await ks('POST', '/roles', { body: { role: { name: 'ci-doomed' } } })).body.role.id as string;
        assert.equal((await ks('PUT', `/projects/${proj}/users/${uid}/roles/${role}`)).status, 204);
        const t = (await login('ci-alice', 'pw1', 'ci-team')).headers.get('x-subject-token')!;
        assert.equal(await valid(t), true);
        assert.equal((await ks('DELETE', `/roles/${role}`)).status, 204);
        assert.equal(await valid(t), false);
        // The user still holds member there: a new login works and does not carry the role.
        const again = await login('ci-alice', 'pw1', 'ci-team');
        assert.equal(again.status, 201);
        assert.ok(!JSON.stringify(again.body.token.roles).includes('ci-doomed'));
      });
      test('a disabled or deleted project ends the tokens scoped to it', async () => {
        const t = (await login('ci-alice', 'pw1', 'ci-team')).headers.get('x-subject-token')!;
        assert.equal((await ks('PATCH', `/projects/${proj}`, { body: { project: { enabled: false } } })).status, 200);
        assert.equal(await valid(t), false);
        assertError(await login('ci-alice', 'pw1', 'ci-team'), 401, AUTH);
        assert.equal((await ks('PATCH', `/projects/${proj}`, { body: { project: { enabled: true } } })).status, 200);
        const t2 = (await login('ci-alice', 'pw1', 'ci-team')).headers.get('x-subject-token')!;
        const p2 = (await ks('POST', '/projects', { body: { project: { name: 'ci-gone' } } })).body.project.id;
        assert.equal((await ks('PUT', `/projects/${p2}/users/${uid}/roles/${roles.reader}`)).status, 204);
        const t3 = (await login('ci-alice', 'pw1', 'ci-gone')).headers.get('x-subject-token')!;
        assert.equal((await ks('DELETE', `/projects/${p2}`)).status, 204);
        assert.equal(await valid(t3), false);
        assert.equal(await valid(t2), true);
      });
      test('update: a new password ends the old tokens; disabling ends them; 400/403/404', async () => {
        const t = (await login('ci-alice', 'pw1', 'ci-team')).headers.get('x-subject-token')!;
        const u = await ks('PATCH', `/users/${uid}`, { body: { user: { password: 'pw2', email: 'b@example.org' } } });
        assert.equal(u.status, 200, u.text);
        assert.equal(u.body.user.email, 'b@example.org');
        assert.equal(await valid(t), false);
        assertError(await login('ci-alice', 'pw1', 'ci-team'), 401, AUTH);
        const t2 = (await login('ci-alice', 'pw2', 'ci-team')).headers.get('x-subject-token')!;
        assert.equal((await ks('PATCH', `/users/${uid}`, { body: { user: { enabled: false } } })).status, 200);
        assert.equal(await valid(t2), false);
        assert.equal((await ks('PATCH', `/users/${uid}`, { body: { user: { enabled: true } } })).status, 200);
        assertError(
          await ks('PATCH', `/users/${uid}`, { body: { user: {} } }),
          400,
          '{} does not have enough properties',
        );
        assertError(
          await ks('PATCH', `/users/${id.member}`, { body: { user: { name: 'ci-alice' } } }),
          409,
          'Conflict occurred attempting to store user - Duplicate entry found with name ci-alice at domain ID default.',
        );
        assertError(
          await ks('PATCH', `/users/${uid}`, { as: 'member', body: { user: { name: 'x' } } }),
          403,
          forbidden('identity:update_user'),
        );
        assertError(
          await ks('PATCH', '/users/nope', { body: { user: { name: 'x' } } }),
          404,
          'Could not find user: nope.',
        );
      });
      test('POST /users/{id}/password: self-service without a token; a wrong original password is 401', async () => {
        const t = (await login('ci-alice', 'pw2', 'ci-team')).headers.get('x-subject-token')!;
        const change = (body: unknown, userId = uid) =>
          cloud.request('POST', `${V3}/users/${userId}/password`, { body });
        assertError(await change({ user: { original_password: 'wrong', password: 'pw3' } }), 401, AUTH);
        assertError(await change({ user: { original_password: 'x', password: 'y' } }, 'nope'), 401, AUTH);
        assertError(await change({ user: { password: 'pw3' } }), 400, "'original_password' is a required property");
        assertError(
          await change({ user: { original_password: 'pw2', password: 'pw3', x: 1 } }),
          400,
          "Additional properties are not allowed ('x' was unexpected)",
        );
        const ok = await change({ user: { original_password: 'pw2', password: 'pw3' } });
        assert.equal(ok.status, 204, ok.text);
        assert.equal(await valid(t), false);
        assert.equal((await login('ci-alice', 'pw3', 'ci-team')).status, 201);
      });
      test('delete: the tokens of a deleted user stop validating; 404 after', async () => {
        const t = (await login('ci-alice', 'pw3', 'ci-team')).headers.get('x-subject-token')!;
        assertError(await ks('DELETE', `/users/${uid}`, { as: 'member' }), 403, forbidden('identity:delete_user'));
        assert.equal((await ks('DELETE', `/users/${uid}`)).status, 204);
        assert.equal(await valid(t), false);
        assertError(await ks('DELETE', `/users/${uid}`), 404, `Could not find user: ${uid}.`);
        assert.deepEqual((await ks('GET', `/role_assignments?user.id=${uid}`)).body.role_assignments, []);
      });
      test('405 with Allow for other methods', async () => {
        const res = await ks('PUT', '/projects');
        assert.equal(res.status, 405);
        assert.equal(res.headers.get('allow'), 'GET, HEAD, POST');
      });
    });
  });
}
