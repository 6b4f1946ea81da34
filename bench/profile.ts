/**
 * Reads a V8 .cpuprofile (node --cpu-prof) and names the hottest frames: self time per function,
 * and inclusive ("total") time per function, both as a share of all samples.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Frame {
  frame: string;
  selfPct: number;
  totalPct: number;
}
export interface HotFrames {
  bySelf: Frame[];
  byTotal: Frame[];
  stratus: Frame[];
  samples: number;
}

function label(n: Node, root: string): string {
  const { functionName, url, lineNumber } = n.callFrame;
  const file = url.startsWith('file://') ? relative(root, new URL(url).pathname) : url || '(native)';
  return `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
}

/**
 * Top `limit` frames by self time, by inclusive time, and Stratus' own functions (dist/src) by
 * inclusive time. Only samples taken between `fromMs` and `toMs` after the profile started count
 * (the load window, not start-up).
 */
export function hotFrames(file: string, root: string, limit = 15, fromMs = 0, toMs = Infinity): HotFrames {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const window: number[] = [];
  let t = 0;
  p.samples.forEach((id, i) => {
    t += p.timeDeltas[i] ?? 0;
    if (t / 1000 >= fromMs && t / 1000 <= toMs) window.push(id);
  });
  for (const id of window) {
    const n = byId.get(id)!;
    const l = label(n, root);
    self.set(l, (self.get(l) ?? 0) + 1);
    // Inclusive: every distinct frame on the stack once.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = label(byId.get(cur)!, root);
      if (seen.has(f)) continue;
      seen.add(f);
      total.set(f, (total.get(f) ?? 0) + 1);
    }
  }
  const n = window.length || 1;
  const top = (m: Map<string, number>, skip: RegExp) =>
    [...m.entries()]
      .filter(([f]) => !skip.test(f))
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([frame]) => ({
        frame,
        selfPct: ((self.get(frame) ?? 0) * 100) / n,
        totalPct: ((total.get(frame) ?? 0) * 100) / n,
      }));
  const noise = /^\((root|program|idle|anonymous)\)|^processTicksAndRejections|^runMicrotasks/;
  return {
    bySelf: top(self, /^$/),
    byTotal: top(total, noise),
    stratus: top(total, /^(?!.*dist\/src\/)/), // dist/ or a .mydist/ build
    samples: window.length,
  };
}

/** When a profile started (µs on the system's monotonic clock, shared by processes: to align a worker's with its primary's). */
export function profileStartUs(file: string): number {
  return (JSON.parse(readFileSync(file, 'utf8')) as Profile).startTime;
}
