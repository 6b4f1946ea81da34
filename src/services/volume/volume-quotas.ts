import type { Caller, Deps } from '../context.js';
import { authorize } from '../access.js';
import type { Executor } from '../../db/executor.js';
import * as repo from '../../db/repositories/volumes.repository.js';
import {
  invalidInput,
  snapshotLimitExceeded,
  volumeBadRequest,
  volumeLimitExceeded,
  volumeSizeExceedsAvailableQuota,
  volumeSizeExceedsLimit,
} from '../../domain/volume-errors.js';

/**
 * Cinder's quotas (cinder/quota.py): the defaults of `quota_volumes`, `quota_snapshots`,
 * `quota_gigabytes`… and the per-type keys (`volumes_<type>`…, unlimited by default). Stored in
 * `volume_quotas`, apart from Nova's. Snapshots count against `gigabytes` too
 * (`no_snapshot_gb_quota` false).
 */
export const VOLUME_QUOTA_DEFAULTS: Record<string, number> = {
  volumes: 10,
  snapshots: 10,
  gigabytes: 1000,
  backups: 10,
  backup_gigabytes: 1000,
  groups: 10,
  per_volume_gigabytes: -1,
};
const PER_TYPE = ['volumes', 'snapshots', 'gigabytes'];

/** Every resource name, the per-type ones for the existing types included. */
async function resourceDefaults(ex: Executor): Promise<Record<string, number>> {
  const out: Record<string, number> = { ...VOLUME_QUOTA_DEFAULTS };
  for (const t of await repo.listVolumeTypes(ex)) for (const r of PER_TYPE) out[`${r}_${t.name}`] = -1;
  return out;
}

export async function limitsOf(ex: Executor, projectId: string): Promise<Record<string, number>> {
  const out = await resourceDefaults(ex);
  const set = await repo.getVolumeQuotas(ex, projectId);
  for (const [k, v] of Object.entries(set)) if (k in out) out[k] = v;
  return out;
}

export async function usageOf(ex: Executor, projectId: string): Promise<Record<string, number>> {
  const v = await repo.volumeUsage(ex, projectId);
  const s = await repo.snapshotUsage(ex, projectId);
  const usage: Record<string, number> = {
    volumes: v.volumes,
    snapshots: s.snapshots,
    gigabytes: v.gigabytes + s.gigabytes,
    backups: 0,
    backup_gigabytes: 0,
    groups: 0,
    per_volume_gigabytes: 0,
  };
  const types = await repo.listVolumeTypes(ex);
  const volumes = await repo.listVolumes(ex, projectId);
  const snaps = await repo.listSnapshots(ex, { projectId });
  const byId = new Map(volumes.map((x) => [x.id, x]));
  for (const t of types) {
    const vs = volumes.filter((x) => x.volume_type_id === t.id);
    const ss = snaps.filter((x) => byId.get(x.volume_id)?.volume_type_id === t.id);
    usage[`volumes_${t.name}`] = vs.length;
    usage[`snapshots_${t.name}`] = ss.length;
    usage[`gigabytes_${t.name}`] = vs.reduce((a, x) => a + x.size, 0) + ss.reduce((a, x) => a + x.size, 0);
  }
  return usage;
}

/**
 * Cinder's QUOTAS.reserve for a new volume (or, with `volumes: 0`, an extend; `snapshots: 1` a
 * snapshot), in the caller's transaction: locks the project's quota row first, so two creates
 * in one project cannot both take the last unit.
 */
