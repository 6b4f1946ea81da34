import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import * as m0001 from './migrations/0001_create_tables.js';
import * as m0002 from './migrations/0002_add_task_result.js';
import * as m0003 from './migrations/0003_add_ip_allocations_and_service_owner.js';
import * as m0004 from './migrations/0004_add_password_generation.js';
import * as m0005 from './migrations/0005_create_key_pairs.js';
import * as m0006 from './migrations/0006_add_server_tags.js';
import * as m0007 from './migrations/0007_create_aggregates.js';
import * as m0008 from './migrations/0008_create_quotas.js';
import * as m0009 from './migrations/0009_create_server_groups.js';
import * as m0010 from './migrations/0010_create_flavor_projects.js';
import * as m0011 from './migrations/0011_add_server_create_options.js';
import * as m0013 from './migrations/0013_add_identity_attributes.js';
import * as m0014 from './migrations/0014_add_image_data_and_shelved_image.js';
import * as m0015 from './migrations/0015_create_migrations.js';
import * as m0016 from './migrations/0016_create_server_passwords.js';
import * as m0017 from './migrations/0017_create_console_auth_tokens.js';
import * as m0018 from './migrations/0018_create_security_groups.js';
import * as m0019 from './migrations/0019_create_server_interfaces.js';
import * as m0021 from './migrations/0021_add_server_shelve_fields.js';
import * as m0022 from './migrations/0022_add_service_uptime.js';
import * as m0023 from './migrations/0023_create_volumes.js';
import * as m0024 from './migrations/0024_create_block_device_mappings.js';
import * as m0025 from './migrations/0025_add_subnet_pools_and_routers.js';
import * as m0026 from './migrations/0026_create_floating_ips.js';
import * as m0027 from './migrations/0027_create_server_changes.js';
import * as m0028 from './migrations/0028_create_task_steps.js';
import * as m0029 from './migrations/0029_server_changes_per_statement.js';

/** Migrations are listed here in order (bundled, so no file-system lookup at run time). */
const MIGRATIONS: Record<string, Migration> = {
  '0001_create_tables': m0001,
  '0002_add_task_result': m0002,
  '0003_add_ip_allocations_and_service_owner': m0003,
  '0004_add_password_generation': m0004,
  '0005_create_key_pairs': m0005,
  '0006_add_server_tags': m0006,
  '0007_create_aggregates': m0007,
  '0008_create_quotas': m0008,
  '0009_create_server_groups': m0009,
  '0010_create_flavor_projects': m0010,
  '0011_add_server_create_options': m0011,
  '0013_add_identity_attributes': m0013,
  '0014_add_image_data_and_shelved_image': m0014,
  '0015_create_migrations': m0015,
  '0016_create_server_passwords': m0016,
  '0017_create_console_auth_tokens': m0017,
  '0018_create_security_groups': m0018,
  '0019_create_server_interfaces': m0019,
  '0021_add_server_shelve_fields': m0021,
  '0022_add_service_uptime': m0022,
  '0023_create_volumes': m0023,
  '0024_create_block_device_mappings': m0024,
  '0025_add_subnet_pools_and_routers': m0025,
  '0026_create_floating_ips': m0026,
  '0027_create_server_changes': m0027,
  '0028_create_task_steps': m0028,
  '0029_server_changes_per_statement': m0029,
};

class BundledProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
}

export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new BundledProvider() });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
