// Plain SVG charts, built as strings from numbers and escaped labels.
// Pure functions: test/charts.test.ts checks their geometry.

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** A "nice" axis maximum at or above `v` (1, 2, 5 × 10^k). */
export function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export interface Bar {
  label: string;
  value: number;
  tone?: string;
}

export interface BarGeometry {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Bar rectangles inside a plot area of `w` × `h`. */
export function barGeometry(values: number[], w: number, h: number, gap = 4): BarGeometry[] {
  const max = niceMax(Math.max(0, ...values));
  const n = values.length || 1;
  const bw = (w - gap * (n - 1)) / n;
  return values.map((v, i) => {
    const bh = (Math.max(0, v) / max) * h;
    return { x: i * (bw + gap), y: h - bh, w: bw, h: bh };
  });
}

export function barChart(title: string, bars: Bar[], opts: { width?: number; height?: number; unit?: string } = {}): string {
  const W = opts.width ?? 520;
  const H = opts.height ?? 220;
  const left = 40, bottom = 36, top = 24, right = 8;
  const pw = W - left - right, ph = H - top - bottom;
  const max = niceMax(Math.max(0, ...bars.map((b) => b.value)));
  const geo = barGeometry(bars.map((b) => b.value), pw, ph);
  const parts: string[] = [];
  parts.push(`<svg class="chart" role="img" aria-label="${esc(title)}" viewBox="0 0 ${W} ${H}" width="100%" xmlns="http://www.w3.org/2000/svg">`);
  parts.push(`<title>${esc(title)}</title>`);
  for (const t of [0, 0.5, 1]) {
    const y = top + ph - t * ph;
    parts.push(`<line x1="${left}" x2="${W - right}" y1="${y}" y2="${y}" class="grid"/>`);
    parts.push(`<text x="${left - 6}" y="${y + 4}" text-anchor="end" class="tick">${Math.round(t * max)}</text>`);
  }
  bars.forEach((b, i) => {
    const g = geo[i];
    const x = left + g.x;
    parts.push(`<rect x="${x.toFixed(1)}" y="${(top + g.y).toFixed(1)}" width="${g.w.toFixed(1)}" height="${g.h.toFixed(1)}" class="bar ${esc(b.tone ?? "")}"><title>${esc(b.label)}: ${b.value}${esc(opts.unit ?? "")}</title></rect>`);
    if (b.value > 0) parts.push(`<text x="${(x + g.w / 2).toFixed(1)}" y="${(top + g.y - 4).toFixed(1)}" text-anchor="middle" class="val">${b.value}</text>`);
    parts.push(`<text x="${(x + g.w / 2).toFixed(1)}" y="${H - bottom + 16}" text-anchor="middle" class="tick">${esc(b.label)}</text>`);
  });
  parts.push(`</svg>`);
  return parts.join("");
}

export interface Series {
  name: string;
  values: number[];
}

/** Polyline points for a series in a `w` × `h` area with a shared maximum. */
export function linePoints(values: number[], max: number, w: number, h: number): string {
  const n = values.length;
  return values
    .map((v, i) => {
      const x = n <= 1 ? w / 2 : (i / (n - 1)) * w;
      const y = h - (Math.max(0, v) / (max || 1)) * h;
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(" ");
}

export const PALETTE = ["#1f6f8b", "#d1495b", "#edae49", "#00798c", "#6a4c93", "#3a7d44", "#8d6a9f", "#444"];

export function lineChart(title: string, series: Series[], xLabels: string[], opts: { width?: number; height?: number } = {}): string {
  const W = opts.width ?? 720;
  const H = opts.height ?? 240;
  const left = 40, bottom = 40, top = 16, right = 170;
  const pw = W - left - right, ph = H - top - bottom;
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const parts: string[] = [];
  parts.push(`<svg class="chart" role="img" aria-label="${esc(title)}" viewBox="0 0 ${W} ${H}" width="100%" xmlns="http://www.w3.org/2000/svg"><title>${esc(title)}</title>`);
  for (const t of [0, 0.5, 1]) {
    const y = top + ph - t * ph;
    parts.push(`<line x1="${left}" x2="${left + pw}" y1="${y}" y2="${y}" class="grid"/>`);
    parts.push(`<text x="${left - 6}" y="${y + 4}" text-anchor="end" class="tick">${Math.round(t * max)}</text>`);
  }
  const first = xLabels[0] ?? "";
  const last = xLabels[xLabels.length - 1] ?? "";
  parts.push(`<text x="${left}" y="${H - bottom + 18}" class="tick">${esc(first)}</text>`);
  parts.push(`<text x="${left + pw}" y="${H - bottom + 18}" text-anchor="end" class="tick">${esc(last)}</text>`);
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    parts.push(`<g transform="translate(${left},${top})"><polyline fill="none" stroke="${color}" stroke-width="2" points="${linePoints(s.values, max, pw, ph)}"><title>${esc(s.name)}</title></polyline></g>`);
    const ly = top + 12 + i * 18;
    parts.push(`<rect x="${left + pw + 12}" y="${ly - 9}" width="12" height="12" fill="${color}"/>`);
    parts.push(`<text x="${left + pw + 30}" y="${ly + 1}" class="legend">${esc(s.name)} (${s.values.reduce((a, b) => a + b, 0)})</text>`);
  });
  parts.push(`</svg>`);
  return parts.join("");
}

/** A horizontal timeline of events: x by time, one row per lane. */
export function timeline(title: string, events: { at: number; lane: string; label: string; tone?: string }[], opts: { width?: number } = {}): string {
  const lanes = Array.from(new Set(events.map((e) => e.lane)));
  const W = opts.width ?? 720;
  const rowH = 26, left = 130, right = 16, top = 10;
  const H = top + lanes.length * rowH + 24;
  const t0 = Math.min(...events.map((e) => e.at));
  const t1 = Math.max(...events.map((e) => e.at));
  const span = Math.max(1, t1 - t0);
  const pw = W - left - right;
  const parts: string[] = [`<svg class="chart" role="img" aria-label="${esc(title)}" viewBox="0 0 ${W} ${H}" width="100%" xmlns="http://www.w3.org/2000/svg"><title>${esc(title)}</title>`];
  lanes.forEach((l, i) => {
    const y = top + i * rowH + rowH / 2;
    parts.push(`<text x="${left - 8}" y="${y + 4}" text-anchor="end" class="tick">${esc(l)}</text>`);
    parts.push(`<line x1="${left}" x2="${W - right}" y1="${y}" y2="${y}" class="grid"/>`);
  });
  for (const e of events) {
    const x = left + ((e.at - t0) / span) * pw;
    const y = top + lanes.indexOf(e.lane) * rowH + rowH / 2;
    parts.push(`<circle cx="${x.toFixed(1)}" cy="${y}" r="5" class="dot ${esc(e.tone ?? "")}"><title>${esc(e.label)}</title></circle>`);
  }
  parts.push(`</svg>`);
  return parts.join("");
}

/**
 * A QR code as SVG: `modules` is the code's `width` × `width` matrix row by
 * row, "1" dark and "0" light; a 4-module quiet zone surrounds it. Dark runs
 * in a row become one rectangle each.
 */
export function qrSvg(width: number, modules: string, size = 240): string {
  if (!Number.isInteger(width) || width <= 0 || modules.length !== width * width || /[^01]/.test(modules)) {
    throw new Error("a QR code needs width × width modules of 0 and 1");
  }
  const quiet = 4;
  const n = width + 2 * quiet;
  const rects: string[] = [];
  for (let y = 0; y < width; y++) {
    let x = 0;
    while (x < width) {
      if (modules[y * width + x] !== "1") {
        x++;
        continue;
      }
      const start = x;
      while (x < width && modules[y * width + x] === "1") x++;
      rects.push(`<rect x="${start + quiet}" y="${y + quiet}" width="${x - start}" height="1"/>`);
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${n} ${n}" width="${size}" height="${size}" shape-rendering="crispEdges" role="img" aria-label="QR code"><rect width="${n}" height="${n}" fill="#fff"/><g fill="#000">${rects.join("")}</g></svg>`;
}
