import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RouteTable } from '../../http/route-table.js';
import { list, type Query } from '../../http/query.js';

/**
 * Neutron's availability_zone extension. Stratus' networks have no agents to schedule, and
 * every network reports the zone `nova` (see renderNetwork), so that is the one zone Neutron
 * lists here; the openstack CLI asks for it in `availability zone list`.
 */
export const AVAILABILITY_ZONE_EXTENSION = {
  alias: 'availability_zone',
  name: 'Availability Zone',
  description: 'The availability zone extension.',
  updated: '2015-01-01T10:00:00-00:00',
  links: [],
};

const ZONES = [{ name: 'nova', resource: 'network', state: 'available' }];

export function registerNetworkZoneRoutes(app: FastifyInstance): void {
  const r = new RouteTable(app);
  // Neutron filters: each given field must match one of its values; `fields` picks the keys.
  r.add(
    'GET',
    '/networking/v2.0/availability_zones',
    async (request: FastifyRequest) => {
      const q = request.query as Query;
      const fields = list(q, 'fields');
      const rows = ZONES.filter((z) =>
        (['name', 'resource', 'state'] as const).every((k) => {
          const want = list(q, k);
          return want === undefined || want.includes(z[k]);
        }),
      );
      return {
        availability_zones: rows.map((z) =>
          fields ? Object.fromEntries(Object.entries(z).filter(([k]) => fields.includes(k))) : z,
        ),
      };
    },
    { listQuery: 'all' },
  );
  r.finish();
}
