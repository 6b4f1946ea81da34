import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../context.js';
import {
  absoluteLimits,
  deleteQuotaSet,
  showQuotaClass,
  showQuotaDefaults,
  showQuotaSet,
  showQuotaSetDetail,
  updateQuotaClass,
  updateQuotaSet,
} from './quotas.js';
import {
  hiddenQuotaClassResources,
  hiddenQuotaSetResources,
  parseQuotaClassUpdate,
  parseQuotaSetUpdate,
  strictQuery,
} from './quotas.schemas.js';
import { renderLimits, renderQuotaClassSet, renderQuotaSet, renderQuotaSetDetail } from './quotas.view.js';
import { callerOf } from '../../http/request.js';
import { RouteTable } from '../../http/route-table.js';
import type { Query } from '../../http/query.js';

const idOf = (request: FastifyRequest) => (request.params as { id: string }).id;

/** Nova reads `user_id` from the query string itself (parse_qs: the first value; an empty one is none). */
function userOf(q: Record<string, string | undefined>): string | undefined {
  return q.user_id || undefined;
}

/** os-quota-sets, os-quota-class-sets and limits (Nova's quota_sets.py, quota_classes.py, limits.py). */
export function registerQuotaRoutes(app: FastifyInstance, deps: Deps): void {
  const r = new RouteTable(app, ['/v2.1', '/v2.1/:project_id']);
  const query = (request: FastifyRequest, names: string[]) => strictQuery(request.query as Query, request.mv, names);

  r.add('GET', '/os-quota-sets/:id', async (request) => {
    const user = userOf(query(request, ['user_id']));
    const limits = await showQuotaSet(deps, callerOf(request), idOf(request), user);
    return renderQuotaSet(limits, hiddenQuotaSetResources(request.mv), idOf(request));
  });
  r.add('GET', '/os-quota-sets/:id/detail', async (request) => {
    const user = userOf(query(request, ['user_id']));
    const { limits, usage } = await showQuotaSetDetail(deps, callerOf(request), idOf(request), user);
    return renderQuotaSetDetail(limits, usage, hiddenQuotaSetResources(request.mv), idOf(request));
  });
  r.add('GET', '/os-quota-sets/:id/defaults', async (request) => {
    const limits = await showQuotaDefaults(deps, callerOf(request), idOf(request));
    return renderQuotaSet(limits, hiddenQuotaSetResources(request.mv), idOf(request));
  });
  r.add('PUT', '/os-quota-sets/:id', async (request) => {
    const user = userOf(query(request, ['user_id']));
    const { changes, force } = parseQuotaSetUpdate(request.body, request.mv);
    const limits = await updateQuotaSet(deps, callerOf(request), idOf(request), changes, force, user);
    return renderQuotaSet(limits, hiddenQuotaSetResources(request.mv));
  });
  r.add('DELETE', '/os-quota-sets/:id', async (request, reply) => {
    const user = userOf(query(request, ['user_id']));
    await deleteQuotaSet(deps, callerOf(request), idOf(request), user);
    // Nova parity: 202 with an empty body (its TODO says 204 would be right).
    reply.code(202).type('application/json');
    return reply.send();
  });

  r.add('GET', '/os-quota-class-sets/:id', async (request) => {
    const limits = await showQuotaClass(deps, callerOf(request), idOf(request));
    return renderQuotaClassSet(limits, hiddenQuotaClassResources(request.mv), idOf(request));
  });
  r.add('PUT', '/os-quota-class-sets/:id', async (request) => {
    const caller = callerOf(request);
    const changes = parseQuotaClassUpdate(request.body, request.mv);
    const limits = await updateQuotaClass(deps, caller, idOf(request), changes);
    return renderQuotaClassSet(limits, hiddenQuotaClassResources(request.mv));
  });

  r.add('GET', '/limits', async (request) => {
    const { tenant_id } = query(request, ['tenant_id']);
    const { limits, usage } = await absoluteLimits(deps, callerOf(request), tenant_id);
    return renderLimits(limits, usage, request.mv);
  });

  r.finish();
}
