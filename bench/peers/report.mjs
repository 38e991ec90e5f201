#!/usr/bin/env node
// Print the median of each (tool, N, scenario) from run.mjs's results.jsonl as Markdown tables,
// with llama's ratio to each peer (llama wall / peer wall: below 1.0 means llama is faster).
// usage: node bench/peers/report.mjs WORK/results.jsonl [more.jsonl …]
import { readFileSync } from 'node:fs';

const rows = process.argv
  .slice(2)
  .flatMap((file) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line)));
if (rows.length === 0) {
  process.stderr.write('usage: report.mjs RESULTS.jsonl …\n');
  process.exitCode = 2;
}

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : '—');

/** Group key → rows (a note distinguishes e.g. the versioning-on llama run). */
const groups = new Map();
for (const row of rows) {
  const label = row.note?.startsWith('LLAMA_VERSIONING=on') ? `${row.tool} (versioning on)` : row.note?.startsWith('LLAMA_FSYNC=off') ? `${row.tool} (fsync off)` : row.tool;
  const key = `${row.n}\t${row.scenario}\t${label}`;
  if (!groups.has(key)) groups.set(key, []);
  groups.get(key).push(row);
}

const IDEAL = { a_cold_full: (n) => 40 * n, b_noop: () => 0, c_content_change: () => 38, d_touch_only: () => 0, e_comment_only: () => 1, f_touch_intermediate: () => 0 };
const byScenario = new Map();
for (const [key, list] of groups) {
  const [n, scenario, label] = key.split('\t');
  const sk = `${scenario}\t${n}`;
  if (!byScenario.has(sk)) byScenario.set(sk, []);
  const ok = list.filter((r) => r.ok !== false);
  byScenario.get(sk).push({
    label,
    runs: ok.length,
    failed: list.length - ok.length,
    wall: median(ok.map((r) => r.wall)),
    cpu: median(ok.map((r) => r.cpu)),
    rss: median(ok.map((r) => r.rssMb)),
    rebuilt: [...new Set(ok.map((r) => r.rebuilt).filter((x) => x !== undefined))].join('/'),
    load: median(list.map((r) => r.load)),
    note: [...new Set(list.map((r) => r.note).filter(Boolean))].join('; '),
    status: [...new Set(list.filter((r) => r.ok === false).map((r) => r.status))].join('/'),
  });
}

const order = ['a_cold_full', 'b_noop', 'c_content_change', 'd_touch_only', 'e_comment_only', 'f_touch_intermediate', 'g_plan_dry_run', 'h_per_event_noop', 'h_per_event_noop_scaled'];
const keys = [...byScenario.keys()].sort((a, b) => {
  const [sa, na] = a.split('\t');
  const [sb, nb] = b.split('\t');
  return Number(na) - Number(nb) || order.indexOf(sa) - order.indexOf(sb);
});
for (const key of keys) {
  const [scenario, n] = key.split('\t');
  const entries = byScenario.get(key).sort((a, b) => a.label.localeCompare(b.label));
  const llama = entries.find((e) => e.label === 'llama');
  const ideal = IDEAL[scenario]?.(Number(n));
  console.log(`\n#### ${scenario}, N = ${n}${ideal === undefined ? '' : ` (hash-ideal rebuilt: ${ideal})`}\n`);
  const perJob = scenario === 'a_cold_full';
  console.log(`| tool | runs | wall s (median) | CPU s | peak RSS MB | rebuilt |${perJob ? ' ms/job |' : ''} llama ÷ tool (wall) | llama ÷ tool (CPU) | load | note |`);
  console.log(`|---|---:|---:|---:|---:|---:|${perJob ? '---:|' : ''}---:|---:|---:|---|`);
  for (const e of entries) {
    const ratio = llama !== undefined && !e.label.startsWith('llama') ? fmt(llama.wall / e.wall) : '';
    const cpuRatio = llama !== undefined && !e.label.startsWith('llama') && e.cpu > 0 ? fmt(llama.cpu / e.cpu) : '';
    const failures = e.failed > 0 ? ` ${e.failed} failed/timed out (exit ${e.status})` : '';
    const job = perJob ? ` ${fmt((e.wall * 1000) / (40 * Number(n)))} |` : '';
    console.log(`| ${e.label} | ${e.runs} | ${fmt(e.wall)} | ${fmt(e.cpu)} | ${fmt(e.rss, 0)} | ${e.rebuilt || '—'} |${job} ${ratio} | ${cpuRatio} | ${fmt(e.load, 1)} | ${e.note}${failures} |`);
  }
}

// A compact overview: one row per (scenario, N), wall seconds and files rebuilt per tool.
if (process.env['REPORT_SUMMARY'] !== '0') {
  const tools = [...new Set([...byScenario.values()].flat().map((e) => e.label))].sort();
  console.log('\n#### Overview: median wall s (files rebuilt)\n');
  console.log(`| scenario | N | ideal | ${tools.join(' | ')} |`);
  console.log(`|---|---:|---:|${tools.map(() => '---:').join('|')}|`);
  for (const key of keys) {
    const [scenario, n] = key.split('\t');
    const entries = new Map(byScenario.get(key).map((e) => [e.label, e]));
    const ideal = IDEAL[scenario]?.(Number(n));
    const cells = tools.map((t) => {
      const e = entries.get(t);
      if (e === undefined) return '—';
      if (e.runs === 0) return `failed/timed out`;
      return `${fmt(e.wall)}${e.rebuilt === '' ? '' : ` (${e.rebuilt})`}`;
    });
    console.log(`| ${scenario} | ${n} | ${ideal ?? ''} | ${cells.join(' | ')} |`);
  }
}
