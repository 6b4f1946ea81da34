import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../context.js';
import {
  addFloatingIp,
  allocateNovaFloatingIp,
  listFloatingIpPools,
  listNovaFloatingIps,
  releaseNovaFloatingIp,
  removeFloatingIp,
  showNovaFloatingIp,
} from './floating-ip-proxies.js';
import { pyRepr } from './nova-validation.js';
import { invalid } from '../../domain/errors.js';
import { callerOf } from '../../http/request.js';
import { HttpFault } from '../../http/fault-mapper.js';
import { atLeast } from '../../http/microversion.js';
import { RouteTable } from '../../http/route-table.js';
import { isIPv4, isIPv6 } from 'node:net';

const notFound = () => new HttpFault(404, 'itemNotFound', 'The resource could not be found.');

/** Nova's MAX_PROXY_API_SUPPORT_VERSION (2.35): past it the router has no method, 404. */
const upTo35 = (request: FastifyRequest) => {
  if (atLeast(request.mv, 36)) throw notFound();
};

/** The `POST /servers/{id}/action` keys this module answers (compute.routes.ts hands them over). */
export const FLOATING_IP_ACTION_KEYS = ['addFloatingIp', 'removeFloatingIp'] as const;

/** Nova's "Value: %s" is Python's str() of the value: a string bare, anything else its repr. */
const pyStr = (v: unknown) => (typeof v === 'string' ? v : pyRepr(v));
const refuse = (field: string, value: unknown, why: string) =>
  invalid(`Invalid input for field/attribute ${field}. Value: ${pyStr(value)}. ${why}`);

/** parameter_types.ip_address: a string, an IPv4 or IPv6 address. */
function ipAddress(field: string, v: unknown): string {
  if (typeof v !== 'string') throw refuse(field, v, `${pyRepr(v)} is not of type 'string'`);
  if (!isIPv4(v) && !isIPv6(v)) throw refuse(field, v, `${pyRepr(v)} is not valid under any of the given schemas`);
  return v;
}

/** schemas/floating_ips.py add_floating_ip and remove_floating_ip. */
function parseAction(key: string, value: unknown, allowed: string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw refuse(key, value, `${pyRepr(value)} is not of type 'object'`);
  const v = value as Record<string, unknown>;
  if (v.address === undefined) throw refuse(key, v, "'address' is a required property");
  const extra = Object.keys(v).filter((k) => !allowed.includes(k));
  if (extra.length)
    throw refuse(
      key,
      v,
      `Additional properties are not allowed (${extra.map((k) => pyRepr(k)).join(', ')} ${extra.length === 1 ? 'was' : 'were'} unexpected)`,
    );
  return v;
}

/** addFloatingIp / removeFloatingIp (2.1 to 2.43; removed at 2.44: 404), 202 without a body. */
export async function floatingIpAction(
  deps: Deps,
  request: FastifyRequest,
  reply: FastifyReply,
  id: string,
  key: (typeof FLOATING_IP_ACTION_KEYS)[number],
  value: unknown,
) {
  if (atLeast(request.mv, 44)) throw notFound();
  const caller = callerOf(request);
  if (key === 'addFloatingIp') {
    const v = parseAction(key, value, ['address', 'fixed_address']);
    const address = ipAddress('address', v.address);
    const fixed = v.fixed_address === undefined ? undefined : ipAddress('fixed_address', v.fixed_address);
    await addFloatingIp(deps, caller, id, address, fixed);
  } else {
    const v = parseAction(key, value, ['address']);
    await removeFloatingIp(deps, caller, id, ipAddress('address', v.address));
  }
  reply.code(202).type('application/json');
  return reply.send();
}

/** os-floating-ip-pools and os-floating-ips (floating_ip_pools.py, floating_ips.py), to 2.35. */
export function registerFloatingIpProxyRoutes(app: FastifyInstance, deps: Deps): void {
  const r = new RouteTable(app, ['/v2.1', '/v2.1/:project_id']);
  const id = (request: FastifyRequest) => (request.params as { id: string }).id;
  r.add('GET', '/os-floating-ip-pools', async (request) => {
    upTo35(request);
    const pools = await listFloatingIpPools(deps, callerOf(request));
    return { floating_ip_pools: pools.map((name) => ({ name })) };
  });
  r.add('GET', '/os-floating-ips', async (request) => {
    upTo35(request);
    return { floating_ips: await listNovaFloatingIps(deps, callerOf(request)) };
  });
  r.add('POST', '/os-floating-ips', async (request) => {
    upTo35(request);
    const b = request.body as unknown;
    if (b !== null && b !== undefined && (typeof b !== 'object' || Array.isArray(b)))
      throw invalid(
        `Invalid input for field/attribute body. Value: ${pyStr(b)}. ${pyRepr(b)} is not of type 'object', 'null'`,
      );
    const pool = (b as { pool?: unknown } | null | undefined)?.pool;
    if (pool !== undefined && pool !== null && typeof pool !== 'string')
      throw invalid(
        `Invalid input for field/attribute pool. Value: ${pyStr(pool)}. ${pyRepr(pool)} is not of type 'string', 'null'`,
      );
    return { floating_ip: await allocateNovaFloatingIp(deps, callerOf(request), pool || undefined) };
  });
  r.add('GET', '/os-floating-ips/:id', async (request) => {
    upTo35(request);
    return { floating_ip: await showNovaFloatingIp(deps, callerOf(request), id(request)) };
  });
  r.add('DELETE', '/os-floating-ips/:id', async (request, reply) => {
    upTo35(request);
    await releaseNovaFloatingIp(deps, callerOf(request), id(request));
    reply.code(202).type('application/json');
    return reply.send();
  });
  r.finish();
}
