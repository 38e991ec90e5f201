/**
 * Black box (issue 13): flag names and values are matched to the seven flags or refused with the
 * valid choices, `llama flags` repairs an invalid FLAGS.json, and hostile event ids are refused
 * through every entry (event init, flags, ingest gcn/alert/gracedb) with the reason.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixture, llama, lvkAlert, readJson, tempDir } from './helpers.js';

let tmp: { path: string; remove: () => Promise<void> };
let run: string;
beforeEach(async () => {
  tmp = await tempDir('llama-flags-ids-');
  run = join(tmp.path, 'run');
});
afterEach(async () => tmp.remove());

const ALL = ['ROLE', 'ONLINE', 'VETOED', 'UPLOAD', 'ICECUBE_UPLOAD', 'BLINDED_NEUTRINOS', 'MANUAL'];

describe('llama flags: names and values', () => {
  it('upload=true sets UPLOAD (no lowercase key); unknown flags and values are refused with the valid ones', async () => {
    await llama(['event', 'init', 'S250924di', '--run', run]);
    const dir = join(run, 'S250924di');
    const set = await llama(['flags', dir, '--flags', 'upload=true', 'Vetoed=True']);
    expect(set.code, set.stderr).toBe(0);
    const flags = await readJson(join(dir, 'FLAGS.json'));
    expect(flags).toMatchObject({ UPLOAD: 'true', VETOED: 'true' });
    expect(Object.keys(flags).sort()).toEqual([...ALL].sort());

    const unknown = await llama(['flags', dir, '--flags', 'FOO=bar']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`"FOO" is not a flag; the flags are ${ALL.join(', ')}`);
    const value = await llama(['flags', dir, '--flags', 'UPLOAD=perhaps']);
    expect(value.code).toBe(2);
    expect(value.stderr).toContain('UPLOAD="perhaps" is not one of true, false');
    const role = await llama(['flags', dir, '--flags', 'role=pilot']);
    expect(role.code).toBe(2);
    expect(role.stderr).toContain('ROLE="pilot" is not one of test, observation');
    expect(await readJson(join(dir, 'FLAGS.json'))).toEqual(flags);
    // Ingest and event init take the same words.
    const ingest = await llama(['ingest', 'gcn', '--run', run, fixture('MS260103c-1-Preliminary.xml'), '--flags', 'FOO=bar']);
    expect(ingest.code).toBe(2);
    expect(ingest.stderr).toContain('"FOO" is not a flag');
  });

  it('repairs a FLAGS.json holding an invalid value by setting it; refuses to drop it silently', async () => {
    await llama(['event', 'init', 'S250924di', '--run', run, '--flags', 'RERUN']);
    const dir = join(run, 'S250924di');
    const path = join(dir, 'FLAGS.json');
    const broken = { ...(await readJson(path)), UPLOAD: 'maybe' };
    await writeFile(path, JSON.stringify(broken));
    const show = await llama(['flags', dir]);
    expect(show.code).toBe(2);
    expect(show.stderr).toContain('repair them with llama flags');
    expect(show.stderr).toContain('UPLOAD="maybe"');
    const other = await llama(['flags', dir, '--flags', 'VETOED=true']);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('set UPLOAD too to repair it');
    const fix = await llama(['flags', dir, '--flags', 'UPLOAD=false']);
    expect(fix.code, fix.stderr).toBe(0);
    expect(fix.stdout).toMatch(/UPLOAD\s+maybe\s+false\s+changed/);
    // The other values (RERUN: ROLE=observation) are kept.
    expect(await readJson(path)).toMatchObject({ UPLOAD: 'false', ROLE: 'observation', VETOED: 'false' });
  });
});

const HOSTILE: readonly (readonly [string, RegExp])[] = [
  ['.', /"\." is a directory reference, not an event id/],
  ['..', /"\.\." is a directory reference, not an event id/],
  ['x;rm -rf ~', /the event id "x;rm -rf ~" contains ";"/],
  ['../x', /the event id "\.\.\/x" contains a path separator/],
  ['a/b', /the event id "a\/b" contains a path separator/],
  ['new\nline', /the event id "new\\nline" contains a control character/],
  ['$(touch pwned)', /the event id "\$\(touch pwned\)" contains "\$"/],
];

describe('hostile event ids through every entry', () => {
  it('llama event init refuses each with its reason, exit 2, creating nothing', async () => {
    for (const [id, reason] of HOSTILE) {
      const r = await llama(['event', 'init', id, '--run', run]);
      expect({ id, code: r.code }).toEqual({ id, code: 2 });
      expect(r.stderr).toMatch(reason);
    }
    // A leading "-" is an option to the shell-level parser: still refused, still exit 2.
    const dash = await llama(['event', 'init', '-rf', '--run', run]);
    expect(dash.code).toBe(2);
    expect(existsSync(run) ? await readdir(run) : []).toEqual([]);
    expect(existsSync(join(tmp.path, 'x'))).toBe(false);
  });

  it('llama flags refuses an event directory whose name is not an event id', async () => {
    const bad = join(run, 'x;rm -rf ~');
    await mkdir(bad, { recursive: true });
    await writeFile(join(bad, 'FLAGS.json'), '{}');
    const r = await llama(['flags', bad, '--flags', 'UPLOAD=false']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the event id "x;rm -rf ~" contains ";"');
    expect(await readFile(join(bad, 'FLAGS.json'), 'utf8')).toBe('{}');
  });

  it('ingest gcn / alert / gracedb refuse hostile ids from notices, alerts and arguments, writing nothing', async () => {
    const notice = await readFile(fixture('S260105x-1-Preliminary.xml'), 'utf8');
    for (const [id, reason] of HOSTILE) {
      if (id === '.' || id === '..' || id.includes('\n')) continue; // not expressible as <graceid>-<n>-<Type>
      const escaped = id.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
      const path = join(tmp.path, 'hostile.xml');
      await writeFile(path, notice.replace('ivorn="ivo://gwnet/LVC#S260105x-1-Preliminary"', `ivorn="ivo://gwnet/LVC#${escaped}-1-Preliminary"`));
      const r = await llama(['ingest', 'gcn', '--run', run, path]);
      expect({ id, code: r.code }).toEqual({ id, code: 1 });
      // The id is the whole IVORN fragment, <id>-1-Preliminary.
      expect(r.stderr).toMatch(/hostile\.xml: IVORN .*: the event id .* contains/);
    }
    for (const [id, reason] of HOSTILE) {
      const path = join(tmp.path, 'hostile.json');
      await writeFile(path, lvkAlert({ supereventId: id, alertType: 'PRELIMINARY', skymap: null }));
      const r = await llama(['ingest', 'alert', '--run', run, path]);
      expect({ id, code: r.code }).toEqual({ id, code: 1 });
      expect(r.stderr).toMatch(reason);
    }
    // NUL cannot travel in argv, but it can in an alert.
    const nul = join(tmp.path, 'nul.json');
    await writeFile(nul, lvkAlert({ supereventId: 'S1\u0000x', alertType: 'PRELIMINARY', skymap: null }));
    const nulResult = await llama(['ingest', 'alert', '--run', run, nul]);
    expect(nulResult.code).toBe(1);
    expect(nulResult.stderr).toContain('contains a control character');
    // A leading "-" (argv would take it for an option) arriving in an alert or a notice.
    const dashAlert = join(tmp.path, 'dash.json');
    await writeFile(dashAlert, lvkAlert({ supereventId: '-rf', alertType: 'PRELIMINARY', skymap: null }));
    const dash = await llama(['ingest', 'alert', '--run', run, dashAlert]);
    expect(dash.code).toBe(1);
    expect(dash.stderr).toContain('the event id "-rf" starts with "-"');
    const dashNotice = join(tmp.path, 'dash.xml');
    await writeFile(dashNotice, notice.replace('ivorn="ivo://gwnet/LVC#S260105x-1-Preliminary"', 'ivorn="ivo://gwnet/LVC#-rf-1-Preliminary"'));
    const dashGcn = await llama(['ingest', 'gcn', '--run', run, dashNotice]);
    expect(dashGcn.code).toBe(1);
    expect(dashGcn.stderr).toContain('starts with "-"');
    for (const [id, reason] of HOSTILE) {
      const r = await llama(['ingest', 'gracedb', id, '--run', run]);
      expect({ id, code: r.code }).toEqual({ id, code: 1 });
      expect(r.stderr).toMatch(reason);
    }
    expect(existsSync(run) ? await readdir(run) : []).toEqual([]);
    expect(existsSync(join(tmp.path, 'x'))).toBe(false);
    expect(existsSync(join(tmp.path, 'pwned'))).toBe(false);
  });

  it('the ids LLAMA meets are accepted: superevents, events, notice events, IceCube and example ids', async () => {
    for (const id of ['S250924di', 'MS260101a', 'TS190425z', 'GW170817', 'G330564', 'S250924di-2-Preliminary', 'IceCube-201115A', '136123_12345', 'ev1']) {
      const r = await llama(['event', 'init', id, '--run', run]);
      expect({ id, code: r.code, stderr: r.stderr }).toEqual({ id, code: 0, stderr: '' });
    }
  });
});
