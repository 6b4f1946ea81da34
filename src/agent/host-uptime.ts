import { loadavg, uptime } from 'node:os';

/**
 * The line `uptime(1)` prints, which Nova's libvirt driver hands back for os-hypervisors uptime
 * (`env LANG=C uptime`): the time, how long the host has been up, users, load averages. Node
 * cannot count logged-in users, so that part says 0.
 */
export function uptimeLine(now: Date, upSeconds: number, load: readonly number[]): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const clock = `${two(now.getHours())}:${two(now.getMinutes())}:${two(now.getSeconds())}`;
  const days = Math.floor(upSeconds / 86400);
  const hours = Math.floor((upSeconds % 86400) / 3600);
  const minutes = Math.floor((upSeconds % 3600) / 60);
  const dayPart = days > 0 ? `${days} day${days === 1 ? '' : 's'}, ` : '';
  const timePart = hours > 0 ? `${String(hours).padStart(2, ' ')}:${two(minutes)}` : `${minutes} min`;
  const avg = load.map((l) => l.toFixed(2)).join(', ');
  return ` ${clock} up ${dayPart}${timePart},  0 users,  load average: ${avg}`;
}

/** This host's line now. */
export function hostUptime(now: Date): string {
  return uptimeLine(now, uptime(), loadavg());
}
