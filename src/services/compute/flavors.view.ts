/** Flavor views (nova/api/openstack/compute/views/flavors.py). */
import { atLeast, type Microversion } from '../../http/microversion.js';
import type { FlavorRow } from './flavors.js';

export interface FlavorViewContext {
  mv: Microversion;
  base: string;
  bookmarkBase: string;
  /** 2.61: whether os-flavor-extra-specs:index lets the caller see extra_specs. */
  extraSpecs: boolean;
}

const links = (ctx: FlavorViewContext, id: string) => [
  { rel: 'self', href: `${ctx.base}/flavors/${id}` },
  { rel: 'bookmark', href: `${ctx.bookmarkBase}/flavors/${id}` },
];

/** `basic`: id, name, links, and the description from 2.55 (GET /flavors). */
export function renderFlavorBrief(ctx: FlavorViewContext, f: FlavorRow): Record<string, unknown> {
  const out: Record<string, unknown> = { id: f.id, name: f.name, links: links(ctx, f.id) };
  if (atLeast(ctx.mv, 55)) out.description = f.description;
  return out;
}

/** `show`: every field; swap is "" for 0 before 2.75, description from 2.55, extra_specs from 2.61. */
export function renderFlavor(ctx: FlavorViewContext, f: FlavorRow): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: f.id,
    name: f.name,
    ram: f.ram,
    disk: f.disk,
    swap: atLeast(ctx.mv, 75) ? f.swap : f.swap || '',
    'OS-FLV-EXT-DATA:ephemeral': f.ephemeral,
    'OS-FLV-DISABLED:disabled': false,
    vcpus: f.vcpus,
    'os-flavor-access:is_public': f.is_public === 1,
    rxtx_factor: f.rxtx_factor,
    links: links(ctx, f.id),
  };
  if (atLeast(ctx.mv, 55)) out.description = f.description;
  if (atLeast(ctx.mv, 61) && ctx.extraSpecs) out.extra_specs = JSON.parse(f.extra_specs);
  return out;
}

/** os-flavor-access's _marshall_flavor_access. */
export function renderFlavorAccess(a: { flavorId: string; projects: string[] }) {
  return { flavor_access: a.projects.map((p) => ({ flavor_id: a.flavorId, tenant_id: p })) };
}
