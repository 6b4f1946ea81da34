/**
 * Keystone's admin-API errors (keystone/exception.py), with its messages verbatim. Pure module.
 * The fault mapper renders them as `{"error": {"code", "title", "message"}}` under /identity.
 */
import { DomainError } from './errors.js';

const notFound = (code: string, what: string, id: string) =>
  new DomainError('not-found', code, `Could not find ${what}: ${id}.`, { id });

export const projectNotFound = (id: string) => notFound('ProjectNotFound', 'project', id);
export const userNotFound = (id: string) => notFound('UserNotFound', 'user', id);
export const domainNotFound = (id: string) => notFound('DomainNotFound', 'domain', id);
export const roleNotFound = (id: string) => notFound('RoleNotFound', 'role', id);

/** 404 `RoleAssignmentNotFound` (HEAD or DELETE of a grant that is not there). */
export function roleAssignmentNotFound(roleId: string, actorId: string, targetId: string): DomainError {
  return new DomainError(
    'not-found',
    'RoleAssignmentNotFound',
    `Could not find role assignment with role: ${roleId}, user or group: ${actorId}, project, domain, or system: ${targetId}.`,
  );
}

/** 409 `Conflict` as keystone's sql handle_conflicts words a duplicate name in a domain. */
export function duplicateName(type: string, name: string, domainId?: string): DomainError {
  const details = domainId
    ? `Duplicate entry found with name ${name} at domain ID ${domainId}`
    : `Duplicate entry found with name ${name}`;
  return storeConflict(type, details);
}

/** 409 `Conflict`: `Conflict occurred attempting to store <type> - <details>.` */
export function storeConflict(type: string, details: string): DomainError {
  return new DomainError('conflict', 'Conflict', `Conflict occurred attempting to store ${type} - ${details}.`);
}

/** 400 `SchemaValidationError`: the detail is jsonschema's message, Keystone adds nothing. */
export function schemaInvalid(detail: string): DomainError {
  return new DomainError('invalid', 'SchemaValidationError', detail);
}

/** 400 `ValidationError` with its own message (keystone raises these from the managers). */
export function identityInvalid(message: string): DomainError {
  return new DomainError('invalid', 'ValidationError', message);
}

/** 403 `ForbiddenNotSecurity` / `ForbiddenAction` raised by a manager, not by policy. */
export function identityForbidden(message: string): DomainError {
  return new DomainError('forbidden', 'ForbiddenNotSecurity', message);
}
