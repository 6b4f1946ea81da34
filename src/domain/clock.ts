import { randomUUID } from 'node:crypto';

/** Injected time source, so tests advance time instead of sleeping. */
export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/** A clock tests can move forward. */
export class ManualClock implements Clock {
  constructor(private t = new Date('2026-01-01T00:00:00.000Z')) {}
  now(): Date {
    return new Date(this.t);
  }
  advance(ms: number): void {
    this.t = new Date(this.t.getTime() + ms);
  }
}

/** Injected id generator (uuids in production, predictable in tests when wanted). */
export interface Ids {
  /** A random UUID (v4): what clients see (servers, ports, images…). */
  uuid(): string;
  /**
   * A time-ordered UUID (v7) for Stratus' own records (tasks, instance actions and events): rows
   * written together land on the same last page of the primary-key index instead of one random
   * page each, so a commit writes fewer pages.
   */
  sortable(): string;
}
export const randomIds: Ids = { uuid: () => randomUUID(), sortable: uuidV7 };

/** RFC 9562 UUIDv7: 48-bit Unix milliseconds, the version, then a v4's random and variant bits. */
export function uuidV7(): string {
  const ms = Date.now().toString(16).padStart(12, '0');
  return `${ms.slice(0, 8)}-${ms.slice(8)}-7${randomUUID().slice(15)}`;
}

export function iso(d: Date): string {
  return d.toISOString();
}

/** Nova renders times without milliseconds: 2026-11-27T13:22:03Z. */
export function novaTime(s: string | null): string | null {
  return s === null ? null : s.replace(/\.\d{3}Z$/, 'Z');
}

/** The `OS-SRV-USG:launched_at` form: 2026-11-27T13:22:03.000000 (no zone). */
export function novaUsecTime(s: string | null): string | null {
  return s === null ? null : s.replace(/\.(\d{3})Z$/, '.$1000');
}
