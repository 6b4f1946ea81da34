import type { ColumnType, Generated } from 'kysely';

/**
 * Table types. Times are ISO-8601 UTC strings with milliseconds (they sort as text on both
 * dialects); booleans are 0/1 integers; JSON columns are text.
 */
export interface DomainsTable {
  id: string;
  name: string;
  description: Generated<string>;
  enabled: Generated<number>;
}
export interface ProjectsTable {
  id: string;
  name: string;
  domain_id: string;
  description: string;
  enabled: number;
  /** Keystone's parent_id; null for a top-level project (Keystone shows its domain there). */
  parent_id: Generated<string | null>;
  /** Keystone's extra attributes (unknown keys of a create or update), a JSON object. */
  extra: Generated<string>;
}
export interface UsersTable {
  id: string;
  name: string;
  domain_id: string;
  password_hash: string;
  default_project_id: string | null;
  enabled: number;
  /** Bumped on every password change; tokens issued under an older generation no longer validate. */
  password_generation: Generated<number>;
  /** Keystone's extra attributes (email, description…), a JSON object. */
  extra: Generated<string>;
}
export interface RolesTable {
  id: string;
  name: string;
}
export interface RoleAssignmentsTable {
  user_id: string;
  project_id: string;
  role_id: string;
}
export interface TokensTable {
  token_hash: string;
  user_id: string;
  project_id: string;
  roles: string;
  issued_at: string;
  expires_at: string;
  revoked: number;
  /** The user's password_generation when the token was issued. */
  password_generation: number;
}
export interface FlavorsTable {
  id: string;
  name: string;
  vcpus: number;
  ram: number;
  disk: number;
  ephemeral: number;
  swap: number;
  rxtx_factor: number;
  is_public: number;
  description: string | null;
  extra_specs: string;
}
/** os-flavor-access: a project a private flavor is shared with. */
export interface FlavorProjectsTable {
  flavor_id: string;
  project_id: string;
}
export interface ImagesTable {
  id: string;
  name: string;
  status: string;
  visibility: string;
  owner: string | null;
  disk_format: string | null;
  container_format: string | null;
  size: number | null;
  min_disk: number;
  min_ram: number;
  properties: string;
  protected: number;
  created_at: string;
  updated_at: string;
  /** Glance's md5 of the data, and its multihash (sha512); null until data is uploaded. */
  checksum?: string | null;
  os_hash_algo?: string | null;
  os_hash_value?: string | null;
}
export interface NetworksTable {
  id: string;
  name: string;
  project_id: string;
  shared: number;
  external: number;
  status: string;
  mtu: number;
  created_at: string;
  updated_at: string;
  /** Neutron's attributes (migration 0025). */
  admin_state_up?: number;
  description?: string;
  port_security_enabled?: number;
  revision_number?: number;
}
export interface SubnetsTable {
  id: string;
  network_id: string;
  project_id: string;
  name: string;
  cidr: string;
  gateway_ip: string | null;
  ip_version: number;
  created_at: string;
  updated_at: string;
  /** JSON [{start, end}] (migration 0025). */
  allocation_pools?: string;
  enable_dhcp?: number;
  /** JSON list of addresses. */
  dns_nameservers?: string;
  /** JSON [{destination, nexthop}]. */
  host_routes?: string;
  description?: string;
  revision_number?: number;
}
/** Neutron's routers (migration 0025); their ports are rows of ports (device_id = the router). */
export interface RoutersTable {
  id: string;
  project_id: string;
  name: string;
  description: string;
  admin_state_up: number;
  status: string;
  /** The external network of the gateway; null: no gateway. */
  gw_network_id: string | null;
  enable_snat: number;
  revision_number: number;
  created_at: string;
  updated_at: string;
}
/** A project's Neutron quota limit that overrides the default (migration 0025). */
export interface NetworkQuotasTable {
  project_id: string;
  resource: string;
  hard_limit: number;
  updated_at: string;
}
export interface PortsTable {
  id: string;
  network_id: string;
  project_id: string;
  name: string;
  mac_address: string;
  fixed_ips: string;
  device_id: string;
  device_owner: string;
  binding_host_id: string;
  status: string;
  admin_state_up: number;
  /** 1 when Stratus created the port for a server (deleted with it); 0 for ports a user passed in (only unbound). */
  created_for_server: number;
  created_at: string;
  updated_at: string;
}
export interface ServersTable {
  id: string;
  project_id: string;
  user_id: string;
  name: string;
  description: string | null;
  image_id: string;
  flavor_id: string;
  flavor: string;
  vm_state: string;
  task_state: string | null;
  power_state: number;
  host: string | null;
  launched_at: string | null;
  terminated_at: string | null;
  locked_by: string | null;
  locked_reason: string | null;
  metadata: string;
  key_name: string | null;
  reservation_id: string;
  launch_index: number;
  hostname: string;
  access_ipv4: string;
  access_ipv6: string;
  availability_zone: string;
  user_data: string | null;
  requested_networks: string;
  /** JSON [{path, contents (base64)}]: the personality files (migration 0011). */
  personality: Generated<string>;
  /** 'True' when a config drive was asked for, else '' (Nova's instance.config_drive). */
  config_drive: Generated<string>;
  /** JSON array of certificate ids (2.63), null when none. */
  trusted_image_certificates: ColumnType<string | null, string | null | undefined, string | null>;
  /** The snapshot image a shelve made (Nova's system_metadata shelved_image_id; migration 0014). */
  shelved_image_id?: string | null;
  /** When the shelve finished (Nova's system_metadata shelved_at; migration 0021). */
  shelved_at?: string | null;
  /** The zone the server is pinned to (Nova's RequestSpec.availability_zone; migration 0021). */
  pinned_availability_zone?: string | null;
  fault: string | null;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
  deleted: number;
}
export interface InstanceActionsTable {
  id: string;
  server_id: string;
  action: string;
  request_id: string;
  user_id: string;
  project_id: string;
  start_time: string;
  finish_time: string | null;
  message: string | null;
  updated_at: string;
}
export interface InstanceActionEventsTable {
  id: string;
  action_id: string;
  event: string;
  start_time: string;
  finish_time: string | null;
  result: string | null;
  traceback: string | null;
  host: string | null;
  details: string | null;
}
export interface TasksTable {
  id: string;
  kind: string;
  server_id: string | null;
  host: string | null;
  payload: string;
  state: string;
  attempts: number;
  max_attempts: number;
  lease_owner: string | null;
  lease_expires_at: string | null;
  run_after: string;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  /** The answer of a question task (console output). */
  result: string | null;
}
export interface ServicesTable {
  id: string;
  host: string;
  binary: string;
  topic: string;
  zone: string;
  disabled: number;
  disabled_reason: string | null;
  forced_down: number;
  last_seen_at: string;
  vcpus: number;
  memory_mb: number;
  disk_gb: number;
  created_at: string;
  updated_at: string;
  /** The agent incarnation that holds this host name (null: none yet). */
  owner: string | null;
  /** The host's `uptime(1)` line at its last heartbeat (migration 0022); null: not reported. */
  uptime?: string | null;
}
/** Fixed IPs in use: the primary key (network, address) makes double allocation impossible. */
export interface IpAllocationsTable {
  network_id: string;
  ip_address: string;
  port_id: string;
}
/** Faults injected into a compute node's driver through the control API (tests, drills). */
export interface DriverFaultsTable {
  id: string;
  host: string;
  server_id: string | null;
  operation: string;
  mode: string;
  remaining: number | null;
  delay_ms: number;
  created_at: string;
}
/** A server's tags (Nova's `tags` table): unique per server. */
/** A console's authorisation (Nova's console_auth_tokens): the token only as its SHA-256. */
export interface ConsoleAuthTokensTable {
  token_hash: string;
  server_id: string;
  console_type: string;
  host: string;
  port: number;
  created_at: string;
  expires_at: string;
}

