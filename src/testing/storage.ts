// The storage contract's fixture: one migrated database per dialect, and row factories.
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { databaseTargets } from './databases.js';
import { isUniqueViolation, openDatabase, type OpenedDb } from '../db/dialects/index.js';
import { migrateToLatest } from '../db/migrate.js';
import type {
  DriverFaultsTable,
  ImagesTable,
  InstanceActionEventsTable,
  InstanceActionsTable,
  PortsTable,
  ServicesTable,
  TasksTable,
} from '../db/schema.js';
import type { NewServer } from '../db/repositories/servers.repository.js';

/** What a storage suite's tests use: the database (opened by `before`) and where it lives. */
export interface StorageTarget {
  /** 'sqlite' or 'postgres'. */
  readonly name: string;
  /** The opened, migrated database (valid inside tests). */
  readonly database: OpenedDb;
  /** Its URL (PostgreSQL: for a second, independent connection). */
  readonly url: string;
}

/**
 * Defines the suite once per database target (SQLite always, PostgreSQL when configured and
 * always under CI): `define` registers the tests, which run against a freshly migrated database.
 */
export function storageSuite(title: string, define: (target: StorageTarget) => void): void {
  for (const t of databaseTargets()) {
    describe(`${title} on ${t.name}`, () => {
      let database: OpenedDb | undefined;
      let url = '';
      let drop: () => Promise<void> = async () => {};
      let dir = '';
      before(async () => {
        dir = mkdtempSync(join(tmpdir(), 'stratus-contract-'));
        const db = await t.url();
        drop = db.drop;
        url = db.url;
        database = openDatabase(db.url, dir);
        await migrateToLatest(database.db);
      });
      after(async () => {
        await database?.close();
        await drop();
        rmSync(dir, { recursive: true, force: true });
      });
      define({
        name: t.name,
        get database() {
          if (!database) throw new Error('the database opens in before()');
          return database;
        },
        get url() {
          return url;
        },
      });
    });
  }
}

/** A UUID made of a namespace (1–4 hex digits, one per test) and a number: distinct rows per test. */
export const uuid = (ns: number, n = 0): string =>
  `${ns.toString(16).padStart(8, '0')}-0000-4000-8000-${n.toString().padStart(12, '0')}`;

/** An ISO time `s` seconds after 2026-01-01T00:00:00Z (text that sorts as time on both dialects). */
export const T = (s: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, 0) + s * 1000).toISOString();

/** Awaits `p` and asserts it fails with the dialect's unique violation. */
export async function assertUniqueViolation(p: Promise<unknown>): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isUniqueViolation(e), `not a unique violation: ${String(e)}`);
    return true;
  });
}

export function serverRow(id: string, over: Partial<NewServer> = {}): NewServer {
  return {
    id,
    project_id: 'p1',
    user_id: 'u1',
    name: `s-${id.slice(0, 8)}`,
    description: null,
    image_id: 'img',
    flavor_id: '1',
    flavor: '{}',
    vm_state: 'active',
    task_state: null,
    power_state: 1,
    host: 'h1',
    launched_at: T(0),
    terminated_at: null,
    locked_by: null,
    locked_reason: null,
    metadata: '{}',
    key_name: null,
    reservation_id: 'r-1',
    launch_index: 0,
    hostname: 'h',
    access_ipv4: '',
    access_ipv6: '',
    availability_zone: 'nova',
    user_data: null,
    requested_networks: '[]',
    personality: '[]',
    config_drive: '',
    trusted_image_certificates: null,
    shelved_image_id: null,
    shelved_at: null,
    pinned_availability_zone: null,
    fault: null,
    created_at: T(0),
    updated_at: T(0),
    deleted_at: null,
    deleted: 0,
    ...over,
  };
}

export function taskRow(id: string, over: Partial<TasksTable> = {}): TasksTable {
  return {
    id,
    kind: 'terminate',
    server_id: id,
    host: 'h1',
    payload: '{}',
    state: 'queued',
    attempts: 0,
    max_attempts: 3,
    lease_owner: null,
    lease_expires_at: null,
    run_after: T(0),
    last_error: null,
    created_at: T(0),
    updated_at: T(0),
    result: null,
    ...over,
  };
}

export function portRow(id: string, over: Partial<PortsTable> = {}): PortsTable {
  return {
    id,
    network_id: 'net',
    project_id: 'p1',
    name: '',
    mac_address: 'fa:16:3e:00:00:01',
    fixed_ips: '[]',
    device_id: '',
    device_owner: '',
    binding_host_id: '',
    status: 'DOWN',
    admin_state_up: 1,
    created_for_server: 0,
    created_at: T(0),
    updated_at: T(0),
    ...over,
  };
}

export function imageRow(id: string, over: Partial<ImagesTable> = {}): ImagesTable {
  return {
    id,
    name: `img-${id.slice(0, 8)}`,
    status: 'active',
    visibility: 'public',
    owner: null,
    disk_format: 'qcow2',
    container_format: 'bare',
    size: 1024,
    min_disk: 0,
    min_ram: 0,
    properties: '{}',
    protected: 0,
    created_at: T(0),
    updated_at: T(0),
    checksum: null,
    os_hash_algo: null,
    os_hash_value: null,
    ...over,
  };
}

export function serviceRow(id: string, over: Partial<ServicesTable> = {}): ServicesTable {
  return {
    id,
    host: `host-${id.slice(0, 8)}`,
    binary: 'nova-compute',
    topic: 'compute',
    zone: 'nova',
    disabled: 0,
    disabled_reason: null,
    forced_down: 0,
    last_seen_at: T(0),
    vcpus: 8,
    memory_mb: 8192,
    disk_gb: 100,
    created_at: T(0),
    updated_at: T(0),
    owner: 'o1',
    uptime: null,
    ...over,
  };
}

export function faultRow(id: string, over: Partial<DriverFaultsTable> = {}): DriverFaultsTable {
  return {
    id,
    host: 'h1',
    server_id: null,
    operation: 'spawn',
    mode: 'error',
    remaining: null,
    delay_ms: 0,
    created_at: T(0),
    ...over,
  };
}

export function actionRow(
  id: string,
  serverId: string,
  over: Partial<InstanceActionsTable> = {},
): InstanceActionsTable {
  return {
    id,
    server_id: serverId,
    action: 'reboot',
    request_id: `req-${id}`,
    user_id: 'u1',
    project_id: 'p1',
    start_time: T(0),
    finish_time: null,
    message: null,
    updated_at: T(0),
    ...over,
  };
}

export function eventRow(
  id: string,
  actionId: string,
  over: Partial<InstanceActionEventsTable> = {},
): InstanceActionEventsTable {
  return {
    id,
    action_id: actionId,
    event: 'compute_reboot_instance',
    start_time: T(0),
    finish_time: null,
    result: null,
    traceback: null,
    host: 'h1',
    details: null,
    ...over,
  };
}
