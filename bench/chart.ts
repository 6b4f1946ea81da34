/**
 * A dependency-free SVG line chart: side-by-side panels, log or linear axes, one polyline and
 * marker set per series, a legend under each panel.
 */

export interface Series {
  name: string;
  color: string;
  dashed?: boolean;
  points: Array<[x: number, y: number]>;
}
export interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  xLog?: boolean;
  yLog?: boolean;
  /** Tick positions on x with their labels (e.g. concurrency levels, table sizes). */
  xTicks: Array<[value: number, label: string]>;
  series: Series[];
  /** Optional horizontal reference line (a target). */
  target?: { y: number; label: string };
}

const W = 520,
  H = 360;
const M = { left: 64, right: 20, top: 44, bottom: 56 };
const LEGEND_ROW = 16;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number) =>
  v >= 100
    ? v.toFixed(0)
    : v >= 10
      ? v.toFixed(1).replace(/\.0$/, '')
      : v >= 1
        ? v.toFixed(2).replace(/\.?0+$/, '')
        : v.toPrecision(2);

function scale(lo: number, hi: number, log: boolean, a: number, b: number): (v: number) => number {
  const f = log ? Math.log10 : (v: number) => v;
  const l = f(lo),
    h = f(hi) === f(lo) ? f(lo) + 1 : f(hi);
  return (v) => a + ((f(v) - l) / (h - l)) * (b - a);
}

/** 1-2-5 ticks per decade for log axes (1 only when they span more than 3 decades), ~5 round ticks for linear ones. */
function yTicks(lo: number, hi: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    const mantissas = Math.log10(hi / lo) > 3 ? [1] : [1, 2, 5];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++)
      for (const m of mantissas) {
        const v = m * 10 ** e;
        if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
      }
    return out;
  }
  const step = 10 ** Math.floor(Math.log10((hi - lo) / 5 || 1));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => (hi - lo) / s <= 6) ?? step * 10;
  const out: number[] = [];
  for (let v = Math.ceil(lo / nice) * nice; v <= hi + 1e-9; v += nice) out.push(Number(v.toPrecision(6)));
  return out;
}

function renderPanel(p: Panel, ox: number): string {
  const pts = p.series
    .flatMap((s) => s.points)
    .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!p.yLog || y > 0));
  const parts: string[] = [];
  parts.push(
    `<text x="${ox + W / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${esc(p.title)}</text>`,
  );
  if (pts.length === 0) {
    parts.push(`<text x="${ox + W / 2}" y="${H / 2}" text-anchor="middle" fill="#888">no data</text>`);
    return parts.join('\n');
  }
  const xs = [...pts.map((q) => q[0]), ...p.xTicks.map((t) => t[0])];
  const ysRaw = [...pts.map((q) => q[1]), ...(p.target ? [p.target.y] : [])];
  let yLo = Math.min(...ysRaw),
    yHi = Math.max(...ysRaw);
  if (p.yLog) {
    yLo = 10 ** Math.floor(Math.log10(yLo));
    yHi = 10 ** Math.ceil(Math.log10(yHi));
  } else {
    yLo = 0;
    yHi *= 1.1;
  }
  const x0 = ox + M.left,
    x1 = ox + W - M.right,
    y0 = H - M.bottom,
    y1 = M.top;
  const sx = scale(Math.min(...xs), Math.max(...xs), p.xLog ?? false, x0 + 14, x1 - 14);
  const sy = scale(yLo, yHi, p.yLog ?? false, y0, y1);
  parts.push(`<rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}" fill="none" stroke="#999"/>`);
  for (const v of yTicks(yLo, yHi, p.yLog ?? false)) {
    const y = sy(v).toFixed(1);
    parts.push(
      `<line x1="${x0}" x2="${x1}" y1="${y}" y2="${y}" stroke="#eee"/><text x="${x0 - 6}" y="${y}" dy="4" text-anchor="end" font-size="11">${fmt(v)}</text>`,
    );
  }
  for (const [v, label] of p.xTicks) {
    const x = sx(v).toFixed(1);
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${y0}" y2="${y0 + 5}" stroke="#999"/><text x="${x}" y="${y0 + 18}" text-anchor="middle" font-size="11">${esc(label)}</text>`,
    );
  }
  parts.push(`<text x="${(x0 + x1) / 2}" y="${y0 + 36}" text-anchor="middle" font-size="12">${esc(p.xLabel)}</text>`);
  parts.push(
    `<text transform="translate(${ox + 16},${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(p.yLabel)}</text>`,
  );
  if (p.target) {
    const y = sy(p.target.y).toFixed(1);
    parts.push(
      `<line x1="${x0}" x2="${x1}" y1="${y}" y2="${y}" stroke="#c00" stroke-dasharray="2,3"/><text x="${x1 - 4}" y="${y}" dy="-4" text-anchor="end" font-size="10" fill="#c00">${esc(p.target.label)}</text>`,
    );
  }
  p.series.forEach((s, i) => {
    const sp = s.points
      .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!p.yLog || y > 0))
      .sort((a, b) => a[0] - b[0]);
    const dash = s.dashed ? ' stroke-dasharray="6,4"' : '';
    if (sp.length > 1)
      parts.push(
        `<polyline fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${sp.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>`,
      );
    for (const [x, y] of sp)
      parts.push(
        `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${s.color}"><title>${esc(`${s.name}: ${fmt(y)} ms`)}</title></circle>`,
      );
    const col = i % 2,
      row = Math.floor(i / 2);
    const lx = x0 + col * ((x1 - x0) / 2),
      ly = H + row * LEGEND_ROW;
    parts.push(
      `<line x1="${lx}" x2="${lx + 18}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/><text x="${lx + 24}" y="${ly}" dy="4" font-size="11">${esc(s.name)}</text>`,
    );
  });
  return parts.join('\n');
}

/** The whole SVG document: panels left to right, caption lines underneath. */
export function renderChart(panels: Panel[], caption: string[] = []): string {
  const legendRows = Math.max(1, ...panels.map((p) => Math.ceil(p.series.length / 2)));
  const top = H + legendRows * LEGEND_ROW + 8;
  const height = top + caption.length * 16 + 4;
  const width = W * panels.length;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    ...panels.map((p, i) => renderPanel(p, i * W)),
    ...caption.map(
      (line, i) =>
        `<text x="${width / 2}" y="${top + 12 + i * 16}" text-anchor="middle" font-size="11" fill="#555">${esc(line)}</text>`,
    ),
    '</svg>',
    '',
  ].join('\n');
}