/** The device tag of a port attached through os-interface (Nova's virtual_interfaces.tag). */
export interface ServerInterfacesTable {
  port_id: string;
  server_id: string;
  tag: string | null;
  created_at: string;
}
/** A volume a server boots from or has attached (Nova's block_device_mapping). */
export interface BlockDeviceMappingsTable {
  id: string;
  server_id: string;
  volume_id: string | null;
  /** Cinder's attachment (3.27 API) once reserved; null before. */
  attachment_id: string | null;
  /** image, volume, snapshot or blank (Nova's source_type). */
  source_type: string;
  /** volume or local (Nova's destination_type). */
  destination_type: string;
  boot_index: number | null;
  device_name: string | null;
  delete_on_termination: number;
  volume_size: number | null;
  volume_type: string | null;
  image_id: string | null;
  snapshot_id: string | null;
  disk_bus: string | null;
  device_type: string | null;
  guest_format: string | null;
  tag: string | null;
  created_at: string;
  updated_at: string;
}
export interface ServerTagsTable {
  server_id: string;
  tag: string;
}
/** Host aggregates (Nova's api-database aggregates); `id` comes from aggregate_sequence. */
export interface AggregatesTable {
  id: number;
  uuid: string;
  name: string;
  created_at: string;
  updated_at: string | null;
}
export interface AggregateHostsTable {
  aggregate_id: number;
  host: string;
}
export interface AggregateMetadataTable {
  aggregate_id: number;
  key: string;
  value: string;
}
/** One row: the last aggregate id handed out (ids are never reused, as with Nova's autoincrement). */
export interface AggregateSequenceTable {
  name: string;
  value: number;
}
/** A limit that overrides a default: for a project (user_id '' = the whole project). */
export interface QuotasTable {
  project_id: string;
  user_id: string;
  resource: string;
  hard_limit: number;
  updated_at: string;
}
/** A limit of a quota class (the class `default` overrides the configured defaults). */
export interface QuotaClassesTable {
  class_name: string;
  resource: string;
  hard_limit: number;
  updated_at: string;
}
/** One row per project, locked by quota checks so that concurrent creates serialise. */
export interface QuotaLocksTable {
  project_id: string;
}

