import { readdirSync, readFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import {
  ACTION_COMMANDS,
  FLAG_NAMES,
  FLAG_PRESETS,
  FLAG_VALUES,
  RULE_STATES,
  flagsThatMatter,
  riderNames,
  type EventStatus,
  type HolderStatus,
  type RuleStatus,
  type RuleStatusState,
} from '@llama/core';
import { dagSvg } from './dag.js';
import { readFitsHeaders } from './fits.js';
import type { Commit } from './git.js';
import { escapeHtml as h, seg } from './html.js';
import type { ServedRun } from './safe.js';

const time = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours}h ${m % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

export const runHref = (run: string): string => `/${seg(run)}/`;
export const eventHref = (run: string, event: string): string => `/${seg(run)}/${seg(event)}`;
export const fileHref = (run: string, event: string, file: string): string => `/${seg(run)}/${seg(event)}/files/${seg(file)}`;
export const rawHref = (run: string, event: string, file: string, commit?: string): string =>
  `/${seg(run)}/${seg(event)}/raw/${seg(file)}${commit === undefined ? '' : `?v=${seg(commit)}`}`;
export const downloadHref = (run: string, event: string, file: string, commit?: string): string =>
  `/${seg(run)}/${seg(event)}/download/${seg(file)}${commit === undefined ? '' : `?v=${seg(commit)}`}`;
const actionHref = (run: string, event: string, action: string): string => `/${seg(run)}/${seg(event)}/actions/${seg(action)}`;

function stateBadge(state: RuleStatusState, text?: string): string {
  return `<span class="state s-${state}">${h(text ?? state)}</span>`;
}

function legend(): string {
  return `<p class="legend">${RULE_STATES.map((s) => `<span class="s-${s}">${s}</span>`).join('')}</p>`;
}

function formatP(p: number | null | undefined): string {
  if (p === undefined) return '';
  if (p === null) return 'unknown';
  return p === 0 || p >= 0.001 ? String(Number(p.toPrecision(3))) : p.toExponential(2);
}

export function runsPage(runs: readonly ServedRun[], counts: ReadonlyMap<string, number>): string {
  const rows = runs.map((r) => `<tr><td><a href="${h(runHref(r.name))}">${h(r.name)}</a></td><td>${h(r.dir)}</td><td>${h(r.glob)}</td><td class="num">${counts.get(r.name) ?? 0}</td></tr>`);
  return `<h1>Runs</h1><table><tr><th>run</th><th>directory</th><th>events</th><th>count</th></tr>${rows.join('')}</table>`;
}

/**
 * The state a group cell shows: the first present in this order, so what needs an operator comes
 * first; rules waiting on a trigger or vetoed are normal and shown only when nothing else is.
 */
const SEVERITY: readonly RuleStatusState[] = ['bad-path', 'failed', 'cooling-down', 'running', 'to-run', 'manual', 'fresh', 'locked', 'waiting', 'vetoed'];

function groupCell(rules: readonly RuleStatus[]): string {
  if (rules.length === 0) return '<td></td>';
  const counts = new Map<RuleStatusState, number>();
  for (const r of rules) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
  const worst = SEVERITY.find((s) => counts.has(s)) ?? 'fresh';
  const title = [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
  return `<td><span class="cell s-${worst}" title="${h(title)}">${counts.get(worst) ?? 0} ${h(worst)}</span><span class="muted"> /${rules.length}</span></td>`;
}

/** One event's row of the events table (also served alone, so a change updates just its row). */
export function eventRow(run: ServedRun, s: EventStatus, groups: readonly string[], groupOf: (rule: string) => string, now: number): string {
  const link = `<a href="${h(eventHref(run.name, s.event.eventId))}">${h(s.event.eventId)}</a>`;
  if (s.error !== undefined) return `<tr data-event="${h(s.event.eventId)}"><td>${link}</td><td>${age(now - s.created)}</td><td colspan="${groups.length + 2}" class="err">${h(s.error.join('; '))}</td></tr>`;
  const cells = groups.map((g) => groupCell(s.rules.filter((r) => groupOf(r.rule) === g))).join('');
  return `<tr data-event="${h(s.event.eventId)}"><td>${link}</td><td>${age(now - s.created)}</td><td>${h(flagsThatMatter(s.flags).join(' '))}</td>${cells}<td class="num">${h(formatP(s.pValue))}</td></tr>`;
}

export interface EventsFilter {
  readonly glob: string;
  readonly state: string;
}

export function eventsPage(run: ServedRun, statuses: readonly EventStatus[], groups: readonly string[], groupOf: (rule: string) => string, filter: EventsFilter, now: number): string {
  const options = ['', ...RULE_STATES, 'error'].map((s) => `<option value="${s}"${s === filter.state ? ' selected' : ''}>${s === '' ? 'any state' : s}</option>`).join('');
  const head = `<tr><th>event</th><th>age</th><th>flags</th>${groups.map((g) => `<th>${h(g)}</th>`).join('')}<th>p-value</th></tr>`;
  const rows = statuses.map((s) => eventRow(run, s, groups, groupOf, now));
  return `<h1>${h(run.name)} <span class="muted">${h(run.dir)}</span></h1>
<form method="get" class="filter">event id glob <input name="glob" value="${h(filter.glob)}" placeholder="*"> with a rule in state <select name="state">${options}</select> <button>filter</button></form>
${legend()}
<table id="events">${head}${rows.join('')}</table><p class="muted">${statuses.length} event${statuses.length === 1 ? '' : 's'}, newest first</p>`;
}

function holderText(holder: HolderStatus, what: string): string {
  return `pid ${holder.pid ?? '?'}${holder.host === undefined ? '' : ` on ${h(holder.host)}`}, ${what} ${time(holder.time)} (${holder.stale ? 'stale' : holder.alive === true ? 'alive' : 'another host'})`;
}

function button(run: string, event: string, action: keyof typeof ACTION_COMMANDS, label: string, csrf: string, rule?: string): string {
  return `<form class="inline" method="post" data-action="${action}" action="${h(actionHref(run, event, action))}"><input type="hidden" name="csrf" value="${h(csrf)}">${rule === undefined ? '' : `<input type="hidden" name="rule" value="${h(rule)}">`}<button title="${h(ACTION_COMMANDS[action])}">${h(label)}</button></form>`;
}

function ruleActions(run: string, event: string, r: RuleStatus, csrf: string): string {
  const b: string[] = [button(run, event, 'regenerate', 'regenerate', csrf, r.rule)];
  b.push(r.vetoFile ? button(run, event, 'unveto', 'unveto', csrf, r.rule) : button(run, event, 'veto', 'veto', csrf, r.rule));
  b.push(r.locked ? button(run, event, 'unlock', 'unlock', csrf, r.rule) : r.exists ? button(run, event, 'lock', 'lock', csrf, r.rule) : '');
  if (r.failure !== undefined) b.push(button(run, event, 'clear-cooldown', 'clear cooldown', csrf, r.rule));
  if (r.intent?.stale === true) b.push(button(run, event, 'clear-intent', 'remove stale intent', csrf, r.rule));
  return b.join(' ');
}

function ruleNotes(r: RuleStatus, now: number): string {
  const notes: string[] = [];
  if (r.failure !== undefined) {
    const f = r.failure;
    notes.push(`failed ${f.failures}×, last ${time(f.lastAttempt)}: <span class="err">${h(f.lastError ?? '(error not recorded)')}</span>; next attempt ${f.nextAttempt > now ? `due ${time(f.nextAttempt)}` : 'due now'}`);
  }
  if (r.waitsOn.length > 0) notes.push(`waits on ${r.waitsOn.map(h).join(', ')}`);
  if (r.intent !== undefined) notes.push(`intent: ${holderText(r.intent, 'expires')}`);
  if (r.locked) notes.push('locked: never regenerated by itself');
  return notes.join('<br>');
}

function flagForm(run: string, event: string, s: EventStatus, csrf: string): string {
  const flags = s.flags ?? {};
  const rows = FLAG_NAMES.map((name) => {
    const values = FLAG_VALUES[name] as readonly string[];
    const select = `<select name="${name}">${values.map((v) => `<option${flags[name] === v ? ' selected' : ''}>${v}</option>`).join('')}</select>`;
    return `<tr><td>${name}</td><td class="flag-value" data-flag="${name}">${h(flags[name] ?? '')}</td><td>${select}</td></tr>`;
  });
  const extra = Object.keys(flags).filter((k) => !(FLAG_NAMES as string[]).includes(k));
  for (const k of extra) rows.push(`<tr><td>${h(k)}</td><td>${h(flags[k] ?? '')}</td><td></td></tr>`);
  const presets = `<select name="preset"><option value="">(no preset)</option>${Object.keys(FLAG_PRESETS).map((p) => `<option>${p}</option>`).join('')}</select>`;
  return `<form method="post" data-action="flags" action="${h(actionHref(run, event, 'flags'))}" id="flag-form"><input type="hidden" name="csrf" value="${h(csrf)}">
<table id="flags"><tr><th>flag</th><th>value</th><th>set to</th></tr>${rows.join('')}</table>
<p>preset ${presets} (applied first; the values chosen above win) <button>set flags</button> <span class="cmd">${h(ACTION_COMMANDS.flags)}</span></p></form>`;
}

function previews(run: string, s: EventStatus): string {
  const items: string[] = [];
  for (const r of s.rules) {
    if (!r.exists) continue;
    if (/\.(png|jpe?g|gif)$/i.test(r.filename)) {
      items.push(`<figure><a href="${h(fileHref(run, s.event.eventId, r.filename))}"><img src="${h(rawHref(run, s.event.eventId, r.filename))}" alt="${h(r.filename)}" class="plot"></a><figcaption>${h(r.filename)}</figcaption></figure>`);
    }
  }
  for (const r of s.rules) {
    if (r.exists && /summary.*\.pdf$/i.test(r.filename)) {
      items.push(`<figure><a href="${h(rawHref(run, s.event.eventId, r.filename))}"><canvas class="pdf-preview" data-src="${h(rawHref(run, s.event.eventId, r.filename))}" width="520" height="673"></canvas></a><figcaption><a href="${h(fileHref(run, s.event.eventId, r.filename))}">${h(r.filename)}</a></figcaption></figure>`);
    }
  }
  return items.length === 0 ? '<p class="muted">no plots yet</p>' : `<div class="previews">${items.join('')}</div>`;
}

function significance(s: EventStatus): string {
  if (s.pValue === undefined) return '<p class="muted">no significance yet</p>';
  return `<p>combined GW+neutrino p-value: <strong id="p-value">${h(formatP(s.pValue))}</strong></p>`;
}

function historyTable(commits: readonly Commit[]): string {
  if (commits.length === 0) return '<p class="muted">not versioned</p>';
  return `<table id="history"><tr><th>commit</th><th>time</th><th>message</th></tr>${commits
    .map((c) => `<tr><td><code>${h(c.hash.slice(0, 7))}</code></td><td>${time(c.time)}</td><td>${h(c.subject)}</td></tr>`)
    .join('')}</table>`;
}

export function eventPage(run: string, s: EventStatus, commits: readonly Commit[], csrf: string, now: number): string {
  const id = s.event.eventId;
  const title = `<h1>${h(id)} <span class="muted">${h(s.event.eventDir)}</span></h1><p>created ${time(s.created)} (${age(now - s.created)} ago)</p>`;
  if (s.error !== undefined) return `${title}<p class="err">${h(s.error.join('; '))}</p>${flagForm(run, id, s, csrf)}<h2>History</h2>${historyTable(commits)}`;
  const counts = Object.entries(s.counts).filter(([, n]) => n > 0).map(([k, n]) => stateBadge(k as RuleStatusState, `${n} ${k}`)).join(' ');
  const lock = s.eventLock === undefined ? '' : `<p>event lock held by ${holderText(s.eventLock, 'since')} ${s.eventLock.stale ? button(run, id, 'clear-event-lock', 'remove stale lock', csrf) : ''}</p>`;
  const warnings = s.warnings.map((w) => `<p class="err">warning: ${h(w)}</p>`).join('');
  const rows = s.rules.map(
    (r) =>
      `<tr data-rule="${h(r.rule)}" data-state="${r.state}"><td><a href="${h(fileHref(run, id, r.filename))}">${h(r.rule)}</a><br><span class="muted">${h(r.filename)}</span></td><td>${stateBadge(r.state)}</td><td>${h(r.text)}${r.failure !== undefined || r.waitsOn.length > 0 || r.intent !== undefined || r.locked ? `<br>${ruleNotes(r, now)}` : ''}</td><td>${ruleActions(run, id, r, csrf)}</td></tr>`,
  );
  return `${title}<p>${counts}</p>${lock}${warnings}
<p>${button(run, id, 'regenerate', 'regenerate the whole event', csrf)} <span class="cmd">llama run EVENTDIR -o -F --force</span></p>
<h2>Plots and summary</h2>${previews(run, s)}
<h2>Significance</h2>${significance(s)}
<h2>Rules</h2>${legend()}<div class="dagbox">${dagSvg(s, (file) => fileHref(run, id, file))}</div>
<h2>Flags</h2>${flagForm(run, id, s, csrf)}
<h2>Every rule</h2><table id="rules"><tr><th>rule</th><th>state</th><th>reason</th><th>actions</th></tr>${rows.join('')}</table>
<h2>History</h2>${historyTable(commits)}`;
}

const TEXT_EXTENSIONS = /\.(json|txt|tex|xml|csv|log|md|yaml|yml|dat|ini|cfg)$/i;
const MAX_TEXT_PREVIEW = 512 * 1024;

export interface FilePageInput {
  readonly run: string;
  readonly status: EventStatus | undefined;
  readonly file: string;
  readonly path: string;
  readonly stat: Stats;
  readonly versions: readonly Commit[];
  readonly downloadName: string;
  readonly csrf: string;
}

function riderBlocks(eventDir: string, file: string): string {
  const names = riderNames(file);
  const present = new Set(readdirSync(eventDir));
  const blocks: string[] = [];
  for (const [kind, name] of Object.entries(names)) {
    if (!present.has(name)) continue;
    let text = '';
    try {
      text = readFileSync(join(eventDir, name), 'utf8').slice(0, MAX_TEXT_PREVIEW);
    } catch (error) {
      text = `(cannot be read: ${(error as Error).message})`;
    }
    blocks.push(`<h3>${h(kind)} rider <code>${h(name)}</code></h3><pre>${h(text === '' ? '(empty)' : text)}</pre>`);
  }
  return blocks.length === 0 ? '<p class="muted">no rider files</p>' : blocks.join('');
}

function content(f: FilePageInput, event: string): string {
  const raw = rawHref(f.run, event, f.file);
  if (/\.(png|jpe?g|gif)$/i.test(f.file)) return `<img src="${h(raw)}" alt="${h(f.file)}" class="plot">`;
  if (/\.pdf$/i.test(f.file)) return `<p><a href="${h(raw)}">open the PDF</a> (first page below)</p><canvas class="pdf-preview" data-src="${h(raw)}" data-width="760" width="760" height="983"></canvas>`;
  if (/\.fits(\.gz)?$/i.test(f.file)) {
    const headers = readFitsHeaders(f.path);
    if (headers === undefined) return '<p class="err">not a readable FITS file</p>';
    return headers.map((hdu) => `<h3>FITS header, HDU ${hdu.hdu}</h3><pre class="fits-header">${h(hdu.cards.join('\n'))}</pre>`).join('');
  }
  if (TEXT_EXTENSIONS.test(f.file) || f.stat.size === 0) {
    const bytes = readFileSync(f.path).subarray(0, MAX_TEXT_PREVIEW);
    let text = bytes.toString('utf8');
    if (/\.json$/i.test(f.file) && f.stat.size <= MAX_TEXT_PREVIEW) {
      try {
        text = JSON.stringify(JSON.parse(text), null, 2);
      } catch {
        // shown as it is
      }
    }
    return `<pre id="content">${h(text)}${f.stat.size > MAX_TEXT_PREVIEW ? '\n… (truncated; download it for the rest)' : ''}</pre>`;
  }
  return '<p class="muted">no preview for this kind of file; download it</p>';
}

export function filePage(f: FilePageInput): string {
  const event = f.status?.event.eventId ?? '';
  const rule = f.status?.rules.find((r) => r.filename === f.file);
  const ruleLine = rule === undefined ? '<p class="muted">not an output of the pipeline</p>' : `<p>made by <strong>${h(rule.rule)}</strong>: ${stateBadge(rule.state)} ${h(rule.text)}</p><p>${ruleActions(f.run, event, rule, f.csrf)}</p>`;
  const upload =
    rule === undefined
      ? ''
      : `<h2>Replace</h2><form method="post" data-action="upload" action="${h(`/${seg(f.run)}/${seg(event)}/actions/upload?rule=${seg(rule.rule)}`)}" enctype="application/octet-stream"><input type="file" name="file"> <button>upload a replacement</button> <span class="cmd">${h(ACTION_COMMANDS.upload)}</span><br><span class="muted">the engine keeps it as a hand edit; its dependents rebuild</span></form>`;
  const versions =
    f.versions.length === 0
      ? '<p class="muted">never committed</p>'
      : `<table id="versions"><tr><th>version</th><th>commit</th><th>time</th><th>message</th><th></th></tr>${f.versions
          .map((c, i) => `<tr><td>v${f.versions.length - i}</td><td><code>${h(c.hash.slice(0, 7))}</code></td><td>${time(c.time)}</td><td>${h(c.subject)}</td><td><a href="${h(downloadHref(f.run, event, f.file, c.hash))}">download</a></td></tr>`)
          .join('')}</table>`;
  return `<h1>${h(f.file)}</h1>
<p>${f.stat.size} bytes, modified ${time(f.stat.mtimeMs)} · <a id="download" href="${h(downloadHref(f.run, event, f.file))}" download="${h(f.downloadName)}">download ${h(f.downloadName)}</a> · <a href="${h(rawHref(f.run, event, f.file))}">raw</a></p>
${ruleLine}
<h2>Content</h2>${content(f, event)}
<h2>Riders</h2>${riderBlocks(join(f.path, '..'), f.file)}
<h2>Versions</h2>${versions}
${upload}`;
}

/** The file page of a rule whose output does not exist yet. */
export function missingFilePage(run: string, status: EventStatus, rule: RuleStatus, csrf: string): string {
  return `<h1>${h(rule.filename)}</h1><p class="muted">does not exist yet</p><p>made by <strong>${h(rule.rule)}</strong>: ${stateBadge(rule.state)} ${h(rule.text)}</p><p>${ruleActions(run, status.event.eventId, rule, csrf)}</p><h2>Riders</h2>${riderBlocks(status.event.eventDir, rule.filename)}`;
}
