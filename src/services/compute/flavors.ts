import type { Deps } from '../context.js';
import * as catalog from '../../db/repositories/catalog.repository.js';
import { flavorNotFound } from '../../domain/errors.js';

export type FlavorRow = NonNullable<Awaited<ReturnType<typeof catalog.getFlavor>>>;

/** Every flavor, by id (Stratus has no private flavors: every caller sees them all). */
export async function listFlavors(deps: Deps): Promise<FlavorRow[]> {
  return (await catalog.listFlavors(deps.db)).sort((a, b) => a.id.localeCompare(b.id));
}

export async function showFlavor(deps: Deps, id: string): Promise<FlavorRow> {
  const f = await catalog.getFlavor(deps.db, id);
  if (!f) throw flavorNotFound(id);
  return f;
}
