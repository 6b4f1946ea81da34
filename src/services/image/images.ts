import type { Caller, Deps } from '../context.js';
import { authorize, canonicalUuid } from '../access.js';
import * as catalog from '../../db/repositories/catalog.repository.js';
import type { Executor } from '../../db/executor.js';
import {
  DomainError,
  imageExists,
  imageStatusTransition,
  imageNotFound,
  imageOwnerForbidden,
  imageProtected,
  imageToDeleteNotFound,
  readonlyProperty,
  reservedProperty,
} from '../../domain/errors.js';
import { iso } from '../../domain/clock.js';
import { GUEST_COMMAND_PROPERTY, imageVisibleTo, refuseGuestCommand } from '../../domain/images.js';
import { openImageFile, removeImageFile, saveImageData } from './image-store.js';

export type ImageRow = NonNullable<Awaited<ReturnType<typeof catalog.getImage>>>;

/** The project whose private images a caller sees; admins see every image (undefined). */
const scopeOf = (caller: Caller) => (caller.isAdmin ? undefined : caller.projectId);

export interface ImageFilter {
  name?: string;
  status?: string;
  visibility?: string;
  id?: string;
  /** Glance v2 filters on extra properties by name (`?image_type=backup&instance_uuid=…`). */
  properties?: Record<string, string>;
  /** `sort_dir` of the created_at order (Glance's default: desc). */
  sortDir?: 'asc' | 'desc';
}

export async function listImages(deps: Deps, caller: Caller, q: ImageFilter): Promise<ImageRow[]> {
  let images = await catalog.listImages(deps.db, scopeOf(caller));
  if (q.name) images = images.filter((i) => i.name === q.name);
  if (q.status) images = images.filter((i) => i.status === q.status);
  if (q.visibility) images = images.filter((i) => i.visibility === q.visibility);
  if (q.id) images = images.filter((i) => i.id === q.id);
  for (const [k, v] of Object.entries(q.properties ?? {}))
    images = images.filter((i) => (JSON.parse(i.properties) as Record<string, unknown>)[k] === v);
  return q.sortDir === 'asc' ? images.reverse() : images;
}

/** An image the caller may not see is "not found", as in Glance. */
export async function showImage(deps: Deps, caller: Caller, id: string): Promise<ImageRow> {
  const uuid = canonicalUuid(id);
  const img = uuid ? await catalog.getImage(deps.db, uuid) : undefined;
  if (!img || !imageVisibleTo(img, scopeOf(caller))) throw imageNotFound(id);
  return img;
}

/** showImage in the caller's transaction (the volume service reads an image inside its own). */
export async function showImageIn(ex: Executor, caller: Caller, id: string): Promise<ImageRow> {
  const uuid = canonicalUuid(id);
  const img = uuid ? await catalog.getImage(ex, uuid) : undefined;
  if (!img || !imageVisibleTo(img, scopeOf(caller))) throw imageNotFound(id);
  return img;
}

/** Glance's image-create fields; any other key of the body is kept as an image property. */
const KNOWN_FIELDS = new Set([
  'name',
  'visibility',
  'disk_format',
  'container_format',
  'min_disk',
  'min_ram',
  'protected',
  'id',
  'tags',
  'owner',
  'os_hidden',
]);

/**
 * Glance's refusals for fields a client may not set (glance/api/v2/images.py and glance/domain
 * ImageFactory): server-computed fields are read-only, these others reserved.
 */
const READ_ONLY = [
  'created_at',
  'updated_at',
  'status',
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'size',
  'virtual_size',
  'direct_url',
  'self',
  'file',
  'schema',
];
const RESERVED = ['location', 'locations', 'deleted', 'deleted_at'];

/**
 * Glance refuses fields a client may not set before it looks at their values (its request
 * deserializer runs ahead of the schema), so the route calls this before schema validation too.
 */
export function refuseServerSetFields(b: unknown): void {
  if (!b || typeof b !== 'object') return;
  for (const key of READ_ONLY) if (Object.hasOwn(b, key)) throw readonlyProperty(key);
  for (const key of RESERVED) if (Object.hasOwn(b, key)) throw reservedProperty(key);
}

