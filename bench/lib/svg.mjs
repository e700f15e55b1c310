// Throughput against concurrency, one panel per workload, as a hand-written
// SVG (no chart dependency). Limits are dashed grey lines.

import { PEERS } from './peers.mjs';
import { WORKLOADS, WORKLOAD_ORDER } from './workloads.mjs';

const PANEL_W = 470;
const PANEL_H = 250;
const PAD = { left: 64, right: 16, top: 34, bottom: 40 };
const LEGEND_LINE = 16;
const LEGEND_TOP = 18;
const COLUMNS = 2;

const esc = (s) =>
  String(s).replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c],
  );

function niceMax(value) {
  if (!(value > 0)) return 1;
  const exp = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * exp >= value) return m * exp;
  return 10 * exp;
}

function compact(n) {
  if (n >= 1e6) return `${+(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toFixed(1)}k`;
  return `${+n.toFixed(n < 10 ? 1 : 0)}`;
}

function panel(results, workload, x0, y0) {
  const groups = results.groups.filter((g) => g.workload === workload && g.rows?.length);
  const concurrencies = results.settings.concurrencies;
  const w = PANEL_W - PAD.left - PAD.right;
  const h = PANEL_H - PAD.top - PAD.bottom;
  const max = niceMax(Math.max(0, ...groups.flatMap((g) => g.rows.map((r) => r.throughput || 0))));
  const xAt = (i) =>
    x0 + PAD.left + (concurrencies.length === 1 ? w / 2 : (i * w) / (concurrencies.length - 1));
  const yAt = (v) => y0 + PAD.top + h - (Math.min(v, max) / max) * h;
  const out = [];
  const meta = WORKLOADS[workload];
  out.push(
    `<text x="${x0 + PAD.left}" y="${y0 + 20}" font-size="14" font-weight="bold">${esc(meta.title)}</text>`,
    `<text x="${x0 + PANEL_W - PAD.right}" y="${y0 + 20}" font-size="11" text-anchor="end" fill="#555">${esc(meta.unit)}</text>`,
  );
  // grid and y ticks
  for (let t = 0; t <= 5; t++) {
    const v = (max * t) / 5;
    const y = yAt(v);
    out.push(
      `<line x1="${x0 + PAD.left}" x2="${x0 + PAD.left + w}" y1="${y}" y2="${y}" stroke="${t ? '#e5e5e5' : '#999'}"/>`,
      `<text x="${x0 + PAD.left - 6}" y="${y + 4}" font-size="11" text-anchor="end" fill="#444">${compact(v)}</text>`,
    );
  }
  concurrencies.forEach((c, i) => {
    out.push(
      `<text x="${xAt(i)}" y="${y0 + PAD.top + h + 16}" font-size="11" text-anchor="middle" fill="#444">${c}</text>`,
    );
  });
  out.push(
    `<text x="${x0 + PAD.left + w / 2}" y="${y0 + PAD.top + h + 32}" font-size="11" text-anchor="middle" fill="#444">concurrency (closed-loop workers)</text>`,
  );
  // series, and their legend below the panel
  groups.forEach((g, i) => {
    const peer = PEERS[g.peer] ?? { short: g.peer, color: '#000' };
    const dash = peer.limit ? ' stroke-dasharray="6 4"' : '';
    const points = g.rows
      .map((r) => [concurrencies.indexOf(r.concurrency), r.throughput])
      .filter(([at, v]) => at >= 0 && Number.isFinite(v))
      .map(([at, v]) => [xAt(at), yAt(v)]);
    const width = g.peer.startsWith('ours') ? 3 : 2;
    if (points.length > 1) {
      out.push(
        `<polyline fill="none" stroke="${peer.color}" stroke-width="${width}"${dash} points="${points
          .map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`)
          .join(' ')}"/>`,
      );
    }
    for (const [x, y] of points) {
      out.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3" fill="${peer.color}"/>`);
    }
    const lx = x0 + PAD.left + (i % 2) * (w / 2);
    const ly = y0 + PANEL_H + LEGEND_TOP + Math.floor(i / 2) * LEGEND_LINE;
    out.push(
      `<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${peer.color}" stroke-width="2"${dash}/>`,
      `<text x="${lx + 24}" y="${ly}" font-size="11">${esc(peer.short)}</text>`,
    );
  });
  return out.join('\n');
}

export function renderSvg(results) {
  const workloads = WORKLOAD_ORDER.filter((w) =>
    results.groups.some((g) => g.workload === w && g.rows?.length),
  );
  const legendRows = Math.max(
    1,
    ...workloads.map((w) => Math.ceil(results.groups.filter((g) => g.workload === w).length / 2)),
  );
  const cellH = PANEL_H + LEGEND_TOP + legendRows * LEGEND_LINE + 16;
  const rows = Math.max(1, Math.ceil(workloads.length / COLUMNS));
  const width = COLUMNS * PANEL_W + 20;
  const header = 46;
  const height = header + rows * cellH + 10;
  const m = results.machine;
  const subtitle =
    `${results.mode === 'full' ? 'full' : results.mode} run ${m.date.slice(0, 10)} · ${m.cores} × ${m.cpu} · ` +
    `Node ${m.node} · addon ${results.addon?.build ?? '?'} build`;
  const body = workloads
    .map((w, i) =>
      panel(results, w, 10 + (i % COLUMNS) * PANEL_W, header + Math.floor(i / COLUMNS) * cellH),
    )
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="-apple-system, Segoe UI, Helvetica, Arial, sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
<text x="20" y="22" font-size="16" font-weight="bold">nextauth-chatbotkit: throughput against concurrency</text>
<text x="20" y="38" font-size="11" fill="#555">${esc(subtitle)}</text>
${body}
</svg>
`;
}
