/**
 * Domain errors with Nova's exact user-visible messages.
 *
 * A `DomainError` carries a `kind` (how the API layer should answer), a Nova
 * style `code` (the exception class name, for logs and tests) and the message
 * that goes into the fault body verbatim. Message texts come from
 * nova/exception.py and nova/api/openstack/common.py (see docs/delete-server.md
 * §2, §6.1 and §6.2; the B rows cited below are the behaviour table in its §7).
 *
 * Pure module: no I/O.
 */

export type DomainErrorKind =
  | 'not-found'
  | 'conflict'
  | 'forbidden'
  | 'invalid'
  | 'unavailable'
  | 'unauthorized'
  | 'over-limit'
  | 'failed';

export class DomainError extends Error {
  constructor(
    public readonly kind: DomainErrorKind,
    public readonly code: string,
    message: string,
    public readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** Python's `%s` rendering of an optional value: null/undefined print as `None`. */
function pyStr(value: unknown): string {
  return value === null || value === undefined ? 'None' : String(value);
}

// ---------------------------------------------------------------------------
// Faults of single features (flavors, keypairs, server groups, aggregates, hosts, hypervisors,
// extensions, consoles, interfaces, moves, security groups of a server, server create, image data)
// ---------------------------------------------------------------------------

/** 409 FlavorIdExists. */
export function flavorIdExists(id: string): DomainError {
  return new DomainError('conflict', 'FlavorIdExists', `Flavor with ID ${id} already exists.`, { id });
}

/** 409 FlavorExists (the name is unique). */
export function flavorNameExists(name: string): DomainError {
  return new DomainError('conflict', 'FlavorExists', `Flavor with name ${name} already exists.`, { name });
}

/** 409 FlavorAccessExists. */
export function flavorAccessExists(flavorId: string, projectId: string): DomainError {
  return new DomainError(
    'conflict',
    'FlavorAccessExists',
    `Flavor access already exists for flavor ${flavorId} and project ${projectId} combination.`,
  );
}

/** 404 FlavorAccessNotFound. */
export function flavorAccessNotFound(flavorId: string, projectId: string): DomainError {
  return new DomainError(
    'not-found',
    'FlavorAccessNotFound',
    `Flavor access not found for ${flavorId} / ${projectId} combination.`,
  );
}

/** 404 of GET os-flavor-access on a public flavor (flavor_access.py index). */
export function publicFlavorAccessList(): DomainError {
  return new DomainError('not-found', 'FlavorAccessNotFound', 'Access list not available for public flavors.');
}

/** 409 of addTenantAccess on a public flavor, from 2.7 (flavor_access.py). */
export function publicFlavorAccessAdd(): DomainError {
  return new DomainError('conflict', 'Conflict', 'Can not add access to a public flavor.');
}

/** 404 of os-extra_specs/{key} for a key the flavor does not have (flavors_extraspecs.py). */
export function extraSpecNotFound(flavorId: string, key: string): DomainError {
  return new DomainError(
    'not-found',
    'FlavorExtraSpecsNotFound',
    `Flavor ${flavorId} has no extra specs with key ${key}.`,
  );
}

/** 400 of a flavor list whose marker is not a flavor the caller sees (flavors.py _get_flavors). */
export function flavorMarkerNotFound(marker: string): DomainError {
  return new DomainError('invalid', 'MarkerNotFound', `marker [${marker}] not found`);
}

/** 400 `Keypair data is invalid: <reason>` (InvalidKeypair). */
export function invalidKeypair(reason: string): DomainError {
  return new DomainError('invalid', 'InvalidKeypair', `Keypair data is invalid: ${reason}`);
}

/** 409 `Key pair '<name>' already exists.` (KeyPairExists). */
export function keypairExists(name: string): DomainError {
  return new DomainError('conflict', 'KeyPairExists', `Key pair '${name}' already exists.`, { name });
}

/** 404 `Keypair <name> not found for user <user_id>` (KeypairNotFound). */
export function keypairNotFound(name: string, userId: string): DomainError {
  return new DomainError('not-found', 'KeypairNotFound', `Keypair ${name} not found for user ${userId}`, {
    name,
    userId,
  });
}

/** 404 `Instance group <id> could not be found.` (InstanceGroupNotFound). */
export function serverGroupNotFound(id: string): DomainError {
  return new DomainError('not-found', 'InstanceGroupNotFound', `Instance group ${id} could not be found.`, { id });
}

/** The same, as server create answers it (Nova maps InstanceGroupNotFound to a 400 there). */
export function requestedGroupNotFound(id: string): DomainError {
  return new DomainError('invalid', 'InstanceGroupNotFound', `Instance group ${id} could not be found.`, { id });
}

/** 404 `Aggregate <id> could not be found.` (AggregateNotFound). */
export function aggregateNotFound(id: string | number): DomainError {
  return new DomainError('not-found', 'AggregateNotFound', `Aggregate ${id} could not be found.`);
}

/** 404 of remove_host: Nova answers an unknown host, an unknown aggregate and a host not in it alike. */
export function aggregateHostNotFound(host: string, aggregate: string): DomainError {
  return new DomainError('not-found', 'AggregateHostNotFound', `Cannot remove host ${host} in aggregate ${aggregate}`);
}

/** 404 `Host '<host>' is not mapped to any cell` (os-hosts' target_host_cell: no HostMapping). */
export function hostNotMapped(host: string): DomainError {
  return new DomainError('not-found', 'HostMappingNotFound', `Host '${host}' is not mapped to any cell`, { host });
}

/** 404 `Hypervisor with ID '<id>' could not be found.` (hypervisors.py show). */
export function hypervisorNotFound(id: string): DomainError {
  return new DomainError('not-found', 'ComputeHostNotFound', `Hypervisor with ID '${id}' could not be found.`, { id });
}

/** 404 `No hypervisor matching '<pattern>' could be found.` (hypervisors.py search). */
export function noHypervisorMatching(pattern: string): DomainError {
  return new DomainError('not-found', 'ComputeHostNotFound', `No hypervisor matching '${pattern}' could be found.`, {
    pattern,
  });
}

/** 404 of an unknown extension alias (Nova: a bare webob HTTPNotFound). */
export function extensionNotFound(alias: string): DomainError {
  return new DomainError('not-found', 'ExtensionNotFound', 'The resource could not be found.', { alias });
}

/** 400 `Invalid console type <type>` (ConsoleTypeInvalid, an Invalid). */
export function consoleTypeInvalid(type: string): DomainError {
  return new DomainError('invalid', 'ConsoleTypeInvalid', `Invalid console type ${type}`, { type });
}

/** 400 `Unavailable console type <type>.` (ConsoleTypeUnavailable: the console is switched off in nova.conf). */
export function consoleTypeUnavailable(type: string): DomainError {
  return new DomainError('invalid', 'ConsoleTypeUnavailable', `Unavailable console type ${type}.`, { type });
}

/** 404 `Token not found` (ConsoleTokenNotFound: unknown, expired, or of a deleted server). */
export function consoleTokenNotFound(): DomainError {
  return new DomainError('not-found', 'ConsoleTokenNotFound', 'Token not found');
}

/** 401 of a console URL whose token has expired (Stratus' own console page: ask for a new URL). */
export function consoleTokenExpired(): DomainError {
  return new DomainError('unauthorized', 'InvalidToken', 'The token has expired: ask for a new console URL');
}

/** 404 `Port id <id> could not be found.` (PortNotFound, as Neutron answers a port hidden from the caller). */
export function portNotFound(id: string): DomainError {
  return new DomainError('not-found', 'PortNotFound', `Port id ${id} could not be found.`);
}

/** 404 `Instance <id> does not have a port with id <port>` (attach_interfaces.py show). */
export function portNotOfServer(serverId: string, portId: string): DomainError {
  return new DomainError('not-found', 'PortNotFound', `Instance ${serverId} does not have a port with id ${portId}`);
}

/** 404 `Port <id> is not attached` (PortNotFound of detach_interface). */
export function portNotAttached(portId: string): DomainError {
  return new DomainError('not-found', 'PortNotFound', `Port ${portId} is not attached`);
}

/** 404 `Compute host <host> not found.` (evacuate.py: the named target host has no compute service). */
export function evacuateHostNotFound(host: string): DomainError {
  return new DomainError('not-found', 'ComputeHostNotFound', `Compute host ${host} not found.`);
}

/** 400 `Compute service of <host> is still in use.` (ComputeServiceInUse: evacuate from a live source). */
export function computeServiceInUse(host: string | null): DomainError {
  return new DomainError('invalid', 'ComputeServiceInUse', `Compute service of ${host} is still in use.`);
}

/** `Migration <id> not found for instance <id>` (MigrationNotFoundForInstance): 404, or 400 where Nova answers so. */
export function migrationNotFoundForInstance(
  migrationId: string,
  serverId: string,
  kind: 'not-found' | 'invalid',
): DomainError {
  return new DomainError(
    kind,
    'MigrationNotFoundForInstance',
    `Migration ${migrationId} not found for instance ${serverId}`,
  );
}

/** server_migrations.py show's three 404s (MigrationNotFound): no such migration, not live, not in progress. */
export function liveMigrationNotFound(
  migrationId: string,
  serverId: string,
  why: 'missing' | 'not-live' | 'not-in-progress',
): DomainError {
  const message = {
    missing: `In-progress live migration ${migrationId} is not found for server ${serverId}.`,
    'not-live': `Migration ${migrationId} for server ${serverId} is not live-migration.`,
    'not-in-progress': `Live migration ${migrationId} for server ${serverId} is not in progress.`,
  }[why];
  return new DomainError('not-found', 'MigrationNotFound', message);
}

/** 409 NoUniqueMatch of add/removeSecurityGroup (security_group_api: two groups of the name). */
export function securityGroupNoUniqueMatch(name: string): DomainError {
  return new DomainError(
    'conflict',
    'NoUniqueMatch',
    `Multiple security_group matches found for name '${name}', use an ID to be more specific.`,
  );
}

/** 409 NoUniqueMatch of server create (neutron.py _process_security_groups: two groups of the name). */
export function requestedSecurityGroupNoUniqueMatch(name: string): DomainError {
  return new DomainError(
    'conflict',
    'NoUniqueMatch',
    `Multiple security groups found matching '${name}'. Use an ID to be more specific.`,
  );
}

/** 404 `Security group <name> is not found for project <project>` (security_group_api). */
export function securityGroupNotFoundForProject(name: string, projectId: string): DomainError {
  return new DomainError(
    'not-found',
    'SecurityGroupNotFound',
    `Security group ${name} is not found for project ${projectId}`,
  );
}

/** 404 of add/removeSecurityGroup on a server without ports (security_group_api). */
export function serverHasNoPorts(serverId: string): DomainError {
  return new DomainError(
    'not-found',
    'SecurityGroupNotFound',
    `instance_id ${serverId} could not be found as device id on any ports`,
  );
}

/** 404 of removeSecurityGroup for a group none of the server's ports has (security_group_api). */
export function securityGroupNotAssociated(name: string, serverId: string): DomainError {
  return new DomainError(
    'not-found',
    'SecurityGroupNotFound',
    `Security group ${name} not associated with the instance ${serverId}`,
  );
}

/** 403 OnsetFileLimitExceeded (personality files past the quota; `allowed`, where a limit is known). */
export function onsetFileLimitExceeded(message: string, allowed?: number): DomainError {
  return new DomainError(
    'forbidden',
    'OnsetFileLimitExceeded',
    message,
    allowed === undefined ? undefined : { allowed },
  );
}

/** 413 of an upload past image_size_cap (Glance's LimitingReader: ImageSizeLimitExceeded). */
export function imageTooLarge(): DomainError {
  return new DomainError(
    'over-limit',
    'ImageSizeLimitExceeded',
    'The incoming image is too large: The provided image is too large.',
  );
}

// ---------------------------------------------------------------------------
// not-found
// ---------------------------------------------------------------------------

/** 404 `Instance <id> could not be found.` (`common.get_instance`, B15-B17, B20, B37, B43). */
export function serverNotFound(id: string): DomainError {
  return new DomainError('not-found', 'ServerNotFound', `Instance ${id} could not be found.`, { id });
}

/** 404 `Flavor <id> could not be found.` (`FlavorNotFound`). */
export function flavorNotFound(id: string): DomainError {
  return new DomainError('not-found', 'FlavorNotFound', `Flavor ${id} could not be found.`, { id });
}

/** 404 `Service <id> could not be found.` (`ServiceNotFound`). */
export function serviceNotFound(id: string): DomainError {
  return new DomainError('not-found', 'ServiceNotFound', `Service ${id} could not be found.`, { id });
}

/** 404 `Compute host <host> could not be found.` (`ComputeHostNotFound`, a service named by host and binary). */
export function computeHostNotFound(host: string): DomainError {
  return new DomainError('not-found', 'ServiceNotFound', `Compute host ${host} could not be found.`, { host });
}

/** 404 `Action <request id> on instance <id> could not be found.` (`InstanceActionNotFound`). */
export function instanceActionNotFound(requestId: string, serverId: string): DomainError {
  return new DomainError(
    'not-found',
    'InstanceActionNotFound',
    `Action ${requestId} on instance ${serverId} could not be found.`,
    { requestId, serverId },
  );
}

/** 404 `Guest does not have a console available.` (`ConsoleNotAvailable`). */
export function consoleNotAvailable(): DomainError {
  return new DomainError('not-found', 'ConsoleNotAvailable', 'Guest does not have a console available.');
}

/** 404 `Unknown action` for a legacy (before 2.53) `PUT /os-services/<action>` naming no action Nova knows. */
export function unknownServiceAction(action: string): DomainError {
  return new DomainError('not-found', 'UnknownAction', 'Unknown action', { action });
}

/** 400: a fault the control API cannot inject as asked (a `freeze` is a whole node's `hang`). */
export function invalidFault(reason: string): DomainError {
  return new DomainError('invalid', 'InvalidFault', `Invalid fault: ${reason}`);
}

/** 404 `Fault could not be found.` (Stratus' fault-injection API). */
export function faultNotFound(): DomainError {
  return new DomainError('not-found', 'FaultNotFound', 'Fault could not be found.');
}

/** 404 `Metadata item was not found` (server_metadata.py show and delete). */
export function metadataItemNotFound(): DomainError {
  return new DomainError('not-found', 'MetadataItemNotFound', 'Metadata item was not found');
}

/** 404 `Server <id> has no tag '<tag>'` (server_tags.py show). */
export function serverHasNoTag(id: string, tag: string): DomainError {
  return new DomainError('not-found', 'TagNotFound', `Server ${id} has no tag '${tag}'`, { id, tag });
}

/** 404 `Instance <id> has no tag '<tag>'` (InstanceTagNotFound: server_tags.py delete). */
export function instanceTagNotFound(id: string, tag: string): DomainError {
  return new DomainError('not-found', 'InstanceTagNotFound', `Instance ${id} has no tag '${tag}'`, { id, tag });
}

// ---------------------------------------------------------------------------
// conflict
// ---------------------------------------------------------------------------

/** 409 `Instance <id> is locked` (`InstanceIsLocked`, B18, B38; also stop/start/pause... when locked). */
export function serverLocked(id: string): DomainError {
  return new DomainError('conflict', 'ServerLocked', `Instance ${id} is locked`, { id });
}

/**
 * 409 `Cannot '<action>' instance <id> while it is in <attr> <state>`
 * (`raise_http_conflict_for_instance_invalid_state`). `action` is the name the
 * controller passes (e.g. 'stop', 'reboot', 'shelveOffload'); `state` null
 * renders as `None`, as Python would.
 */
export function invalidState(
  action: string,
  id: string,
  attr: 'vm_state' | 'task_state' | 'launched_at' | string,
  state: string | null,
): DomainError {
  return new DomainError(
    'conflict',
    'InstanceInvalidState',
    `Cannot '${action}' instance ${id} while it is in ${attr} ${pyStr(state)}`,
    { action, id, attr, state },
  );
}

/**
 * 409 `Instance <id> is in an invalid state for '<action>'` - the fallback text
 * of `raise_http_conflict_for_instance_invalid_state` when the exception has no
 * attr/state. Nova's restore of a locked server produces exactly this (B35).
 */
export function invalidStateGeneric(action: string, id: string, reason?: string): DomainError {
  return new DomainError(
    'conflict',
    'InstanceInvalidState',
    `Instance ${id} is in an invalid state for '${action}'`,
    reason === undefined ? { action, id } : { action, id, reason },
  );
}

/** 409 `Instance <id> is not ready` (`InstanceNotReady`: stop/start of a server with no host). */
export function serverNotReady(id: string): DomainError {
  return new DomainError('conflict', 'InstanceNotReady', `Instance ${id} is not ready`, { id });
}

/** A generic 409 with a caller-supplied message (e.g. a concurrent state change). */
export function conflict(message: string, code = 'Conflict'): DomainError {
  return new DomainError('conflict', code, message);
}

// ---------------------------------------------------------------------------
// forbidden
// ---------------------------------------------------------------------------

/** 403 `Policy doesn't allow <rule> to be performed.` (`PolicyNotAuthorized`, B21, B22, B40). */
export function policyRefused(rule: string): DomainError {
  return new DomainError('forbidden', 'PolicyNotAuthorized', `Policy doesn't allow ${rule} to be performed.`, {
    rule,
  });
}

/** 403 for a non-admin `GET /servers?status=DELETED` (B47). */
export function deletedListingForbidden(): DomainError {
  return new DomainError('forbidden', 'Forbidden', 'Only administrators may list deleted instances');
}

/**
 * 403 `Maximum number of metadata items exceeds <allowed>` (MetadataLimitExceeded, an OverQuota
 * the metadata and create controllers answer with HTTPForbidden).
 */
export function metadataLimitExceeded(allowed: number): DomainError {
  return new DomainError('forbidden', 'MetadataLimitExceeded', `Maximum number of metadata items exceeds ${allowed}`, {
    allowed,
  });
}

// ---------------------------------------------------------------------------
// invalid (400)
// ---------------------------------------------------------------------------

/** 400 with a caller-supplied message. */
export function invalid(message: string, details?: Record<string, unknown>): DomainError {
  return new DomainError('invalid', 'Invalid', message, details);
}

/** 400 `The number of tags exceeded the per-server limit <max>` (server_tags.py update). */
export function tooManyTags(max: number): DomainError {
  return new DomainError('invalid', 'TooManyTags', `The number of tags exceeded the per-server limit ${max}`, { max });
}

/** 400 for a tag parameter_types.tag refuses (server_tags.py update: the tag is the URL's). */
export function invalidTag(tag: string, problem: string): DomainError {
  return new DomainError(
    'invalid',
    'InvalidTag',
    `Tag '${tag}' is invalid. It must be a non empty string without characters '/' and ','. Validation error message: ${problem}`,
    { tag },
  );
}

/** 400 `Invalid status value` (unknown `status=` list filter from 2.38). */
export function invalidStatusFilter(): DomainError {
  return new DomainError('invalid', 'Invalid', 'Invalid status value');
}

/** 400 `There is no such action: <name>` (unknown key on `POST /servers/{id}/action`). */
export function noSuchAction(name: string): DomainError {
  return new DomainError('invalid', 'Invalid', `There is no such action: ${name}`, { action: name });
}

/** 400 for a URL project id that differs from the token's (B24). */
export function projectIdMismatch(urlProjectId: string, contextProjectId: string): DomainError {
  return new DomainError(
    'invalid',
    'Invalid',
    `Malformed request URL: URL's project_id '${urlProjectId}' doesn't match Context's project_id '${contextProjectId}'`,
    { urlProjectId, contextProjectId },
  );
}

// ---------------------------------------------------------------------------
// identity (Keystone's messages, keystone/exception.py)
// ---------------------------------------------------------------------------

/** 403 `ForbiddenAction`: a token rule (`identity:validate_token`…) refused the caller. */
export function actionForbidden(rule: string): DomainError {
  return new DomainError('forbidden', 'Forbidden', `You are not authorized to perform the requested action: ${rule}.`, {
    rule,
  });
}

/** 404 for a token request without an X-Subject-Token header. */
export function noSubjectToken(): DomainError {
  return new DomainError('not-found', 'TokenNotFound', 'No token in the request');
}

/** 404 for an X-Subject-Token that is unknown, revoked or expired. */
export function subjectTokenInvalid(): DomainError {
  return new DomainError('not-found', 'TokenNotFound', 'Failed to validate token');
}

/** 404 `Could not find token: <token>.` (`TokenNotFound`: revoking a token that is not there). */
export function tokenNotFound(token: string): DomainError {
  return new DomainError('not-found', 'TokenNotFound', `Could not find token: ${token}.`);
}

/** 400 Keystone's `ValidationError` for a missing attribute (`Expecting to find domain in user.` …). */
export function attributeExpected(attribute: string, target: string): DomainError {
  return new DomainError(
    'invalid',
    'ValidationError',
    `Expecting to find ${attribute} in ${target}. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.`,
    { attribute, target },
  );
}

// ---------------------------------------------------------------------------
// image (Glance's messages, glance/api/v2/images.py)
// ---------------------------------------------------------------------------

/** 404 `No image found with ID <id>`. */
export function imageNotFound(id: string): DomainError {
  return new DomainError('not-found', 'ImageNotFound', `No image found with ID ${id}`, { id });
}

/** 404 `Failed to find image <id> to delete` (Glance words a missing image differently when deleting). */
export function imageToDeleteNotFound(id: string): DomainError {
  return new DomainError('not-found', 'ImageNotFound', `Failed to find image ${id} to delete`, { id });
}

/** 403 `Attribute '<key>' is read-only.` */
export function readonlyProperty(key: string): DomainError {
  return new DomainError('forbidden', 'ReadonlyProperty', `Attribute '${key}' is read-only.`, { key });
}

/** 403 `Attribute '<key>' is reserved.` */
export function reservedProperty(key: string): DomainError {
  return new DomainError('forbidden', 'ReservedProperty', `Attribute '${key}' is reserved.`, { key });
}

/** 403 for a property only admins may set (Glance's protected-property refusal). */
export function protectedProperty(key: string): DomainError {
  return new DomainError('forbidden', 'Forbidden', `Property '${key}' is protected.`, { key });
}

/** 403 for a non-admin creating an image owned by another project. */
export function imageOwnerForbidden(owner: string): DomainError {
  return new DomainError('forbidden', 'Forbidden', `You are not permitted to create images owned by '${owner}'.`, {
    owner,
  });
}

/** 409 `Image ID <id> already exists!` */
export function imageExists(id: string): DomainError {
  return new DomainError('conflict', 'Duplicate', `Image ID ${id} already exists!`, { id });
}

/** 403 `Image <id> is protected and cannot be deleted.` */
export function imageProtected(id: string): DomainError {
  return new DomainError('forbidden', 'ImageProtected', `Image ${id} is protected and cannot be deleted.`, { id });
}

// ---------------------------------------------------------------------------
// network (Neutron's messages; the code is the NeutronError type on the wire)
// ---------------------------------------------------------------------------

/** 404 `<Kind> <id> could not be found.` (`NetworkNotFound`, `SubnetNotFound`, `PortNotFound`). */
export function neutronNotFound(kind: 'Network' | 'Subnet' | 'Port', id: string): DomainError {
  return new DomainError('not-found', `${kind}NotFound`, `${kind} ${id} could not be found.`, { id });
}

/** 500 `Failed to attach network adapter device to <id>` (`InterfaceAttachFailed`: the node could not plug the port). */
export function interfaceAttachFailed(serverId: string): DomainError {
  return new DomainError('failed', 'InterfaceAttachFailed', `Failed to attach network adapter device to ${serverId}`, {
    serverId,
  });
}

/** 409 `No more IP addresses available on network <id>.` (`IpAddressGenerationFailure`). */
export function ipAddressesExhausted(networkId: string): DomainError {
  return new DomainError(
    'conflict',
    'IpAddressGenerationFailure',
    `No more IP addresses available on network ${networkId}.`,
    { networkId },
  );
}

// ---------------------------------------------------------------------------
// unavailable (503) / unauthorized (401)
// ---------------------------------------------------------------------------

/**
 * 503: the database is unreachable and nothing was changed. The code is Nova's fault key, which
 * Neutron's format does not take for its own type (clients see HTTPServiceUnavailable there).
 */
export function databaseUnavailable(): DomainError {
  return new DomainError('unavailable', 'serviceUnavailable', 'The database is temporarily unavailable. Retry later.');
}

/** 409 for a write that lost to a unique key (a create racing another with the same id or name). */
export function alreadyExists(): DomainError {
  return new DomainError('conflict', 'conflictingRequest', 'The resource already exists.');
}

/** 401 with keystonemiddleware's text (B25). */
export function unauthorized(message = 'The request you have made requires authentication.'): DomainError {
  return new DomainError('unauthorized', 'Unauthorized', message);
}

// ---------------------------------------------------------------------------
// quotas (nova/exception.py OverQuota and its subclasses; every controller answers them 403)
// ---------------------------------------------------------------------------

/** One resource over its limit: what was asked for, what is held, the limit. */
export interface Over {
  resource: string;
  requested: number | string;
  used: number;
  limit: number;
}

/**
 * 403 `Quota exceeded for cores, ram: Requested 2, 1024, but already used 9, 512 of 10, 1024
 * cores, ram` (TooManyInstances, as compute/utils.py check_num_instances_quota builds it).
 */
export function tooManyInstances(overs: Over[]): DomainError {
  const list = (f: (o: Over) => unknown) => overs.map((o) => String(f(o))).join(', ');
  const names = list((o) => o.resource);
  return new DomainError(
    'forbidden',
    'TooManyInstances',
    `Quota exceeded for ${names}: Requested ${list((o) => o.requested)}, but already used ${list((o) => o.used)} of ${list((o) => o.limit)} ${names}`,
    { overs },
  );
}

/** Nova's own exception (and message) for one resource over its limit. */
export function overQuota(over: Over): DomainError {
  const fail = (code: string, message: string) => new DomainError('forbidden', code, message, { over });
  switch (over.resource) {
    case 'instances':
    case 'cores':
    case 'ram':
      return tooManyInstances([over]);
    case 'key_pairs':
      return fail('KeypairLimitExceeded', 'Quota exceeded, too many key pairs.');
    case 'server_groups':
      return fail('ServerGroupLimitExceeded', 'Quota exceeded, too many server groups.');
    case 'server_group_members':
      return fail('GroupMemberLimitExceeded', 'Quota exceeded, too many servers in group');
    case 'metadata_items':
      return fail('MetadataLimitExceeded', `Maximum number of metadata items exceeds ${over.limit}`);
    case 'injected_files':
      return fail('OnsetFileLimitExceeded', 'Personality file limit exceeded');
    case 'injected_file_path_bytes':
      return fail('OnsetFilePathLimitExceeded', `Personality file path exceeds maximum ${over.limit}`);
    case 'injected_file_content_bytes':
      return fail('OnsetFileContentLimitExceeded', `Personality file content exceeds maximum ${over.limit}`);
    default:
      return fail('OverQuota', `Quota exceeded for resources: ['${over.resource}']`);
  }
}

// ---------------------------------------------------------------------------
// the 2.1 proxies (images, image metadata, network proxies) and /servers/{id}/ips
// ---------------------------------------------------------------------------

/** 404 `Image not found.` (images.py and image_metadata.py, whatever the image service said). */
export function proxyImageNotFound(id: string): DomainError {
  return new DomainError('not-found', 'ImageNotFound', 'Image not found.', { id });
}

/** 403 `You are not allowed to delete the image.` (images.py delete: Glance's 403, protected or not permitted). */
export function imageDeleteNotAllowed(id: string): DomainError {
  return new DomainError('forbidden', 'ImageNotAuthorized', 'You are not allowed to delete the image.', { id });
}

/** 403 `Not authorized for image <id>.` (ImageNotAuthorized: Glance refused an update). */
export function imageNotAuthorized(id: string): DomainError {
  return new DomainError('forbidden', 'ImageNotAuthorized', `Not authorized for image ${id}.`, { id });
}

/** 403 `Image metadata limit exceeded` (common.check_img_metadata_properties_quota). */
export function imageMetadataLimitExceeded(): DomainError {
  return new DomainError('forbidden', 'OverQuota', 'Image metadata limit exceeded');
}

/** 404 `Invalid metadata key` (image_metadata.py delete of a missing key). */
export function invalidMetadataKey(): DomainError {
  return new DomainError('not-found', 'InvalidMetadataKey', 'Invalid metadata key');
}

/** 404 `The resource could not be found.` (webob's default, as image_metadata.py show of a missing key). */
export function resourceNotFound(): DomainError {
  return new DomainError('not-found', 'NotFound', 'The resource could not be found.');
}

/** 400 `Marker <marker> could not be found.` (MarkerNotFound). */
export function markerNotFound(marker: string): DomainError {
  return new DomainError('invalid', 'MarkerNotFound', `Marker ${marker} could not be found.`, { marker });
}

/** 404 `Instance is not a member of specified network` (ips.py show). */
export function notMemberOfNetwork(label: string): DomainError {
  return new DomainError('not-found', 'NetworkNotFound', 'Instance is not a member of specified network', { label });
}

/** 404 `Network not found` (tenant_networks.py show). */
export function tenantNetworkNotFound(id: string): DomainError {
  return new DomainError('not-found', 'NetworkNotFound', 'Network not found', { id });
}

/** 404 `Floating IP not found for ID <id>` (floating_ips.py show and delete). */
export function floatingIpNotFound(id: string): DomainError {
  return new DomainError('not-found', 'FloatingIpNotFound', `Floating IP not found for ID ${id}`, { id });
}

/** 404 `Floating IP pool not found.` (FloatingIpPoolNotFound). */
export function floatingIpPoolNotFound(): DomainError {
  return new DomainError('not-found', 'FloatingIpPoolNotFound', 'Floating IP pool not found.');
}

/** 404 `No more floating IPs in pool <pool>.` (floating_ips.py create on NoMoreFloatingIps). */
export function noMoreFloatingIps(pool: string): DomainError {
  return new DomainError('not-found', 'NoMoreFloatingIps', `No more floating IPs in pool ${pool}.`, { pool });
}

/** 400 `Security group id should be uuid` (security_group_api.validate_id). */
export function securityGroupIdNotUuid(): DomainError {
  return new DomainError('invalid', 'Invalid', 'Security group id should be uuid');
}

// ---------------------------------------------------------------------------
// rescue, changePassword (nova/exception.py)
// ---------------------------------------------------------------------------

/** 400 `Requested rescue image '<ref>' is not supported` (`UnsupportedRescueImage`: an unknown rescue_image_ref). */
export function unsupportedRescueImage(ref: string): DomainError {
  return new DomainError('invalid', 'UnsupportedRescueImage', `Requested rescue image '${ref}' is not supported`, {
    ref,
  });
}

/** 409 `Set admin password is not supported` (`SetAdminPasswdNotSupported`: the hypervisor cannot). */
export function setAdminPasswdNotSupported(): DomainError {
  return new DomainError('conflict', 'SetAdminPasswdNotSupported', 'Set admin password is not supported');
}

/** 409 `Failed to set admin password on <id> because <reason>` (`InstancePasswordSetFailed`). */
export function instancePasswordSetFailed(id: string, reason: string): DomainError {
  return new DomainError(
    'conflict',
    'InstancePasswordSetFailed',
    `Failed to set admin password on ${id} because ${reason}`,
    { id },
  );
}

// ---------------------------------------------------------------------------
// Image data and the server actions that make or use images (rebuild, createImage, shelve)

/** 409 `Image status transition from <from> to <to> is not allowed` (Glance's InvalidImageStatusTransition). */
export function imageStatusTransition(from: string, to: string): DomainError {
  return new DomainError(
    'conflict',
    'InvalidImageStatusTransition',
    `Image status transition from ${from} to ${to} is not allowed`,
    { from, to },
  );
}
