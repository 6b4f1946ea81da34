import type { FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify';
import { HttpFault } from './fault-mapper.js';
import type { ListQuery } from './query.js';

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD' | 'PATCH' | 'OPTIONS';

/**
 * Registers routes and remembers which methods each path has, so that every other method on
 * a known path answers 405 with an `Allow` header (docs/delete-server.md §3.1: Stratus answers 405 where Nova's
 * router gives a bare 404).
 */
export class RouteTable {
  private methods = new Map<string, Set<Method>>();
  constructor(
    private app: FastifyInstance,
    private prefixes: string[] = [''],
  ) {}

  /** `listQuery`: the query parameters this route reads as lists (query.ts says the rule). */
  add(
    method: Method,
    path: string,
    handler: Handler,
    opts: RouteShorthandOptions & { public?: boolean; listQuery?: ListQuery } = {},
  ): void {
    for (const prefix of this.prefixes) {
      const url = prefix + path;
      const set = this.methods.get(url) ?? new Set<Method>();
      set.add(method);
      if (method === 'GET') set.add('HEAD');
      this.methods.set(url, set);
      const { public: isPublic, listQuery, ...routeOpts } = opts;
      this.app.route({ ...routeOpts, method, url, handler, config: { public: isPublic ?? false, listQuery } });
    }
  }

  /** Call once all routes of this table are added. */
  finish(): void {
    const all: Method[] = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];
    for (const [url, set] of this.methods) {
      const others = all.filter((m) => !set.has(m));
      if (others.length === 0) continue;
      const allow = [...set].sort().join(', ');
      this.app.route({
        method: others,
        url,
        config: { public: true },
        handler: async () => {
          throw new HttpFault(405, 'badMethod', 'The method specified is not allowed for this resource.', { allow });
        },
      });
    }
  }
}
