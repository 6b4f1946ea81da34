import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../context.js';
import {
  addTenantAccess,
  createFlavor,
  deleteExtraSpec,
  deleteFlavor,
  listExtraSpecs,
  listFlavorAccess,
  listFlavors,
  MAX_FLAVOR_LIMIT,
  removeTenantAccess,
  setExtraSpecs,
  showExtraSpec,
  showFlavor,
  updateFlavorDescription,
  viewsExtraSpecs,
} from './flavors.js';
import {
  parseCreateFlavor,
  parseExtraSpecItem,
  parseExtraSpecsBody,
  parseFlavorListQuery,
  parseTenantAction,
  parseUpdateFlavor,
} from './flavors.schemas.js';
import { renderFlavor, renderFlavorAccess, renderFlavorBrief, type FlavorViewContext } from './flavors.view.js';
import { invalid, noSuchAction } from '../../domain/errors.js';
import { baseUrl, callerOf } from '../../http/request.js';
import { atLeast } from '../../http/microversion.js';
import { HttpFault } from '../../http/fault-mapper.js';
import { RouteTable } from '../../http/route-table.js';
import type { Query } from '../../http/query.js';

/** flavors, flavor-manage, os-flavor-access and os-flavor-extra-specs. */
export function registerFlavorRoutes(app: FastifyInstance, deps: Deps): void {
  const r = new RouteTable(app, ['/v2.1', '/v2.1/:project_id']);
  const idOf = (request: FastifyRequest) => (request.params as { id: string }).id;
  const keyOf = (request: FastifyRequest) => (request.params as { key: string }).key;

  const viewContext = (request: FastifyRequest): FlavorViewContext => {
    const p = (request.params as { project_id?: string }).project_id;
    const b = baseUrl(request);
    return {
      mv: request.mv,
      base: `${b}/v2.1${p ? `/${p}` : ''}`,
      bookmarkBase: `${b}${p ? `/${p}` : ''}`,
      extraSpecs: atLeast(request.mv, 61) && viewsExtraSpecs(deps, callerOf(request)),
    };
  };

  const list = (detail: boolean) => async (request: FastifyRequest) => {
    const q = request.query as Query;
    const parsed = parseFlavorListQuery(q, request.mv.minor);
    const rows = await listFlavors(deps, callerOf(request), parsed);
    const ctx = viewContext(request);
    const body: Record<string, unknown> = {
      flavors: rows.map((f) => (detail ? renderFlavor(ctx, f) : renderFlavorBrief(ctx, f))),
    };
    // Nova's _get_collection_links: a next link when the page is as long as the (capped) limit.
    const max = Math.min(parsed.limit ?? MAX_FLAVOR_LIMIT, MAX_FLAVOR_LIMIT);
    if (max > 0 && rows.length === max) {
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(q)) if (v !== undefined) params[k] = Array.isArray(v) ? v[v.length - 1] : v;
      params.marker = rows[rows.length - 1].id;
      const href = `${ctx.base}/flavors${detail ? '/detail' : ''}?${new URLSearchParams(params).toString()}`;
      body.flavors_links = [{ rel: 'next', href }];
    }
    return body;
  };
  r.add('GET', '/flavors', list(false));
  r.add('GET', '/flavors/detail', list(true));

  r.add('POST', '/flavors', async (request) => {
    const b = parseCreateFlavor(request.body, request.mv.minor);
    const row = await createFlavor(deps, callerOf(request), b);
    // A new flavor has no extra specs yet; Nova shows them as {} from 2.61 (when allowed).
    return { flavor: renderFlavor(viewContext(request), row) };
  });

  r.add('GET', '/flavors/:id', async (request) => ({
    flavor: renderFlavor(viewContext(request), await showFlavor(deps, callerOf(request), idOf(request))),
  }));

  r.add('PUT', '/flavors/:id', async (request) => {
    // flavor_manage.py _update exists from 2.55; before, Nova's router finds no method: 404.
    if (!atLeast(request.mv, 55)) throw new HttpFault(404, 'itemNotFound', 'The resource could not be found.');
    const description = parseUpdateFlavor(request.body);
    const row = await updateFlavorDescription(deps, callerOf(request), idOf(request), description);
    return { flavor: renderFlavor(viewContext(request), row) };
  });

  // Nova answers 202 (kept for backwards compatibility) with no body.
  r.add('DELETE', '/flavors/:id', async (request, reply) => {
    await deleteFlavor(deps, callerOf(request), idOf(request));
    reply.code(202).type('application/json');
    return reply.send();
  });

  r.add('POST', '/flavors/:id/action', async (request) => {
    const body = request.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalid('Malformed request body');
    const keys = Object.keys(body);
    // Nova parity (wsgi.action_peek): no key, or more than one, is a malformed body.
    if (keys.length !== 1) throw invalid('Malformed request body');
    const [key] = keys;
    const caller = callerOf(request);
    if (key === 'addTenantAccess') {
      const tenant = parseTenantAction(key, body[key]);
      const a = await addTenantAccess(deps, caller, idOf(request), tenant, { refusePublic: atLeast(request.mv, 7) });
      return renderFlavorAccess(a);
    }
    if (key === 'removeTenantAccess') {
      const tenant = parseTenantAction(key, body[key]);
      return renderFlavorAccess(await removeTenantAccess(deps, caller, idOf(request), tenant));
    }
    throw noSuchAction(key);
  });

  r.add('GET', '/flavors/:id/os-flavor-access', async (request) =>
    renderFlavorAccess(await listFlavorAccess(deps, callerOf(request), idOf(request))),
  );

  r.add('GET', '/flavors/:id/os-extra_specs', async (request) => ({
    extra_specs: await listExtraSpecs(deps, callerOf(request), idOf(request)),
  }));
  r.add('POST', '/flavors/:id/os-extra_specs', async (request) => {
    const specs = parseExtraSpecsBody(request.body);
    await setExtraSpecs(deps, callerOf(request), idOf(request), specs);
    // Nova echoes the request body (numbers as given).
    return request.body;
  });
  r.add('GET', '/flavors/:id/os-extra_specs/:key', async (request) => {
    const key = keyOf(request);
    return { [key]: await showExtraSpec(deps, callerOf(request), idOf(request), key) };
  });
  r.add('PUT', '/flavors/:id/os-extra_specs/:key', async (request) => {
    const specs = parseExtraSpecItem(request.body);
    await setExtraSpecs(deps, callerOf(request), idOf(request), specs, { urlKey: keyOf(request) });
    return request.body;
  });
  // Nova answers 200 with no body (flavors_extraspecs.py delete).
  r.add('DELETE', '/flavors/:id/os-extra_specs/:key', async (request, reply) => {
    await deleteExtraSpec(deps, callerOf(request), idOf(request), keyOf(request));
    reply.code(200).type('application/json');
    return reply.send();
  });

  r.finish();
}
