import { alreadyExists, databaseUnavailable, type DomainError } from '../domain/errors.js';
import { isUnavailableError, isUniqueViolation } from './dialects/index.js';

/**
 * A storage error as the domain error it means to a client, or undefined when it is not one:
 * the HTTP layer renders it without knowing which database raised it.
 */
export function storageErrorAsDomainError(err: unknown): DomainError | undefined {
  if (isUnavailableError(err)) return databaseUnavailable();
  if (isUniqueViolation(err)) return alreadyExists();
  return undefined;
}
