import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import * as catalog from '../../db/repositories/catalog.repository.js';
import type { Clock } from '../../domain/clock.js';
import { iso } from '../../domain/clock.js';
import { imageTooLarge } from '../../domain/errors.js';

/**
 * Image data lives as one file per image under `<data>/images/<id>` (Glance's file store,
 * `filesystem_store_datadir`). The API's image use cases and the compute agent (which uploads
 * snapshots, as Nova's compute manager uploads through Glance) both write through here.
 */
export interface ImageStore {
  db: Kysely<Database>;
  clock: Clock;
  /** The node's data directory (config `data`). */
  dataDir: string;
}

export const imageDataPath = (dataDir: string, id: string) => join(dataDir, 'images', id);

export interface StoredData {
  size: number;
  checksum: string;
  hash: string;
}

/**
 * Writes `data` to the image's file (a temporary file, renamed when complete), hashing as it
 * goes. Past `sizeCap` bytes the write stops while the data streams (nothing more is read), the
 * partial file goes and the upload fails with Glance's ImageSizeLimitExceeded.
 */
export async function writeImageFile(
  dataDir: string,
  id: string,
  data: AsyncIterable<Uint8Array>,
  sizeCap = Number.POSITIVE_INFINITY,
): Promise<StoredData> {
  const dir = join(dataDir, 'images');
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${id}.${process.pid}.${Date.now()}.part`);
  const md5 = createHash('md5');
  const sha512 = createHash('sha512');
  let size = 0;
  const fh = await open(tmp, 'w');
  try {
    for await (const chunk of data) {
      md5.update(chunk);
      sha512.update(chunk);
      size += chunk.length;
      if (size > sizeCap) throw imageTooLarge();
      await fh.write(chunk);
    }
  } catch (e) {
    await fh.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  await rename(tmp, imageDataPath(dataDir, id));
  return { size, checksum: md5.digest('hex'), hash: sha512.digest('hex') };
}

/**
 * Glance's upload: queued → saving (compare-and-set: a second upload loses), the data, then
 * saving → active with size and hashes. A failed write puts the image back to queued (as Glance
 * does when the client goes away), so the upload can be tried again. False: not queued.
 */
export async function saveImageData(
  store: ImageStore,
  id: string,
  data: AsyncIterable<Uint8Array>,
  sizeCap?: number,
): Promise<boolean> {
  const now = () => iso(store.clock.now());
  if (!(await catalog.updateImageIfStatus(store.db, id, 'queued', { status: 'saving', updated_at: now() })))
    return false;
  let stored: StoredData;
  try {
    stored = await writeImageFile(store.dataDir, id, data, sizeCap);
  } catch (e) {
    await catalog.updateImageIfStatus(store.db, id, 'saving', { status: 'queued', updated_at: now() });
    throw e;
  }
  const done = await catalog.updateImageIfStatus(store.db, id, 'saving', {
    status: 'active',
    size: stored.size,
    checksum: stored.checksum,
    os_hash_algo: 'sha512',
    os_hash_value: stored.hash,
    updated_at: now(),
  });
  // Deleted meanwhile: the data has no image any more.
  if (!done) await removeImageFile(store.dataDir, id);
  return true;
}

/** The image's data, or null when it has none (Glance answers 204 then). */
export async function openImageFile(dataDir: string, id: string): Promise<{ size: number; stream: Readable } | null> {
  const path = imageDataPath(dataDir, id);
  const st = await stat(path).catch(() => null);
  if (!st) return null;
  return { size: st.size, stream: createReadStream(path) };
}

export async function removeImageFile(dataDir: string, id: string): Promise<void> {
  await rm(imageDataPath(dataDir, id), { force: true });
}

/**
 * The image service deleting an image for the compute service (a snapshot a delete or an
 * unshelve makes obsolete; Nova deletes it through Glance with its own context): no policy.
 */
export async function discardImage(store: Pick<ImageStore, 'db' | 'dataDir'>, id: string): Promise<void> {
  await catalog.deleteImage(store.db, id);
  await removeImageFile(store.dataDir, id);
}
