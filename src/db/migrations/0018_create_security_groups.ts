import type { Kysely } from 'kysely';

/**
 * Neutron's security groups (neutron/db/models/securitygroup.py): security_groups, their rules,
 * the ports they apply to (port_security_groups, Neutron's securitygroupportbindings) and each
 * project's `default` group (default_security_groups, Neutron's default_security_group table,
 * whose primary key makes the lazy creation of the default group happen once per project).
 * A port's bindings go with the port, a group's rules with the group; a group bound to a port
 * cannot be deleted (the use case answers Neutron's 409 first; the foreign key is the backstop).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('security_groups')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('stateful', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('tags', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('revision_number', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('security_groups_project')
    .ifNotExists()
    .on('security_groups')
    .columns(['project_id', 'name'])
    .execute();
  await db.schema
    .createTable('default_security_groups')
    .ifNotExists()
    .addColumn('project_id', 'text', (c) => c.primaryKey())
    .addColumn('security_group_id', 'text', (c) => c.notNull().references('security_groups.id').onDelete('cascade'))
    .execute();
  await db.schema
    .createTable('security_group_rules')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('security_group_id', 'text', (c) => c.notNull().references('security_groups.id').onDelete('cascade'))
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('ethertype', 'text', (c) => c.notNull())
    .addColumn('protocol', 'text')
    .addColumn('port_range_min', 'integer')
    .addColumn('port_range_max', 'integer')
    .addColumn('remote_ip_prefix', 'text')
    .addColumn('remote_group_id', 'text', (c) => c.references('security_groups.id').onDelete('cascade'))
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('security_group_rules_group')
    .ifNotExists()
    .on('security_group_rules')
    .columns(['security_group_id'])
    .execute();
  await db.schema
    .createTable('port_security_groups')
    .ifNotExists()
    .addColumn('port_id', 'text', (c) => c.notNull().references('ports.id').onDelete('cascade'))
    .addColumn('security_group_id', 'text', (c) => c.notNull().references('security_groups.id'))
    .addPrimaryKeyConstraint('port_security_groups_pk', ['port_id', 'security_group_id'])
    .execute();
  await db.schema
    .createIndex('port_security_groups_group')
    .ifNotExists()
    .on('port_security_groups')
    .columns(['security_group_id'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('port_security_groups').ifExists().execute();
  await db.schema.dropTable('security_group_rules').ifExists().execute();
  await db.schema.dropTable('default_security_groups').ifExists().execute();
  await db.schema.dropTable('security_groups').ifExists().execute();
}
