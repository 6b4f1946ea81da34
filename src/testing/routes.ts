import type { FastifyInstance, HTTPMethods } from 'fastify';

/** One path of the running app's router, with every method the router answers on it. */
export interface DiscoveredRoute {
  url: string;
  methods: string[];
}

/**
 * The routes of a built (ready) Fastify app, read back from the router itself rather than from a
 * hand-kept list: `printRoutes({ commonPrefix: false })` prints the radix tree one node a line
 * (`│   ├── /segment (GET, HEAD)`), four columns per level; a route's url is the concatenation of
 * the segments on its branch. Every (url, method) found is confirmed with `app.hasRoute`, so a
 * change in the printed format fails loudly instead of silently dropping routes.
 */
export function discoverRoutes(app: FastifyInstance): DiscoveredRoute[] {
  const text = app.printRoutes({ commonPrefix: false });
  const stack: string[] = [];
  const byUrl = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const m = line.match(/^([│ ]*)[├└]── (.*)$/u);
    if (!m) continue;
    const depth = [...m[1]].length / 4;
    if (!Number.isInteger(depth)) throw new Error(`discoverRoutes: unexpected indentation in ${JSON.stringify(line)}`);
    const rest = m[2];
    const pm = rest.match(/^(.*?) \(([A-Z, ]+)\)(?: .*)?$/);
    const segment = pm ? pm[1] : rest.trim();
    stack.length = depth;
    stack.push(segment);
    if (!pm) continue;
    const url = stack.join('');
    const set = byUrl.get(url) ?? new Set<string>();
    for (const method of pm[2]
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean))
      set.add(method);
    byUrl.set(url, set);
  }
  const routes = [...byUrl].map(([url, methods]) => ({ url, methods: [...methods].sort() }));
  for (const r of routes) {
    for (const method of r.methods) {
      if (!app.hasRoute({ method: method as HTTPMethods, url: r.url }))
        throw new Error(`discoverRoutes: parsed ${method} ${r.url}, but the router has no such route`);
    }
  }
  if (routes.length === 0) throw new Error('discoverRoutes: no routes parsed from printRoutes()');
  return routes.sort((a, b) => a.url.localeCompare(b.url));
}
