import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Clock, Ids } from '../domain/clock.js';
import { iso } from '../domain/clock.js';
import { hashPassword, verifyPassword } from '../services/identity/passwords.js';
import { resaltUserPassword, setUserPassword } from '../db/repositories/identity.repository.js';

const hex = (ids: Ids) => ids.uuid().replace(/-/g, '');

/** Nova's classic flavor sizes (ram MB, disk GB). */
const DEMO_FLAVORS = [
  { id: '1', name: 'm1.tiny', vcpus: 1, ram: 512, disk: 1 },
  { id: '2', name: 'm1.small', vcpus: 1, ram: 2048, disk: 20 },
  { id: '3', name: 'm1.medium', vcpus: 2, ram: 4096, disk: 40 },
  { id: '4', name: 'm1.large', vcpus: 4, ram: 8192, disk: 80 },
  { id: '5', name: 'm1.xlarge', vcpus: 8, ram: 16384, disk: 160 },
];

export const DEMO_IMAGE_NAME = 'cirros-0.6.2-x86_64-disk';

/** Seeds the demo cloud (the users and projects README.md lists) once (a no-op when the Default domain exists). */
export async function seedDemoCloud(
  db: Kysely<Database>,
  opts: { password: string; clock: Clock; ids: Ids },
): Promise<boolean> {
  const existing = await db.selectFrom('domains').select('id').where('id', '=', 'default').executeTakeFirst();
  if (existing) return false;
  const now = iso(opts.clock.now());
  // One hash per user, each with its own random salt: equal passwords must not give equal hashes
  // (a dump would show which users share one). Hashed in parallel: scrypt runs on the thread pool.
  const hashes = await Promise.all(DEMO_USER_ROLES.map(() => hashPassword(opts.password)));
  await db.transaction().execute(async (tx) => {
    await tx.insertInto('domains').values({ id: 'default', name: 'Default' }).execute();
    const roles: Record<string, string> = {};
    for (const r of ['admin', 'member', 'reader']) {
      roles[r] = hex(opts.ids);
      await tx.insertInto('roles').values({ id: roles[r], name: r }).execute();
    }
    const projects: Record<string, string> = {};
    for (const p of ['admin', 'demo', 'alt_demo', 'service']) {
      projects[p] = hex(opts.ids);
      await tx
        .insertInto('projects')
        .values({ id: projects[p], name: p, domain_id: 'default', description: `${p} project`, enabled: 1 })
        .execute();
    }
    for (const [i, [name, project, role]] of DEMO_USER_ROLES.entries()) {
      const id = hex(opts.ids);
      await tx
        .insertInto('users')
        .values({
          id,
          name,
          domain_id: 'default',
          password_hash: hashes[i],
          default_project_id: projects[project],
          enabled: 1,
        })
        .execute();
      await tx
        .insertInto('role_assignments')
        .values({ user_id: id, project_id: projects[project], role_id: roles[role] })
        .execute();
    }
    for (const f of DEMO_FLAVORS) {
      await tx
        .insertInto('flavors')
        .values({ ...f, ephemeral: 0, swap: 0, rxtx_factor: 1, is_public: 1, description: null, extra_specs: '{}' })
        .execute();
    }
    await tx
      .insertInto('images')
      .values({
        id: opts.ids.uuid(),
        name: DEMO_IMAGE_NAME,
        status: 'active',
        visibility: 'public',
        owner: projects.admin,
        disk_format: 'qcow2',
        container_format: 'bare',
        size: 21430272,
        min_disk: 0,
        min_ram: 0,
        protected: 0,
        properties: JSON.stringify({ os_distro: 'cirros' }),
        created_at: now,
        updated_at: now,
      })
      .execute();
    const priv = opts.ids.uuid();
    const pub = opts.ids.uuid();
    await tx
      .insertInto('networks')
      .values({
        id: priv,
        name: 'private',
        project_id: projects.admin,
        shared: 1,
        external: 0,
        status: 'ACTIVE',
        mtu: 1450,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await tx
      .insertInto('networks')
      .values({
        id: pub,
        name: 'public',
        project_id: projects.admin,
        shared: 0,
        external: 1,
        status: 'ACTIVE',
        mtu: 1500,
        created_at: now,
        updated_at: now,
      })
      .execute();
    const privSubnet = opts.ids.uuid();
    const pubSubnet = opts.ids.uuid();
    await tx
      .insertInto('subnets')
      .values({
        id: privSubnet,
        allocation_pools: JSON.stringify([{ start: '10.0.0.2', end: '10.0.0.254' }]),
        network_id: priv,
        project_id: projects.admin,
        name: 'private-subnet',
        cidr: '10.0.0.0/24',
        gateway_ip: '10.0.0.1',
        ip_version: 4,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await tx
      .insertInto('subnets')
      .values({
        id: pubSubnet,
        allocation_pools: JSON.stringify([{ start: '172.24.4.2', end: '172.24.4.254' }]),
        network_id: pub,
        project_id: projects.admin,
        name: 'public-subnet',
        cidr: '172.24.4.0/24',
        gateway_ip: '172.24.4.1',
        ip_version: 4,
        created_at: now,
        updated_at: now,
      })
      .execute();
    // devstack's router1: its gateway on public, an interface on private-subnet (the subnet's
    // gateway address), so that floating IPs of public reach the private network.
    const router = opts.ids.uuid();
    await tx
      .insertInto('routers')
      .values({
        id: router,
        project_id: projects.admin,
        name: 'router1',
        description: '',
        admin_state_up: 1,
        status: 'ACTIVE',
        gw_network_id: pub,
        enable_snat: 1,
        revision_number: 1,
        created_at: now,
        updated_at: now,
      })
      .execute();
    const routerPorts = [
      { network: pub, subnet: pubSubnet, ip: '172.24.4.2', owner: 'network:router_gateway', project: '' },
      { network: priv, subnet: privSubnet, ip: '10.0.0.1', owner: 'network:router_interface', project: projects.admin },
    ];
    for (const p of routerPorts) {
      const id = opts.ids.uuid();
      const h = id.replace(/-/g, '');
      await tx
        .insertInto('ports')
        .values({
          id,
          network_id: p.network,
          project_id: p.project,
          name: '',
          mac_address: `fa:16:3e:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}`,
          fixed_ips: JSON.stringify([{ subnet_id: p.subnet, ip_address: p.ip }]),
          device_id: router,
          device_owner: p.owner,
          binding_host_id: '',
          status: 'ACTIVE',
          admin_state_up: 1,
          created_for_server: 0,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await tx.insertInto('ip_allocations').values({ network_id: p.network, ip_address: p.ip, port_id: id }).execute();
    }
  });
  return true;
}

/** The demo users: name, project, role. */
const DEMO_USER_ROLES: Array<[string, string, string]> = [
  ['admin', 'admin', 'admin'],
  ['demo', 'demo', 'member'],
  ['alt_demo', 'alt_demo', 'member'],
  ['demo_reader', 'demo', 'reader'],
];
export const DEMO_USERS = DEMO_USER_ROLES.map(([name]) => name);

/**
 * The demo users' password follows `--password` / STRATUS_PASSWORD on every start, not only at
 * the first: otherwise a cloud seeded with the default would keep `secret` after the operator
 * set a real password (and could then be exposed beyond loopback with it). Every demo user is
 * checked on its own (one may have been changed apart from the others) and re-hashed with its
 * own salt; a change moves the user to the next password generation, which ends its tokens.
 */
export async function syncDemoPasswords(db: Kysely<Database>, password: string): Promise<boolean> {
  const users = await db
    .selectFrom('users')
    .select(['id', 'password_hash'])
    .where('domain_id', '=', 'default')
    .where('name', 'in', DEMO_USERS)
    .execute();
  const stale = (
    await Promise.all(users.map(async (u) => ((await verifyPassword(password, u.password_hash)) ? null : u.id)))
  ).filter((id) => id !== null);
  // Clouds seeded before salts were per user share one: give each its own, without ending tokens.
  const saltOf = (hash: string) => hash.split('$')[4];
  const current = users.filter((u) => !stale.includes(u.id));
  const shared = current.filter((u) =>
    current.some((o) => o.id !== u.id && saltOf(o.password_hash) === saltOf(u.password_hash)),
  );
  if (stale.length === 0 && shared.length === 0) return false;
  const hashes = await Promise.all([...stale, ...shared].map(() => hashPassword(password)));
  await db.transaction().execute(async (tx) => {
    for (const [i, id] of stale.entries()) await setUserPassword(tx, id, hashes[i]);
    for (const [i, u] of shared.entries()) await resaltUserPassword(tx, u.id, hashes[stale.length + i]);
  });
  return stale.length > 0;
}
