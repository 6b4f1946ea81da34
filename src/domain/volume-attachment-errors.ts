import { DomainError } from './errors.js';

/**
 * Nova's answers of os-volume_attachments (nova/api/openstack/compute/volume_attachments.py and
 * the exceptions compute/api.py raises), messages verbatim. Pure module.
 */

/** 404: the volume is not mapped to the server (VolumeBDMNotFound, the controller's text). */
export const volumeNotAttached = (serverId: string, volumeId: string) =>
  new DomainError('not-found', 'VolumeBDMNotFound', `Instance ${serverId} is not attached to volume ${volumeId}`, {
    serverId,
    volumeId,
  });
/** 400: the boot volume stays (bdm.is_root). */
export const rootVolumeDetach = () => new DomainError('invalid', 'BadRequest', 'Cannot detach a root device volume');
/** 400 InvalidVolume from _check_volume_already_attached (no multiattach). */
export const volumeAlreadyAttached = (volumeId: string, serverIds: string[]) =>
  new DomainError(
    'invalid',
    'InvalidVolume',
    `Invalid volume: volume ${volumeId} is already attached to instances: ${serverIds.join(' ')}`,
  );
/** 400: Cinder refused (its 400 reaches Nova as InvalidInput with cinderclient's text). */
export const cinderRefused = (cinderMessage: string) =>
  new DomainError('invalid', 'InvalidInput', `Invalid input received: ${cinderMessage} (HTTP 400)`);
/** 400: detach's begin_detaching refused (_detach_volume wraps the InvalidInput into InvalidVolume). */
export const detachRefused = (cinderMessage: string) =>
  new DomainError('invalid', 'InvalidVolume', `Invalid volume: Invalid input received: ${cinderMessage} (HTTP 400)`);
/** 400: _update_volume_regular's read-only properties. */
export const notMutable = (field: string) =>
  new DomainError('invalid', 'BadRequest', `The ${field} property is not mutable`);
/** 409: swap volume outside a Cinder migration (_update_volume_swap). */
export const volumeNotMigrating = (volumeId: string) =>
  new DomainError(
    'conflict',
    'Conflict',
    `volume ${volumeId} is not migrating; this API should only be called by Cinder`,
  );
