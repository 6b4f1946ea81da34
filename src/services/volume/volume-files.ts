import { mkdir, open, rename, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { dirname, join } from 'node:path';

/**
 * A volume's storage: one sparse file per volume, `<data>/volumes/<id>` (the local-file
 * counterpart of Cinder's LVM logical volume), and one per snapshot under
 * `<data>/volumes/snapshots/<id>`. Files are written to a temporary name and renamed, so a crash
 * never leaves a half-written volume under its id (recovery redoes the work).
 */
export const GIB = 1024 * 1024 * 1024;
export const volumePath = (dataDir: string, id: string) => join(dataDir, 'volumes', id);
export const snapshotPath = (dataDir: string, id: string) => join(dataDir, 'volumes', 'snapshots', id);

/** Where a new volume's bytes come from. */
export type VolumeSource =
  | { kind: 'blank' }
  | {
      kind: 'file';
      path: string /** An image registered without data: a missing file means no bytes to copy. */;
      optional?: boolean;
    };

/**
 * Creates (or recreates) the sparse file of `sizeGb` GiB at `path`, the source's bytes at its
 * start. The source is copied with cp, which keeps its holes: a clone of an empty 2 GiB volume
 * stays empty on disk instead of writing 2 GiB of zeros.
 */
export async function writeSparseFile(path: string, sizeGb: number, source: VolumeSource): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.part`;
  try {
    if (source.kind === 'file' && !(source.optional && !existsSync(source.path))) await sparseCopy(source.path, tmp);
    const fh = await open(tmp, existsSync(tmp) ? 'r+' : 'w');
    try {
      await fh.truncate(sizeGb * GIB);
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

// cp keeps the holes (Node's copyFile would write every zero of a GiB volume).
const sparseCopy = (from: string, to: string) =>
  promisify(execFile)('cp', ['--sparse=always', '--reflink=auto', from, to]);

/** Grows a volume's file to `sizeGb` GiB (sparse: nothing is written). */
export async function growFile(path: string, sizeGb: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.truncate(sizeGb * GIB);
  } finally {
    await fh.close();
  }
}

/** A snapshot: a copy of the volume's file (copy-on-write where the file system offers it). */
export async function copySparse(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  const tmp = `${to}.${process.pid}.part`;
  try {
    await sparseCopy(from, tmp);
    await rename(tmp, to);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Removing a missing file succeeds (a delete that runs twice). */
export async function removeFile(path: string): Promise<void> {
  await rm(path, { force: true });
}