/** Nova's keypairs: a user's (not a project's), unique per (user_id, name). */
export interface KeyPairsTable {
  id: Generated<number>;
  user_id: string;
  name: string;
  /** 'ssh' or 'x509'. */
  type: string;
  fingerprint: string;
  public_key: string;
  created_at: string;
}
/** Nova's instance groups: a project's, with one policy and its rules (JSON). */
export interface ServerGroupsTable {
  seq: Generated<number>;
  id: string;
  name: string;
  project_id: string;
  user_id: string;
  /** affinity, anti-affinity, soft-affinity or soft-anti-affinity. */
  policy: string;
  /** JSON object: `max_server_per_host` (2.64, anti-affinity only). */
  rules: string;
  created_at: string;
}
/** A server in a group, and the host chosen for it at create (null: none was found). */
export interface ServerGroupMembersTable {
  group_id: string;
  server_id: string;
  host: string | null;
  created_at: string;
}
/** A Neutron security group; `tags` is a JSON array of strings. */
export interface SecurityGroupsTable {
  id: string;
  project_id: string;
  name: string;
  description: string;
  stateful: number;
  tags: string;
  revision_number: number;
  created_at: string;
  updated_at: string;
}
/** Each project's `default` group (created on first use). */
export interface DefaultSecurityGroupsTable {
  project_id: string;
  security_group_id: string;
}
/** A rule of a group; protocol is a name or a number as given (lower-cased), null for any. */
export interface SecurityGroupRulesTable {
  id: string;
  security_group_id: string;
  project_id: string;
  direction: string;
  ethertype: string;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
  description: string;
  created_at: string;
  updated_at: string;
}
/** A group applied to a port. */
export interface PortSecurityGroupsTable {
  port_id: string;
  security_group_id: string;
}
/** Nova's Migration: one move of a server (migration 0015). Flavors are JSON snapshots. */
export interface MigrationsTable {
  id: Generated<number>;
  uuid: string;
  server_id: string;
  project_id: string;
  user_id: string;
  /** resize, migration, live-migration or evacuation. */
  migration_type: string;
  /** pre-migrating, migrating, post-migrating, finished, confirming, confirmed, reverting, reverted, error… */
  status: string;
  source_compute: string | null;
  source_node: string | null;
  dest_compute: string | null;
  dest_node: string | null;
  dest_host: string | null;
  old_flavor_id: string;
  new_flavor_id: string;
  old_flavor: string;
  new_flavor: string;
  old_vm_state: string;
  created_at: string;
  updated_at: string | null;
}

/** os-server-password: the password a guest posted (Nova's system_metadata password_0..3). */
export interface ServerPasswordsTable {
  server_id: string;
  password: string;
  updated_at: string;
}
/** Cinder's volume types (`__DEFAULT__` is seeded by the volume service at start-up). */
export interface VolumeTypesTable {
  id: string;
  name: string;
  description: string | null;
  is_public: number;
  /** JSON object. */
  extra_specs: string;
  created_at: string;
}
/** Cinder volumes; `metadata` and `image_metadata` are JSON objects (text). */
export interface VolumesTable {
  id: string;
  project_id: string;
  user_id: string;
  name: string | null;
  description: string | null;
  size: number;
  status: string;
  attach_status: string;
  volume_type_id: string;
  availability_zone: string;
  bootable: number;
  readonly: number;
  snapshot_id: string | null;
  source_volid: string | null;
  image_id: string | null;
  metadata: string;
  image_metadata: string | null;
  created_at: string;
  updated_at: string | null;
}
export interface VolumeSnapshotsTable {
  id: string;
  volume_id: string;
  project_id: string;
  user_id: string;
  name: string | null;
  description: string | null;
  size: number;
  status: string;
  metadata: string;
  created_at: string;
  updated_at: string | null;
}
export interface VolumeAttachmentsTable {
  id: string;
  volume_id: string;
  project_id: string;
  instance_uuid: string | null;
  attach_status: string;
  attach_mode: string;
  /** JSON (the connector the host sent), null until one is given. */
  connector: string | null;
  /** JSON (what the host connects with), null until a connector is given. */
  connection_info: string | null;
  mountpoint: string | null;
  attached_host: string | null;
  attach_time: string | null;
  created_at: string;
}
/** Cinder's per-project quota overrides (resource names are Cinder's: volumes, gigabytes…). */
export interface VolumeQuotasTable {
  project_id: string;
  resource: string;
  hard_limit: number;
}
export interface VolumeQuotaLocksTable {
  project_id: string;
}