/** POST /v2/images: the record; it stays `queued` until its data is uploaded (Glance). */
export async function createImage(deps: Deps, caller: Caller, b: Record<string, unknown>): Promise<ImageRow> {
  authorize(deps, caller, 'stratus:image:create', { project_id: caller.projectId });
  refuseServerSetFields(b);
  refuseGuestCommand(b, caller.isAdmin);
  // Glance: only an admin may create an image owned by another project (or by none: null).
  const owner = b.owner === undefined ? caller.projectId : (b.owner as string | null);
  if (owner !== caller.projectId && !caller.isAdmin) throw imageOwnerForbidden(owner ?? 'None');
  if (b.visibility === 'public') authorize(deps, caller, 'stratus:image:publicize', { project_id: caller.projectId });
  const now = iso(deps.clock.now());
  const props = Object.fromEntries(Object.entries(b).filter(([k]) => !KNOWN_FIELDS.has(k)));
  const id = typeof b.id === 'string' && canonicalUuid(b.id) ? canonicalUuid(b.id)! : deps.ids.uuid();
  // Glance's wording; a create racing this one still gets the generic 409 from the unique key.
  if (await catalog.getImage(deps.db, id)) throw imageExists(id);
  await catalog.insertImage(deps.db, {
    id,
    name: String(b.name ?? ''),
    status: 'queued',
    visibility: String(b.visibility ?? 'shared'),
    owner,
    disk_format: (b.disk_format as string | null) ?? null,
    container_format: (b.container_format as string | null) ?? null,
    // Glance: no data, no size yet.
    size: null,
    min_disk: Number(b.min_disk ?? 0),
    min_ram: Number(b.min_ram ?? 0),
    protected: b.protected ? 1 : 0,
    properties: JSON.stringify(props),
    created_at: now,
    updated_at: now,
  });
  return (await catalog.getImage(deps.db, id))!;
}

export async function deleteImage(deps: Deps, caller: Caller, id: string): Promise<void> {
  const img = await showImage(deps, caller, id).catch((e: unknown) => {
    // Glance words a missing image differently when deleting.
    throw e instanceof DomainError && e.code === 'ImageNotFound' ? imageToDeleteNotFound(id) : e;
  });
  authorize(deps, caller, 'stratus:image:delete', { project_id: img.owner ?? caller.projectId });
  if (img.protected) throw imageProtected(img.id);
  await catalog.deleteImage(deps.db, img.id);
  await removeImageFile(deps.config.data, img.id);
}

/**
 * PUT /v2/images/{id}/file (glance/api/v2/image_data.py upload): the owner's members or an
 * admin; only a queued image takes data (409 otherwise, Glance's status-transition message).
 */
export async function uploadImageData(
  deps: Deps,
  caller: Caller,
  id: string,
  data: AsyncIterable<Uint8Array>,
): Promise<void> {
  const img = await showImage(deps, caller, id);
  authorize(deps, caller, 'stratus:image:upload', { project_id: img.owner ?? '' });
  if (img.status !== 'queued') throw imageStatusTransition(img.status, 'saving');
  const store = { db: deps.db, clock: deps.clock, dataDir: deps.config.data };
  if (!(await saveImageData(store, img.id, data, deps.config.imageSizeCap))) {
    const now = await catalog.getImage(deps.db, img.id);
    if (!now) throw imageNotFound(id);
    throw imageStatusTransition(now.status, 'saving');
  }
}

/**
 * GET /v2/images/{id}/file: the data of an image the caller sees; null when it has none (a
 * queued image, or a seeded base image that is a record only): Glance answers 204 then.
 */
export async function downloadImageData(deps: Deps, caller: Caller, id: string) {
  const img = await showImage(deps, caller, id);
  if (img.status !== 'active') return null;
  const file = await openImageFile(deps.config.data, img.id);
  return file && { ...file, checksum: img.checksum ?? null };
}

/**
 * Replaces an image's properties (Glance's PATCH of every extra property, as Nova's image
 * metadata proxy does with purge_props): Glance's modify_image default (an admin, or a member
 * of the owning project), and the same refusal of server-set and reserved names as create.
 */
export async function setImageProperties(
  deps: Deps,
  caller: Caller,
  id: string,
  properties: Record<string, string>,
): Promise<ImageRow> {
  const img = await showImage(deps, caller, id);
  authorize(deps, caller, 'stratus:image:modify', { project_id: img.owner ?? '' });
  refuseServerSetFields(properties);
  for (const key of Object.keys(properties)) if (KNOWN_FIELDS.has(key)) throw reservedProperty(key);
  // Keeping (or dropping) the command an admin set is fine; setting a new one is not.
  const before = JSON.parse(img.properties) as Record<string, unknown>;
  if (properties[GUEST_COMMAND_PROPERTY] !== before[GUEST_COMMAND_PROPERTY])
    refuseGuestCommand(properties, caller.isAdmin);
  if (!(await catalog.setImageProperties(deps.db, img.id, JSON.stringify(properties), iso(deps.clock.now()))))
    throw imageNotFound(id);
  return (await catalog.getImage(deps.db, img.id))!;
}
