/**
 * Nova's _destroy_evacuated_instances (compute/manager.py init_host): a node that comes back
 * after its servers were evacuated destroys the guests it still holds of them and marks those
 * evacuations `completed`. It runs before the node takes any task, so an evacuated guest never
 * runs beside its rebuilt copy.
 */
import * as migrations from '../db/repositories/migrations.repository.js';
import * as servers from '../db/repositories/servers.repository.js';
import { iso } from '../domain/clock.js';
import type { ComputeDriver } from '../drivers/driver.js';
import type { AgentDeps } from './agent-deps.js';

/** Returns how many guests were destroyed. */
export async function destroyEvacuatedGuests(deps: AgentDeps, driver: ComputeDriver, host: string): Promise<number> {
  const evacuations = await migrations.evacuationsFromHost(deps.db, host);
  if (evacuations.length === 0) return 0;
  const local = new Set(await driver.listGuests());
  let destroyed = 0;
  for (const mig of evacuations) {
    // The server may have come back here since (a later move): then the guest is its own.
    const row = await servers.getServer(deps.db, mig.server_id, { readDeleted: true });
    if (local.has(mig.server_id) && !(row && row.deleted === 0 && row.host === host)) {
      deps.log.info({ server: mig.server_id, host }, 'destroying a guest evacuated from this host');
      await driver.destroy(mig.server_id);
      destroyed++;
    }
    await migrations.casMigrationStatus(
      deps.db,
      mig.id,
      migrations.EVACUATION_LEFTOVER_STATUSES,
      'completed',
      iso(deps.clock.now()),
    );
  }
  return destroyed;
}
