import type { Caller, Deps } from '../context.js';
import { authorize, canonicalUuid } from '../access.js';
import type { Executor } from '../../db/executor.js';
import * as repo from '../../db/repositories/volumes.repository.js';
import { isUniqueViolation } from '../../db/dialects/index.js';
import { iso } from '../../domain/clock.js';
import { volumeTypeExists, volumeTypeInUse, volumeTypeNotFound } from '../../domain/volume-errors.js';

export type { VolumeTypeRow } from '../../db/repositories/volumes.repository.js';

/** Cinder's default type (created by its migrations; `default_volume_type` names it). */
export const DEFAULT_TYPE_NAME = '__DEFAULT__';
/** A fixed id, so every Stratus database names the default type alike. */
export const DEFAULT_TYPE_ID = '00000000-0000-4000-8000-00000000d7f1';

/** Seeds `__DEFAULT__` (idempotent), as Cinder's migration 145 does. */
export async function ensureDefaultType(deps: Deps): Promise<void> {
  await deps.transact((tx) =>
    repo.ensureVolumeType(tx, {
      id: DEFAULT_TYPE_ID,
      name: DEFAULT_TYPE_NAME,
      description: 'Default Volume Type',
      is_public: 1,
      extra_specs: '{}',
      created_at: iso(deps.clock.now()),
    }),
  );
}

/** A type by id or by name (Cinder's volume_types.get_by_name_or_id). */
export async function findType(ex: Executor, ref: string): Promise<repo.VolumeTypeRow | undefined> {
  const uuid = canonicalUuid(ref);
  return (uuid ? await repo.getVolumeType(ex, uuid) : undefined) ?? (await repo.getVolumeTypeByName(ex, ref));
}

export async function listTypes(deps: Deps, caller: Caller, opts: { isPublic?: boolean | null } = {}) {
  authorize(deps, caller, 'volume_extension:type_get_all', { project_id: caller.projectId });
  const all = await repo.listVolumeTypes(deps.db);
  // Cinder: non-admins only see public types; admins filter by is_public (None: all).
  if (!caller.isAdmin) return all.filter((t) => t.is_public === 1);
  if (opts.isPublic === undefined) return all.filter((t) => t.is_public === 1);
  if (opts.isPublic === null) return all;
  return all.filter((t) => (t.is_public === 1) === opts.isPublic);
}

export async function showType(deps: Deps, caller: Caller, id: string) {
  authorize(deps, caller, 'volume_extension:type_get', { project_id: caller.projectId });
  // `default` names the configured default type (Cinder 3.62's GET /types/default).
  const t = id === 'default' ? await repo.getVolumeType(deps.db, DEFAULT_TYPE_ID) : await findType(deps.db, id);
  if (!t || (!caller.isAdmin && t.is_public !== 1)) throw volumeTypeNotFound(id);
  return t;
}

export async function createType(
  deps: Deps,
  caller: Caller,
  input: { name: string; description?: string | null; isPublic: boolean; extraSpecs: Record<string, string> },
) {
  authorize(deps, caller, 'volume_extension:type_create', { project_id: caller.projectId });
  try {
    return await deps.transact(async (tx) => {
      if (await repo.getVolumeTypeByName(tx, input.name)) throw volumeTypeExists(input.name);
      return repo.insertVolumeType(tx, {
        id: deps.ids.uuid(),
        name: input.name,
        description: input.description ?? null,
        is_public: input.isPublic ? 1 : 0,
        extra_specs: JSON.stringify(input.extraSpecs),
        created_at: iso(deps.clock.now()),
      });
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw volumeTypeExists(input.name);
    throw err;
  }
}

export async function deleteType(deps: Deps, caller: Caller, id: string): Promise<void> {
  authorize(deps, caller, 'volume_extension:type_delete', { project_id: caller.projectId });
  await deps.transact(async (tx) => {
    const t = await findType(tx, id);
    if (!t) throw volumeTypeNotFound(id);
    // Cinder refuses to delete the default type (DefaultVolumeTypeDeletionError is a 400 too).
    if (t.id === DEFAULT_TYPE_ID) throw volumeTypeInUse(t.id);
    if ((await repo.countVolumesOfType(tx, t.id)) > 0) throw volumeTypeInUse(t.id);
    await repo.deleteVolumeType(tx, t.id);
  });
}