export interface Database {
  domains: DomainsTable;
  projects: ProjectsTable;
  users: UsersTable;
  roles: RolesTable;
  role_assignments: RoleAssignmentsTable;
  tokens: TokensTable;
  flavors: FlavorsTable;
  flavor_projects: FlavorProjectsTable;
  images: ImagesTable;
  networks: NetworksTable;
  subnets: SubnetsTable;
  ports: PortsTable;
  servers: ServersTable;
  instance_actions: InstanceActionsTable;
  instance_action_events: InstanceActionEventsTable;
  tasks: TasksTable;
  services: ServicesTable;
  driver_faults: DriverFaultsTable;
  ip_allocations: IpAllocationsTable;
  key_pairs: KeyPairsTable;
  server_tags: ServerTagsTable;
  aggregates: AggregatesTable;
  aggregate_hosts: AggregateHostsTable;
  aggregate_metadata: AggregateMetadataTable;
  aggregate_sequence: AggregateSequenceTable;
  quotas: QuotasTable;
  quota_classes: QuotaClassesTable;
  quota_locks: QuotaLocksTable;
  server_groups: ServerGroupsTable;
  server_group_members: ServerGroupMembersTable;
  security_groups: SecurityGroupsTable;
  default_security_groups: DefaultSecurityGroupsTable;
  security_group_rules: SecurityGroupRulesTable;
  port_security_groups: PortSecurityGroupsTable;
  routers: RoutersTable;
  network_quotas: NetworkQuotasTable;
  migrations: MigrationsTable;
  server_passwords: ServerPasswordsTable;
  console_auth_tokens: ConsoleAuthTokensTable;
  server_interfaces: ServerInterfacesTable;
  block_device_mappings: BlockDeviceMappingsTable;
  floating_ips: FloatingIpsTable;
  task_steps: TaskStepsTable;
  volume_types: VolumeTypesTable;
  volumes: VolumesTable;
  volume_snapshots: VolumeSnapshotsTable;
  volume_attachments: VolumeAttachmentsTable;
  volume_quotas: VolumeQuotasTable;
  volume_quota_locks: VolumeQuotaLocksTable;
  server_changes: ServerChangesTable;
  server_change_tx: ServerChangeTxTable;
}

/** One step of the work done for a server: a task's or a local delete's (migration 0028). */
export interface TaskStepsTable {
  id: string;
  /** Null for a step the API did itself (a local delete). */
  task_id: string | null;
  server_id: string;
  request_id: string | null;
  /** The task kind (`terminate`…), or the API action (`delete`) for the API's own steps. */
  action: string;
  step: string;
  /** Order of the steps of one write. */
  seq: number;
  host: string | null;
  started_at: string;
  finished_at: string | null;
  /** `ok` or `error`; null while unfinished. */
  result: string | null;
  message: string | null;
}

/** Neutron's floatingips (migration 0026). */
export interface FloatingIpsTable {
  id: string;
  project_id: string;
  floating_network_id: string;
  floating_ip_address: string;
  /** The port of device_owner `network:floatingip` on the external network that holds the address. */
  floating_port_id: string;
  subnet_id: string | null;
  /** The associated (internal) port, with the fixed address the floating IP maps to. */
  port_id: string | null;
  fixed_ip_address: string | null;
  router_id: string | null;
  status: string;
  description: string;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

/** The watch API's change log, written by triggers on servers (migration 0027). */
export interface ServerChangesTable {
  /** bigint: PostgreSQL's driver returns it as a string. */
  seq: Generated<number | string>;
  server_id: string;
  project_id: string;
  kind: 'created' | 'updated' | 'deleted';
  /** Comma list of the watched fields that changed ('' on insert). */
  changed: string;
  name: string;
  vm_state: string;
  task_state: string | null;
  prev_vm_state: string | null;
  prev_task_state: string | null;
  power_state: number;
  host: string | null;
  locked: number | boolean;
  fault: string | null;
  request_id: string | null;
  tx: number | string;
  changed_at: string;
}

/** SQLite only: the number of the current group-commit unit (server_changes.tx). */
export interface ServerChangeTxTable {
  id: number;
  n: number;
}
