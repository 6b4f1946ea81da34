import { DomainError } from './errors.js';

/**
 * Cinder's user-visible errors (cinder/exception.py), messages verbatim. Cinder answers every
 * `Invalid` with 400 and every `NotFound` with 404; a `QuotaError` is 413 with `Retry-After: 0`.
 * Pure module.
 */

export const volumeNotFound = (id: string) =>
  new DomainError('not-found', 'VolumeNotFound', `Volume ${id} could not be found.`, { id });
export const snapshotNotFound = (id: string) =>
  new DomainError('not-found', 'SnapshotNotFound', `Snapshot ${id} could not be found.`, { id });
export const volumeTypeNotFound = (id: string) =>
  new DomainError('not-found', 'VolumeTypeNotFound', `Volume type ${id} could not be found.`, { id });
export const volumeTypeNotFoundByName = (name: string) =>
  new DomainError('not-found', 'VolumeTypeNotFoundByName', `Volume type with name ${name} could not be found.`, {
    name,
  });
/** 404 MarkerNotFound (a list's marker names nothing). */
export const markerNotFound = (marker: string) =>
  new DomainError('not-found', 'MarkerNotFound', `Marker ${marker} could not be found.`, { marker });
export const attachmentNotFound = (id: string) =>
  new DomainError(
    'not-found',
    'VolumeAttachmentNotFound',
    `Volume attachment could not be found with filter: attachment_id = ${id}.`,
    { id },
  );
export const volumeMetadataNotFound = (id: string, key: string) =>
  new DomainError('not-found', 'VolumeMetadataNotFound', `Volume ${id} has no metadata with key ${key}.`, {
    id,
    key,
  });
export const imageNotFound = (id: string) =>
  new DomainError('not-found', 'ImageNotFound', `Image ${id} could not be found.`, { id });
export const projectQuotaNotFound = (id: string) =>
  new DomainError('not-found', 'ProjectQuotaNotFound', `Quota for project ${id} could not be found.`, { id });
/** webob's HTTPNotFound without an explanation (a resource the router knows, an unknown id). */
export const resourceNotFound = () => new DomainError('not-found', 'NotFound', 'The resource could not be found.');

/** `Invalid input received: <reason>` (InvalidInput). */
export const invalidInput = (reason: string) =>
  new DomainError('invalid', 'InvalidInput', `Invalid input received: ${reason}`);
/** `Invalid volume: <reason>` (InvalidVolume). */
export const invalidVolume = (reason: string) =>
  new DomainError('invalid', 'InvalidVolume', `Invalid volume: ${reason}`);
/** `Invalid snapshot: <reason>` (InvalidSnapshot). */
export const invalidSnapshot = (reason: string) =>
  new DomainError('invalid', 'InvalidSnapshot', `Invalid snapshot: ${reason}`);
/** `Invalid volume type: <reason>` (InvalidVolumeType). */
export const invalidVolumeType = (reason: string) =>
  new DomainError('invalid', 'InvalidVolumeType', `Invalid volume type: ${reason}`);
/** A plain 400 whose text is the controller's own (webob.exc.HTTPBadRequest(explanation=msg)). */
export const volumeBadRequest = (message: string) => new DomainError('invalid', 'BadRequest', message);

/** 409 `Volume Type <id> already exists.` (VolumeTypeExists, a Duplicate). */
export const volumeTypeExists = (name: string) =>
  new DomainError('conflict', 'VolumeTypeExists', `Volume Type ${name} already exists.`, { name });
/** 400 VolumeTypeInUse (types_manage.py answers it with HTTPBadRequest). */
export const volumeTypeInUse = (id: string) =>
  new DomainError(
    'invalid',
    'VolumeTypeInUse',
    `Volume Type ${id} deletion is not allowed with volumes present with the type.`,
    { id },
  );
/** 409 ResourceConflict (attachment_update of a volume in a state that cannot take it). */
export const resourceConflict = (reason: string) =>
  new DomainError('conflict', 'ResourceConflict', `Conflicting resource: ${reason}`);

const quota = (code: string, message: string) => new DomainError('over-limit', code, message, { retryAfter: '0' });
export const volumeLimitExceeded = (allowed: number, name = 'volumes') =>
  quota(
    'VolumeLimitExceeded',
    `VolumeLimitExceeded: Maximum number of volumes allowed (${allowed}) exceeded for quota '${name}'.`,
  );
export const snapshotLimitExceeded = (allowed: number) =>
  quota('SnapshotLimitExceeded', `SnapshotLimitExceeded: Maximum number of snapshots allowed (${allowed}) exceeded`);
export const volumeSizeExceedsAvailableQuota = (name: string, requested: number, quotaGb: number, consumed: number) =>
  quota(
    'VolumeSizeExceedsAvailableQuota',
    `VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed ${name} quota. Requested ${requested}G, quota is ${quotaGb}G and ${consumed}G has been consumed.`,
  );
export const volumeSizeExceedsLimit = (size: number, limit: number) =>
  quota(
    'VolumeSizeExceedsLimit',
    `VolumeSizeExceedsLimit: Requested volume size ${size}G is larger than maximum allowed limit ${limit}G.`,
  );
