import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixture, llama, readJson, tempDir } from './helpers.js';

let tmp: { path: string; remove: () => Promise<void> };
let run: string;
beforeEach(async () => {
  tmp = await tempDir('llama-ingest-gcn-');
  run = join(tmp.path, 'run');
});
afterEach(async () => tmp.remove());

const ingest = (...files: string[]) => llama(['ingest', 'gcn', '--run', run, ...files.map(fixture)]);

describe('llama ingest gcn', () => {
  it('turns a Preliminary and an Initial notice into two events, as the 3.5.1 listener meant', async () => {
    const result = await ingest('MS260103c-1-Preliminary.xml', 'MS260103c-2-Initial.xml');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect((await readdir(run)).sort()).toEqual(['MS260103c-1-Preliminary', 'MS260103c-2-Initial']);

    const prelim = join(run, 'MS260103c-1-Preliminary');
    expect(await readFile(join(prelim, 'lvc_gcn.xml'))).toEqual(await readFile(fixture('MS260103c-1-Preliminary.xml')));
    expect(await readJson(join(prelim, 'skymap_info.json'))).toEqual({
      alert_type: 'gcn-preliminary',
      event_time_iso: '2026-01-03T22:10:00.500000',
      far: 1.2e-9,
      graceid: 'MS260103c',
      notice_time_iso: '2026-01-03T22:10:31Z',
      pipeline: 'GSTLAL',
      skymap_filename: 'bayestar.multiorder.fits,0',
    });
    expect(existsSync(join(prelim, 'advok.json'))).toBe(false);
    // role="test" → TRIGGERED_TEST
    expect(await readJson(join(prelim, 'FLAGS.json'))).toMatchObject({ ROLE: 'test', UPLOAD: 'false', BLINDED_NEUTRINOS: 'true', VETOED: 'false' });
    expect(existsSync(join(prelim, '.skymap_info.json.metadata.json'))).toBe(true);

    const initial = join(run, 'MS260103c-2-Initial');
    expect(await readJson(join(initial, 'skymap_info.json'))).toMatchObject({ alert_type: 'gcn-initial', skymap_filename: 'bayestar.multiorder.fits,1' });
    expect(await readJson(join(initial, 'advok.json'))).toEqual({ alert_type: 'gcn', notice_time_iso: '2026-01-03T22:40:12Z' });
    // One commit for the notice: the event's first, with every file it brought.
    const log = execFileSync('git', ['log', '--format=%B%x00'], { cwd: initial, encoding: 'utf8' }).split('\0').map((m) => m.trim()).filter((m) => m !== '');
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(/^Initialized event MS260103c-2-Initial\n\n/);
    expect(log[0]).toContain('Ingested LvcGcnXml from GCN notice ivo://gwnet/LVC#MS260103c-2-Initial.');
    expect(log[0]).toContain('Generated SkymapInfo from GCN notice ivo://gwnet/LVC#MS260103c-2-Initial.');
    expect(log[0]).toContain('Generated Advok from GCN notice');
    expect(log[0]).toMatch(/\n\nlvc_gcn\.xml\nskymap_info\.json\nadvok\.json$/);
    expect(execFileSync('git', ['status', '--porcelain'], { cwd: initial, encoding: 'utf8' })).toBe('');
  });

  it('gives observation-role notices the TRIGGERED_PUBLIC flags, and --flags overrides them', async () => {
    expect((await ingest('S260105x-1-Preliminary.xml')).code).toBe(0);
    expect(await readJson(join(run, 'S260105x-1-Preliminary', 'FLAGS.json'))).toMatchObject({ ROLE: 'observation', UPLOAD: 'true', ICECUBE_UPLOAD: 'true' });
    const rerun = await llama(['ingest', 'gcn', '--run', run, fixture('S260105x-2-Update.xml'), '--flags', 'RERUN', 'UPLOAD=false']);
    expect(rerun.code).toBe(0);
    expect(await readJson(join(run, 'S260105x-2-Update', 'FLAGS.json'))).toMatchObject({ ROLE: 'observation', UPLOAD: 'false', ICECUBE_UPLOAD: 'false' });
    expect(await readJson(join(run, 'S260105x-2-Update', 'skymap_info.json'))).toMatchObject({ skymap_filename: 'Bilby.multiorder.fits,0', alert_type: 'gcn-update' });
  });

  it('vetoes every event of the GraceID on a Retraction', async () => {
    expect((await ingest('S260105x-1-Preliminary.xml', 'S260105x-2-Update.xml', 'MS260103c-1-Preliminary.xml')).code).toBe(0);
    const result = await ingest('S260105x-3-Retraction.xml');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('S260105x retracted');
    for (const id of ['S260105x-1-Preliminary', 'S260105x-2-Update']) {
      expect(await readJson(join(run, id, 'FLAGS.json'))).toMatchObject({ VETOED: 'true' });
      expect(await readFile(join(run, id, 'lvc_gcn_retraction.xml'))).toEqual(await readFile(fixture('S260105x-3-Retraction.xml')));
    }
    // Another GraceID is untouched, and the retraction makes no event of its own here.
    expect(await readJson(join(run, 'MS260103c-1-Preliminary', 'FLAGS.json'))).toMatchObject({ VETOED: 'false' });
    expect(existsSync(join(run, 'S260105x-3-Retraction'))).toBe(false);
  });

  it('remembers a retraction that arrives first, and vetoes later notices of that GraceID', async () => {
    expect((await ingest('S260105x-3-Retraction.xml')).code).toBe(0);
    expect(await readJson(join(run, 'S260105x-3-Retraction', 'FLAGS.json'))).toMatchObject({ VETOED: 'true' });
    const late = await ingest('S260105x-2-Update.xml');
    expect(late.code).toBe(0);
    expect(late.stdout).toContain('VETOED');
    expect(await readJson(join(run, 'S260105x-2-Update', 'FLAGS.json'))).toMatchObject({ VETOED: 'true', ROLE: 'observation' });
  });

  it('skips notices of other missions with a clear message', async () => {
    const result = await ingest('fermi-gbm.xml', 'icecube-gold.xml');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/skipped .*fermi-gbm\.xml: not an LVK gravitational-wave notice .*Fermi/);
    expect(result.stdout).toMatch(/skipped .*icecube-gold\.xml: not an LVK gravitational-wave notice .*AMON#ICECUBE_GOLD/);
    expect(existsSync(run) ? await readdir(run) : []).toEqual([]);
  });

  it('refuses a hostile IVORN and writes nothing outside the run directory', async () => {
    const result = await ingest('hostile-ivorn.xml');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/hostile-ivorn\.xml: IVORN .*: the event id .* contains a path separator/);
    expect(existsSync(join(tmp.path, 'tmp'))).toBe(false);
    expect(existsSync(run) ? await readdir(run) : []).toEqual([]);
  });

  it('rejects a notice whose GraceID Param disagrees with its IVORN', async () => {
    const forged = join(tmp.path, 'forged.xml');
    const text = await readFile(fixture('S260105x-1-Preliminary.xml'), 'utf8');
    await writeFile(forged, text.replace('name="GraceID" value="S260105x"', 'name="GraceID" value="S260105y"'));
    const result = await llama(['ingest', 'gcn', '--run', run, forged]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('GraceID Param "S260105y" does not match the IVORN');
  });

  it('reports malformed and missing files, naming them, and still ingests the good ones', async () => {
    const result = await ingest('truncated.xml', 'does-not-exist.xml', 'MS260103c-1-Preliminary.xml');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/truncated\.xml: malformed XML \(line \d+/);
    expect(result.stderr).toMatch(/does-not-exist\.xml: cannot read the notice/);
    expect(existsSync(join(run, 'MS260103c-1-Preliminary', 'skymap_info.json'))).toBe(true);
  });

  it('refuses bad --flags with exit code 2', async () => {
    const result = await llama(['ingest', 'gcn', '--run', run, fixture('MS260103c-1-Preliminary.xml'), '--flags', 'ROLE=maybe']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('flag ROLE="maybe" is not one of test, observation');
    expect(existsSync(join(run, 'MS260103c-1-Preliminary'))).toBe(false);
  });

  it('reads a notice from standard input with --stdin, and needs some input', async () => {
    const piped = await llama(['ingest', 'gcn', '--run', run, '--stdin'], {}, undefined, await readFile(fixture('MS260103c-2-Initial.xml')));
    expect(piped.code).toBe(0);
    expect(await readJson(join(run, 'MS260103c-2-Initial', 'advok.json'))).toMatchObject({ alert_type: 'gcn' });
    const nothing = await llama(['ingest', 'gcn', '--run', run]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('name at least one file, or pass --stdin');
  });

  it('uses $LLAMA_OUTPUT_DIR/current_run when --run is not given', async () => {
    const result = await llama(['ingest', 'gcn', fixture('MS260103c-1-Preliminary.xml')], { LLAMA_OUTPUT_DIR: tmp.path, HOME: tmp.path });
    expect(result.code).toBe(0);
    expect(existsSync(join(tmp.path, 'current_run', 'MS260103c-1-Preliminary', 'lvc_gcn.xml'))).toBe(true);
  });
});
