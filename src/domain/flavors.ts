/** Flavor errors with Nova's messages (nova/exception.py and nova/api/openstack/compute/flavor*.py). */
import { DomainError } from './errors.js';

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