export async function checkVolumeQuota(
  ex: Executor,
  projectId: string,
  want: { volumes?: number; snapshots?: number; gigabytes: number; typeName: string; size?: number },
): Promise<void> {
  await repo.lockVolumeQuota(ex, projectId);
  const limits = await limitsOf(ex, projectId);
  const usage = await usageOf(ex, projectId);
  const perVolume = limits.per_volume_gigabytes;
  if (want.size !== undefined && perVolume >= 0 && want.size > perVolume)
    throw volumeSizeExceedsLimit(want.size, perVolume);
  const over = (name: string, delta: number) =>
    delta > 0 && limits[name] !== undefined && limits[name] >= 0 && usage[name] + delta > limits[name];
  // Cinder's _consumed/_is_over order: counts first, then gigabytes; the global key before the type's.
  for (const name of ['volumes', `volumes_${want.typeName}`])
    if (over(name, want.volumes ?? 0)) throw volumeLimitExceeded(limits[name], name);
  for (const name of ['snapshots', `snapshots_${want.typeName}`])
    if (over(name, want.snapshots ?? 0)) throw snapshotLimitExceeded(limits[name]);
  for (const name of ['gigabytes', `gigabytes_${want.typeName}`])
    if (over(name, want.gigabytes))
      throw volumeSizeExceedsAvailableQuota(name, want.gigabytes, limits[name], usage[name]);
}

export type QuotaView = Record<string, number | { limit: number; in_use: number; reserved: number }>;

export async function showVolumeQuotas(
  deps: Deps,
  caller: Caller,
  projectId: string,
  opts: { usage: boolean; defaults?: boolean },
): Promise<QuotaView> {
  authorize(deps, caller, 'volume_extension:quotas:show', { project_id: projectId });
  const limits = opts.defaults ? await resourceDefaults(deps.db) : await limitsOf(deps.db, projectId);
  if (!opts.usage) return limits;
  const usage = await usageOf(deps.db, projectId);
  const out: QuotaView = {};
  for (const [k, v] of Object.entries(limits)) out[k] = { limit: v, in_use: usage[k] ?? 0, reserved: 0 };
  return out;
}

/** Cinder's quota update: known keys only, integers ≥ -1 (utils.validate_integer). */
export async function updateVolumeQuotas(
  deps: Deps,
  caller: Caller,
  projectId: string,
  body: Record<string, unknown>,
): Promise<Record<string, number>> {
  authorize(deps, caller, 'volume_extension:quotas:update', { project_id: projectId });
  return deps.transact(async (tx) => {
    const known = await resourceDefaults(tx);
    const bad = Object.keys(body).filter((k) => !(k in known) && k !== 'tenant_id' && k !== 'id');
    if (bad.length > 0) throw volumeBadRequest(`Bad key(s) in quota set: ${bad.join(',')}`);
    const values: Array<[string, number]> = [];
    for (const [k, raw] of Object.entries(body)) {
      if (!(k in known)) continue;
      const n =
        typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isInteger(n)) throw invalidInput(`${k} must be an integer.`);
      if (n < -1) throw invalidInput(`${k} must be >= -1`);
      if (n > 2147483647) throw invalidInput(`${k} must be <= 2147483647`);
      values.push([k, n]);
    }
    await repo.lockVolumeQuota(tx, projectId);
    for (const [k, n] of values) await repo.setVolumeQuota(tx, projectId, k, n);
    return limitsOf(tx, projectId);
  });
}

export async function deleteVolumeQuotas(deps: Deps, caller: Caller, projectId: string): Promise<void> {
  authorize(deps, caller, 'volume_extension:quotas:delete', { project_id: projectId });
  await deps.transact((tx) => repo.deleteVolumeQuotas(tx, projectId));
}

/** GET /limits: Cinder's absolute limits of the caller's project. */
export async function volumeLimits(deps: Deps, caller: Caller) {
  authorize(deps, caller, 'limits_extension:used_limits', { project_id: caller.projectId });
  const l = await limitsOf(deps.db, caller.projectId);
  const u = await usageOf(deps.db, caller.projectId);
  return {
    totalSnapshotsUsed: u.snapshots,
    maxTotalBackups: l.backups,
    maxTotalVolumeGigabytes: l.gigabytes,
    maxTotalSnapshots: l.snapshots,
    maxTotalBackupGigabytes: l.backup_gigabytes,
    totalBackupGigabytesUsed: 0,
    maxTotalVolumes: l.volumes,
    totalVolumesUsed: u.volumes,
    totalBackupsUsed: 0,
    totalGigabytesUsed: u.gigabytes,
  };
}
