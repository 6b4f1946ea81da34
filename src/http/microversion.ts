import { HttpFault } from './fault-mapper.js';

export const MIN_VERSION = { major: 2, minor: 1 };
/** Highest compute microversion Stratus serves (what each changes: Nova's nova/api/openstack/compute/rest_api_version_history.rst). */
const MAX_VERSION = { major: 2, minor: 96 };
export const MAX_VERSION_STRING = `${MAX_VERSION.major}.${MAX_VERSION.minor}`;

export interface Microversion {
  major: number;
  minor: number;
}

/** `a >= 2.x` comparisons on the minor number (major is always 2). */
export const atLeast = (v: Microversion, minor: number) => v.minor >= minor;

/**
 * Reads `OpenStack-API-Version: compute 2.x` (preferred) or `X-OpenStack-Nova-API-Version: 2.x`.
 * Returns the version and the raw string (echoed in headers even when out of range, as Nova does).
 */
export function negotiate(headers: Record<string, string | string[] | undefined>): {
  version: Microversion;
  echo: string;
} {
  let raw: string | undefined;
  const modern = headers['openstack-api-version'];
  if (modern !== undefined) {
    for (const part of String(modern).split(',')) {
      const m = part.trim().match(/^(\S+)\s+(.*)$/);
      if (m && m[1].toLowerCase() === 'compute') raw = m[2].trim();
    }
  }
  if (raw === undefined && headers['x-openstack-nova-api-version'] !== undefined)
    raw = String(headers['x-openstack-nova-api-version']).trim();
  if (raw === undefined || raw === '') return { version: MIN_VERSION, echo: '2.1' };
  if (raw.toLowerCase() === 'latest') return { version: MAX_VERSION, echo: MAX_VERSION_STRING };
  const m = raw.match(/^([1-9]\d{0,5})\.(0|[1-9]\d{0,5})$/);
  if (!m) {
    throw new HttpFault(
      400,
      'badRequest',
      `API Version String ${raw} is of invalid format. Must be of format MajorNum.MinorNum.`,
    );
  }
  const v = { major: Number(m[1]), minor: Number(m[2]) };
  const below = v.major < MIN_VERSION.major || (v.major === MIN_VERSION.major && v.minor < MIN_VERSION.minor);
  const above = v.major > MAX_VERSION.major || (v.major === MAX_VERSION.major && v.minor > MAX_VERSION.minor);
  if (below || above) {
    throw new HttpFault(
      406,
      'computeFault',
      `Version ${raw} is not supported by the API. Minimum is 2.1 and maximum is ${MAX_VERSION_STRING}.`,
      { __echo: raw },
    );
  }
  return { version: v, echo: `${v.major}.${v.minor}` };
}

/** Cinder's microversion range (cinder/api/openstack/api_version_request.py). */
export const VOLUME_MIN_VERSION = { major: 3, minor: 0 };
export const VOLUME_MAX_VERSION = { major: 3, minor: 71 };
export const VOLUME_MAX_STRING = `${VOLUME_MAX_VERSION.major}.${VOLUME_MAX_VERSION.minor}`;

/**
 * Cinder's Request.set_api_version_request: `OpenStack-API-Version: volume 3.x` only (Cinder
 * reads no legacy header). A header naming no `volume` part is VersionNotFoundForAPIMethod (400);
 * a malformed string 400, one out of range 406 (Resource.__call__); `latest` is the maximum.
 * `echo`: the version the 406 still names in its headers, as Cinder's Fault does.
 */
export function negotiateVolume(headers: Record<string, string | string[] | undefined>): Microversion {
  const hdr = headers['openstack-api-version'];
  if (hdr === undefined) return VOLUME_MIN_VERSION;
  let raw: string | undefined;
  for (const part of String(hdr).split(',')) {
    if (!part.includes('volume')) continue;
    const words = part.trim().split(/\s+/);
    // Python's `service, volume_version = hdr.split()`: anything but two words is not a version.
    raw = words.length === 2 ? words[1] : '';
    break;
  }
  if (raw === undefined) throw new HttpFault(400, 'badRequest', 'API version None is not supported on this method.');
  if (raw === 'latest') return VOLUME_MAX_VERSION;
  const m = raw.match(/^([1-9]\d{0,5})\.(0|[1-9]\d{0,5})$/);
  if (!m)
    throw new HttpFault(
      400,
      'badRequest',
      `API Version String ${raw} is of invalid format. Must be of format MajorNum.MinorNum.`,
    );
  const v = { major: Number(m[1]), minor: Number(m[2]) };
  const cmp = (a: Microversion, b: Microversion) => a.major - b.major || a.minor - b.minor;
  if (cmp(v, VOLUME_MIN_VERSION) < 0 || cmp(v, VOLUME_MAX_VERSION) > 0)
    throw new HttpFault(
      406,
      'computeFault',
      `Version ${v.major}.${v.minor} is not supported by the API. Minimum is 3.0 and maximum is ${VOLUME_MAX_STRING}.`,
      { 'openstack-api-version': `volume ${v.major}.${v.minor}`, vary: 'OpenStack-API-Version' },
    );
  return v;
}
