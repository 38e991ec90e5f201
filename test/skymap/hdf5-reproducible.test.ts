/**
 * Black box: lvc_skymap.hdf5 is byte-reproducible, so a forced rebuild of the skymap leaves its
 * dependents fresh (early cutoff) instead of re-running the plots and the significance.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FLAG_PRESETS, serializeFlags } from '@llama/core';
import { REPO, llama, tempHome, writeFiles } from '../helpers/llama.js';

const FIXTURE = join(REPO, 'pipelines', 'llama', 'test-fixtures', 'MS260102b.fits.gz');
const RULES = ['LvcSkymapHdf5', 'CoincScatterZtfLVCPdf'];

interface RunJson {
  events: { results?: { rule: string; status: string }[] }[];
}

/** The status of each rule in a `llama run --json` document (schema llama.run/1). */
function statuses(stdout: string): Record<string, string> {
  const parsed = JSON.parse(stdout) as RunJson;
  return Object.fromEntries(parsed.events.flatMap((event) => event.results ?? []).map((result) => [result.rule, result.status]));
}

describe('lvc_skymap.hdf5', () => {
  it('is rebuilt byte for byte, and its dependents are cut off', async () => {
    const home = tempHome('llama-hdf5-repro-');
    const eventDir = join(home.runDir, 'MS260102b');
    mkdirSync(eventDir);
    copyFileSync(FIXTURE, join(eventDir, 'lvc_skymap.fits.gz'));
    writeFiles(eventDir, {
      'FLAGS.json': serializeFlags(FLAG_PRESETS.RERUN),
      'ztf_trigger_list.json': JSON.stringify([{ gps: 1419674418, ra: 148, dec: 22 }]),
    });
    const run = (...extra: string[]) =>
      llama(['run', `${home.runDir}/*`, '-o', '-F', '-l', '/dev/null', '--json', '-f', ...RULES, ...extra], { env: home.env, timeoutMs: 110_000 });

    const first = await run();
    expect(first.code, first.stderr).toBe(0);
    expect(statuses(first.stdout)).toEqual({ LvcSkymapHdf5: 'succeeded', CoincScatterZtfLVCPdf: 'succeeded' });
    const before = readFileSync(join(eventDir, 'lvc_skymap.hdf5'));
    // HDF5 stamps object headers with the time in whole seconds: let the clock move on.
    await new Promise((resolve) => setTimeout(resolve, 1100));

    for (let rebuild = 0; rebuild < 2; rebuild++) {
      const forced = await run('--force', 'LvcSkymapHdf5');
      expect(forced.code, forced.stderr).toBe(0);
      expect(readFileSync(join(eventDir, 'lvc_skymap.hdf5')).equals(before), `rebuild ${rebuild + 1}`).toBe(true);
      expect(statuses(forced.stdout), `rebuild ${rebuild + 1}`).toEqual({ LvcSkymapHdf5: 'succeeded', CoincScatterZtfLVCPdf: 'cutoff' });
    }
  }, 240_000);
});
