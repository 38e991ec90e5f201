import dagre from '@dagrejs/dagre';
import type { EventStatus, RuleStatusState } from '@llama/core';
import { escapeHtml } from './html.js';

/** Node fill per state (the legend on the page uses the same). */
export const STATE_COLOURS: Readonly<Record<RuleStatusState, string>> = {
  fresh: '#7ac77a',
  'to-run': '#f2d95c',
  running: '#6aa9f0',
  'cooling-down': '#f0a45c',
  failed: '#e0605c',
  vetoed: '#b9b9b9',
  waiting: '#f4f1e6',
  manual: '#c9a6e6',
  locked: '#8fd6cf',
  'bad-path': '#b3403c',
};

const NODE_H = 38;
const CHAR_W = 7.2;

/**
 * The event's DAG as SVG, laid out by dagre (@dagrejs, the family of the engine's graphlib): one
 * node per rule, coloured by its state, linked to its file page, with the reason as its tooltip.
 */
export function dagSvg(status: EventStatus, fileHref: (filename: string) => string): string {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 12, ranksep: 40, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  const names = new Set(status.rules.map((r) => r.rule));
  for (const r of status.rules) g.setNode(r.rule, { width: Math.max(80, Math.max(r.rule.length, r.step.reason.kind.length * 0.85) * CHAR_W + 16), height: NODE_H });
  for (const r of status.rules) for (const input of r.inputs) if (names.has(input)) g.setEdge(input, r.rule);
  dagre.layout(g);
  const graph = g.graph();
  const width = Math.ceil(graph.width ?? 0);
  const height = Math.ceil(graph.height ?? 0);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="dag" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="rules of ${escapeHtml(status.event.eventId)} by state">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#777"/></marker></defs>',
  ];
  for (const e of g.edges()) {
    const points = g.edge(e).points ?? [];
    const d = points.map((p: { x: number; y: number }, i: number) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="#999" stroke-width="1" marker-end="url(#arrow)"/>`);
  }
  for (const r of status.rules) {
    const n = g.node(r.rule);
    const x = n.x - n.width / 2;
    const y = n.y - n.height / 2;
    parts.push(
      `<a href="${escapeHtml(fileHref(r.filename))}" class="node" data-rule="${escapeHtml(r.rule)}" data-state="${r.state}">` +
        `<title>${escapeHtml(`${r.rule} (${r.filename}): ${r.state} — ${r.text}`)}</title>` +
        `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${n.width}" height="${n.height}" rx="4" fill="${STATE_COLOURS[r.state]}" stroke="#555"/>` +
        `<text x="${n.x.toFixed(1)}" y="${(n.y - 2).toFixed(1)}" text-anchor="middle" font-size="12" font-family="sans-serif">${escapeHtml(r.rule)}</text>` +
        // The planner's reason, by name: the legend is the planner's, not a second one.
        `<text x="${n.x.toFixed(1)}" y="${(n.y + 12).toFixed(1)}" text-anchor="middle" font-size="10" font-family="sans-serif" fill="#333">${escapeHtml(r.step.reason.kind)}</text></a>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
}
