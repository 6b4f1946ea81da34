import type { Caller, Deps } from '../context.js';
import { authorize } from '../access.js';
import { projectLimits } from './quotas.js';
import { zoneOfHost, type Placement } from './zones.js';
import { resolveSecurityGroups } from '../network/security-groups.js';
import { invalid, onsetFileLimitExceeded } from '../../domain/errors.js';
import type { CreateOptions } from './server-create.schemas.js';

export type { CreateOptions } from './server-create.schemas.js';

/**
 * Nova's defaults for the injected-file limits (quota.injected_files, injected_file_content_bytes,
 * injected_file_path_length). Stratus has no config option for them: a project or the default
 * class may set them, and where neither does these hold (not "unlimited").
 */
const NOVA_DEFAULTS = { injected_files: 5, injected_file_content_bytes: 10240, injected_file_path_bytes: 255 };

/**
 * What server create accepts beyond name, image, flavor, networks and metadata: the policy
 * checks and look-ups of servers.create (nova/api/openstack/compute/servers.py) and the compute
 * API (nova/compute/api.py) for them, before anything is written. Returns the values to store.
 */
export async function checkCreateOptions(
  deps: Deps,
  caller: Caller,
  options: CreateOptions | undefined,
  where: Placement,
) {
  const target = { project_id: caller.projectId, user_id: caller.userId };
  const o = options;
  // Nova checks create:trusted_certs only when certificate ids were given.
  if (o?.trustedImageCertificates?.length)
    authorize(deps, caller, 'os_compute_api:servers:create:trusted_certs', target);
  let placed = where;
  if (o?.requestedHost || o?.requestedNode) {
    authorize(deps, caller, 'compute:servers:create:requested_destination', target);
    if (where.host)
      throw invalid(
        'One mechanism with host and/or hypervisor_hostname and another mechanism with zone:host:node are mutually exclusive.',
      );
    // Nova's _validate_host_or_node; a Stratus node's hypervisor hostname is its host name.
    for (const h of [o.requestedHost, o.requestedNode]) {
      if (h && (await zoneOfHost(deps.db, h)) === null) throw invalid(`Compute host ${h} could not be found.`);
    }
    if (o.requestedHost && o.requestedNode && o.requestedHost !== o.requestedNode)
      throw invalid(`Compute host ${o.requestedHost} could not be found.`);
    placed = { ...where, host: o.requestedHost ?? o.requestedNode };
  }
  if (o?.blockDeviceMappings.length) authorize(deps, caller, 'os_compute_api:servers:create:attach_volume', target);
  const securityGroups = await resolveSecurityGroups(deps, caller, o?.securityGroups ?? []);
  const personality = o?.personality ?? [];
  return {
    where: placed,
    securityGroups: o?.securityGroups === undefined ? undefined : securityGroups,
    hostname: o?.hostname,
    personality: JSON.stringify(personality.map((f) => ({ path: f.path, contents: f.contents }))),
    configDrive: o?.configDrive ? 'True' : '',
    trustedImageCertificates: o?.trustedImageCertificates?.length ? JSON.stringify(o.trustedImageCertificates) : null,
    /** Nova's _check_injected_file_quota: the number of files, then the longest path and content. */
    async checkQuotas() {
      if (!personality.length) return;
      const limits = await projectLimits(deps, deps.db, caller.projectId);
      const limit = (k: keyof typeof NOVA_DEFAULTS) => (limits[k] >= 0 ? limits[k] : NOVA_DEFAULTS[k]);
      if (personality.length > limit('injected_files')) throw onsetFileLimitExceeded('Personality file limit exceeded');
      const maxPath = Math.max(...personality.map((f) => f.path.length));
      const maxContent = Math.max(...personality.map((f) => f.contents.length));
      const pathLimit = limit('injected_file_path_bytes');
      if (maxPath > pathLimit)
        throw onsetFileLimitExceeded(`Personality file path exceeds maximum ${pathLimit}`, pathLimit);
      const contentLimit = limit('injected_file_content_bytes');
      if (maxContent > contentLimit)
        throw onsetFileLimitExceeded(`Personality file content exceeds maximum ${contentLimit}`, contentLimit);
    },
  };
}
