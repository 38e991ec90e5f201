import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineRule } from '../rule/define.js';
import { definePipeline } from '../rule/pipeline.js';
import { discoverEvents, downselectEvents, parseDownselect, parseDownselectValue } from './downselect.js';

function run() {
  const root = mkdtempSync(join(tmpdir(), 'llama-ds-'));
  const mk = (id: string, files: Record<string, string>, mtimeS: number) => {
    const dir = join(root, id);
    mkdirSync(dir);
    for (const [n, c] of Object.entries(files)) writeFileSync(join(dir, n), c);
    utimesSync(dir, mtimeS, mtimeS);
  };
  mk('S1', { 'p_astro.json': '{}', 'FLAGS.json': '{"VETOED": "true"}' }, 1000);
  mk('S2', { 'FLAGS.json': '{"MANUAL": "true"}' }, 3000);
  mk('G3', {}, 2000);
  mkdirSync(join(root, '.hidden'));
  writeFileSync(join(root, 'not-a-dir'), '');
  return root;
}
const pipeline = definePipeline('P', [defineRule({ name: 'PAstro', filename: 'p_astro.json', externallyTriggered: true })]);
const ids = (events: { eventId: string }[]) => events.map((e) => e.eventId);

describe('downselections (3.5.1 Run.downselect)', () => {
  it('parses values like 3.5.1: True/False, ints, floats, strings', () => {
    expect([parseDownselectValue('True'), parseDownselectValue('False'), parseDownselectValue('40'), parseDownselectValue('1.5e3'), parseDownselectValue('PAstro')]).toEqual([true, false, 40, 1500, 'PAstro']);
    const r = parseDownselect('manual=False,fhnameexists=PAstro');
    expect(r.ok && r.value).toEqual({ manual: false, fhnameexists: 'PAstro' });
    expect(parseDownselect('').ok).toBe(true);
    const bad = parseDownselect('manual=maybe,nonsense');
    expect(!bad.ok && bad.error.map((d) => d.code)).toEqual(['downselect-type', 'downselect-syntax']);
  });

  it('discovers event directories, never hidden ones or files', () => {
    expect(ids(discoverEvents(run()))).toEqual(['G3', 'S1', 'S2']);
    expect(ids(discoverEvents(run(), 'S*'))).toEqual(['S1', 'S2']);
  });

  it('lists the same events for `*` (read directly) as fast-glob does, links to directories included', () => {
    const root = run();
    const elsewhere = mkdtempSync(join(tmpdir(), 'llama-elsewhere-'));
    symlinkSync(elsewhere, join(root, 'L1'));
    symlinkSync(join(root, 'not-a-dir'), join(root, 'L2'));
    symlinkSync(join(root, 'missing'), join(root, 'L3'));
    expect(ids(discoverEvents(root))).toEqual(['G3', 'L1', 'S1', 'S2']);
    expect(ids(discoverEvents(root, '?*'))).toEqual(ids(discoverEvents(root)));
  });

  it('applies layers in order: checks, invert, sort, reverse, limit', async () => {
    const root = run();
    const events = discoverEvents(root);
    const now = 10_000_000;
    expect(ids(await downselectEvents(events, [{ fhnameexists: 'PAstro' }], { now, pipeline }))).toEqual(['S1']);
    expect(ids(await downselectEvents(events, [{ fileexists: 'p_astro.json', invert: true }], { now, pipeline }))).toEqual(['G3', 'S2']);
    // A name the file system refuses (ENAMETOOLONG) is simply not there.
    expect(ids(await downselectEvents(events, [{ fileexists: 'x'.repeat(5000) }], { now, pipeline }))).toEqual([]);
    expect(ids(await downselectEvents(events, [{ vetoed: true }], { now, pipeline }))).toEqual(['S1']);
    expect(ids(await downselectEvents(events, [{ manual: false }], { now, pipeline }))).toEqual(['G3', 'S1']);
    expect(ids(await downselectEvents(events, [{ modbefore: 2500 }], { now, pipeline }))).toEqual(['G3', 'S1']);
    expect(ids(await downselectEvents(events, [{ sec_since_mod_lt: now / 1000 - 1500 }], { now, pipeline }))).toEqual(['G3', 'S2']);
    expect(ids(await downselectEvents(events, [{ eventid_filter: 'S*' }, { sortkey: 'mtime', reverse: true, limit: 1 }], { now, pipeline }))).toEqual(['S2']);
    expect(ids(await downselectEvents(events, [{ sortkey: 'mtime', reverse: true, limit: 2 }], { now, pipeline }))).toEqual(['S2', 'G3']);
  });

  it('v0 filters use the first commit and drop unversioned events', async () => {
    const root = run();
    const s1 = join(root, 'S1');
    const git = (...a: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...a], { cwd: s1, env: { ...process.env, GIT_AUTHOR_DATE: '@1500 +0000', GIT_COMMITTER_DATE: '@1500 +0000' } });
    git('init', '-q');
    git('add', '-A');
    git('commit', '-qm', 'first');
    const events = discoverEvents(root);
    expect(ids(await downselectEvents(events, [{ v0before: 2000 }], { now: Date.now(), pipeline }))).toEqual(['S1']);
    expect(ids(await downselectEvents(events, [{ v0after: 2000 }], { now: Date.now(), pipeline }))).toEqual([]);
    // A layer's keys are one conjunction, inverted as a whole, whatever order they are checked in.
    expect(ids(await downselectEvents(events, [{ v0before: 2000, eventid_filter: 'S*', invert: true }], { now: Date.now(), pipeline }))).toEqual(['G3', 'S2']);
    expect(ids(await downselectEvents(events, [{ eventid_filter: 'S*' }, { sortkey: 'v0time' }], { now: Date.now(), pipeline }))).toEqual(['S2', 'S1']);
  });
});
