import type { Executor } from '../db/executor.js';
import * as servers from '../db/repositories/servers.repository.js';
import { blockDevicesOfServers, type BlockDeviceRow } from '../db/repositories/block-devices.repository.js';
import { BatchWindow } from '../services/compute/batch-window.js';

interface Ask<V> {
  key: string;
  resolve: (v: V | undefined) => void;
  reject: (e: unknown) => void;
}

/**
 * Reads by key where the keys asked in one event-loop turn share one query (a DataLoader). The
 * agent starts the tasks handed over in one turn together, and each used to read its server and
 * its block devices alone: two round trips per delete on PostgreSQL, now two per batch (issue 15).
 * A failed query fails every read of its batch (each task retries as after any database error).
 */
export class TurnLoader<V> {
  private readonly window: BatchWindow<Ask<V>>;

  constructor(fetch: (keys: string[]) => Promise<Map<string, V>>, max = 256, inFlight = 2) {
    this.window = new BatchWindow<Ask<V>>(
      async (asks) => {
        try {
          const found = await fetch([...new Set(asks.map((a) => a.key))]);
          for (const a of asks) a.resolve(found.get(a.key));
        } catch (err) {
          for (const a of asks) a.reject(err);
        }
      },
      max,
      inFlight,
    );
  }

  load(key: string): Promise<V | undefined> {
    return new Promise((resolve, reject) => this.window.add({ key, resolve, reject }));
  }
}

/** The agent's per-task reads, batched per turn: live server rows, and block devices by server. */
export class AgentReads {
  private readonly liveServers: TurnLoader<servers.ServerRow>;
  private readonly devices: TurnLoader<BlockDeviceRow[]>;

  constructor(db: Executor) {
    this.liveServers = new TurnLoader(async (ids) => {
      const rows = await servers.getServers(db, ids);
      return new Map(rows.map((r) => [r.id, r]));
    });
    this.devices = new TurnLoader(async (ids) => {
      const byServer = new Map<string, BlockDeviceRow[]>();
      // blockDevicesOfServers keeps each server's device order
      for (const b of await blockDevicesOfServers(db, ids))
        byServer.set(b.server_id, [...(byServer.get(b.server_id) ?? []), b]);
      return byServer;
    });
  }

  /** The server, not deleted; undefined when gone. */
  server(id: string): Promise<servers.ServerRow | undefined> {
    return this.liveServers.load(id);
  }

  /** The server's block device mappings, boot device first. */
  async blockDevices(serverId: string): Promise<BlockDeviceRow[]> {
    return (await this.devices.load(serverId)) ?? [];
  }
}
