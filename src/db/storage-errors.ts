import { alreadyExists, databaseUnavailable, invalid, type DomainError } from '../domain/errors.js';
import { isInvalidValue, isUnavailableError, isUniqueViolation } from './dialects/index.js';

/**
 * A storage error as the domain error it means to a client, or undefined when it is not one:
 * the HTTP layer renders it without knowing which database raised it.
 */
export function storageErrorAsDomainError(err: unknown): DomainError | undefined {
  if (isUnavailableError(err)) return databaseUnavailable();
  if (isUniqueViolation(err)) return alreadyExists();
  if (isInvalidValue(err)) return invalid('Invalid input: a value is out of range or not allowed.');
  return undefined;
}
