// The 2.1 image proxies (Nova's images.py and image_metadata.py): compute answers them by
// calling the image service's use cases, as Nova calls Glance, and words the image service's
// refusals as Nova does.
import type { Caller, Deps } from '../context.js';
import { projectLimits } from './quotas.js';
import { deleteImage, listImages, setImageProperties, showImage, type ImageRow } from '../image/images.js';
import {
  DomainError,
  imageDeleteNotAllowed,
  imageMetadataLimitExceeded,
  imageNotAuthorized,
  invalid,
  invalidMetadataKey,
  markerNotFound,
  proxyImageNotFound,
  resourceNotFound,
} from '../../domain/errors.js';

export type { ImageRow };

/** Nova's image view reads `properties` (Glance's extra properties). */
export const propertiesOf = (img: ImageRow): Record<string, string> =>
  JSON.parse(img.properties) as Record<string, string>;

export interface ProxyImageQuery {
  name?: string;
  status?: string;
  changesSince?: string;
  server?: string;
  type?: string;
  minRam?: string;
  minDisk?: string;
  /** `property-<name>` filters, carried through as Nova does. */
  properties: Record<string, string>;
  limit?: number;
  marker?: string;
}

const rethrowNotFound = (e: unknown, id: string): never => {
  if (e instanceof DomainError && e.kind === 'not-found') throw proxyImageNotFound(id);
  throw e;
};

const atLeastNumber = (field: string, raw: string | undefined, actual: number): boolean => {
  if (raw === undefined) return true;
  if (!/^\d+$/.test(raw)) throw invalid(`Invalid ${field} filter [${raw}]`);
  return actual >= Number(raw);
};

/** GET /images[/detail]: the images the caller sees in Glance, with Nova's filters and paging. */
export async function listProxyImages(deps: Deps, caller: Caller, q: ProxyImageQuery): Promise<ImageRow[]> {
  let images = await listImages(deps, caller, {});
  // Nova lower-cases status for the image API; `server` keeps the last path segment of a URL.
  const status = q.status?.toLowerCase();
  const server = q.server?.includes('/') ? q.server.slice(q.server.lastIndexOf('/') + 1) : q.server;
  const since = q.changesSince === undefined ? undefined : Date.parse(q.changesSince);
  if (since !== undefined && Number.isNaN(since)) throw invalid(`Invalid changes-since value`);
  images = images.filter((img) => {
    const props = propertiesOf(img);
    return (
      (q.name === undefined || img.name === q.name) &&
      (status === undefined || img.status === status) &&
      (since === undefined || Date.parse(img.updated_at) >= since) &&
      (server === undefined || props.instance_uuid === server) &&
      (q.type === undefined || props.image_type === q.type) &&
      atLeastNumber('minRam', q.minRam, img.min_ram) &&
      atLeastNumber('minDisk', q.minDisk, img.min_disk) &&
      Object.entries(q.properties).every(([k, v]) => props[k] === v)
    );
  });
  if (q.marker !== undefined) {
    const at = images.findIndex((i) => i.id === q.marker);
    if (at < 0) throw markerNotFound(q.marker);
    images = images.slice(at + 1);
  }
  return q.limit === undefined ? images : images.slice(0, q.limit);
}

export async function showProxyImage(deps: Deps, caller: Caller, id: string): Promise<ImageRow> {
  return showImage(deps, caller, id).catch((e: unknown) => rethrowNotFound(e, id));
}

/** Nova parity: Glance's 403 (a protected image, or one the caller may not delete) is one message. */
export async function deleteProxyImage(deps: Deps, caller: Caller, id: string): Promise<void> {
  await deleteImage(deps, caller, id).catch((e: unknown) => {
    if (e instanceof DomainError && e.kind === 'forbidden') throw imageDeleteNotAllowed(id);
    return rethrowNotFound(e, id);
  });
}

// --- image metadata (image_metadata.py, up to 2.38) ---------------------------------------

export async function listImageMetadata(deps: Deps, caller: Caller, id: string): Promise<Record<string, string>> {
  return propertiesOf(await showProxyImage(deps, caller, id));
}

/** Nova parity: a missing key is webob's bare 404. */
export async function showImageMetadataItem(deps: Deps, caller: Caller, id: string, key: string) {
  const props = propertiesOf(await showProxyImage(deps, caller, id));
  if (!Object.hasOwn(props, key)) throw resourceNotFound();
  return { [key]: props[key] };
}

async function writeProperties(
  deps: Deps,
  caller: Caller,
  img: ImageRow,
  props: Record<string, string>,
  opts: { quota: boolean } = { quota: true },
) {
  // common.check_img_metadata_properties_quota (not on delete): the project's metadata_items limit.
  const allowed = opts.quota ? (await projectLimits(deps, deps.db, caller.projectId)).metadata_items : -1;
  if (allowed >= 0 && Object.keys(props).length > allowed) throw imageMetadataLimitExceeded();
  const updated = await setImageProperties(deps, caller, img.id, props).catch((e: unknown) => {
    if (e instanceof DomainError && e.kind === 'forbidden') throw imageNotAuthorized(img.id);
    return rethrowNotFound(e, img.id);
  });
  return propertiesOf(updated);
}

/**
 * POST /metadata merges ('create'), PUT /metadata replaces ('update_all'), PUT /metadata/{key}
 * sets one item ('update', whose body must name the key of the URL). Nova checks the URL key
 * before it fetches the image.
 */
export async function updateImageMetadata(
  deps: Deps,
  caller: Caller,
  id: string,
  mode: 'create' | 'update_all' | 'update',
  metadata: Record<string, string>,
  urlKey?: string,
): Promise<Record<string, string>> {
  if (mode === 'update' && !Object.hasOwn(metadata, urlKey ?? '')) throw invalid('Request body and URI mismatch');
  const img = await showProxyImage(deps, caller, id);
  const next = mode === 'update_all' ? { ...metadata } : { ...propertiesOf(img), ...metadata };
  return writeProperties(deps, caller, img, next);
}

export async function deleteImageMetadataItem(deps: Deps, caller: Caller, id: string, key: string): Promise<void> {
  const img = await showProxyImage(deps, caller, id);
  const props = propertiesOf(img);
  if (!Object.hasOwn(props, key)) throw invalidMetadataKey();
  delete props[key];
  await writeProperties(deps, caller, img, props, { quota: false });
}
