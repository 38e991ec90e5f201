/** Black box: `llama run` makes every plot and the summary offline; uploads are vetoed by flags. */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FLAG_PRESETS, serializeFlags } from '@llama/core';
import { syntheticSkymap } from '../../pipelines/llama/src/plots/synthetic.js';
import { writeSkymapHdf5 } from '../../pipelines/llama/src/skymap/hdf5.js';
import { llama, tempHome, writeFiles } from '../helpers/llama.js';
import { SKYMAP_INFO } from './context.js';
import { decodePng, pdfText } from './pixels.js';

const PLOTS = [
  'CoincScatterI3LvcPng', 'CoincScatterI3LvcPdf', 'CoincScatterZtfLVCPng', 'CoincScatterZtfLVCPdf',
  'CoincScatterZtfI3LvcPng', 'CoincScatterZtfI3LvcPdf', 'CoincSummaryI3LvcTex', 'CoincSummaryI3LvcPdf',
];
const RECEIPTS = ['RctSlkLmaCoincSummaryI3LvcPdf', 'RctSlkI3CoincSummaryI3LvcPdf', 'RctSlkLmaCoincScatterI3LvcPng', 'RctSlkLmaSkymapInfo'];

const home = tempHome('llama-reports-cli-');
const eventDir = join(home.runDir, 'S250101ab');
const glob = `${home.runDir}/*`;

beforeAll(async () => {
  mkdirSync(eventDir);
  await writeSkymapHdf5(
    syntheticSkymap(5, [{ ra: 150, dec: 20, kappa: 200 }], { objectId: 'S250101ab', dateObs: '2025-01-01T10:00:00.000' }),
    join(eventDir, 'lvc_skymap.hdf5'),
  );
  writeFiles(eventDir, {
    // RERUN: an observation that is never uploaded.
    'FLAGS.json': serializeFlags(FLAG_PRESETS.RERUN),
    'skymap_info.json': JSON.stringify(SKYMAP_INFO),
    'icecube_neutrino_list.json': JSON.stringify({
      triggers: [{ mjd: 60676.4166, ra: 152.5, dec: 18.25, sigma: 1.1, energy: 25000, zenith: 100, azimuth: 30, type: 'observation' }],
      complete: true,
    }),
    'ztf_trigger_list.json': JSON.stringify([{ gps: 1419674418, ra: 148, dec: 22 }]),
    'significance_lvc-i3.json': JSON.stringify({
      outputs: { neutrino_gw_triggers: [{ ra: 152.5, dec: 18.25, dt: -12.5, odds_ratio: 0.03, p_value: 0.0123 }], neutrino_gw_combined: { odds_ratio: 0.03, p_value: 0.0098 } },
    }),
    'IceCubeNeutrinoList.tex': '\\begin{table}[h!]\\centering\\begin{tabular}{l}x\\\\\\end{tabular}\\end{table}\n',
  });
});

describe('llama run on the reports', () => {
  it('plans the plots and the summary, and says the receipts are vetoed by UPLOAD=false', async () => {
    // --verbose: one line per step (without it, the event's vetoed receipts share one line).
    const result = await llama(['run', glob, '-o', '-F', '--dry-run', '--verbose', '-l', '/dev/null', '-f', ...PLOTS, ...RECEIPTS], { env: home.env });
    expect(result.code, result.stderr).toBe(0);
    for (const rule of PLOTS) expect(result.stdout).toMatch(new RegExp(`run\\s+${rule}\\s+missing`));
    for (const rule of RECEIPTS) expect(result.stdout).toMatch(new RegExp(`skip\\s+${rule}\\s+vetoed \\(upload_flag_false\\): flag UPLOAD=false`));
  });

  it('makes every plot and the summary PDF with no network and uploads nothing', async () => {
    const result = await llama(['run', glob, '-o', '-F', '-l', '/dev/null', '-f', ...PLOTS, ...RECEIPTS], {
      env: { ...home.env, SLACK_API_URL: 'http://127.0.0.1:9/api/' },
      timeoutMs: 110_000,
    });
    expect(result.code, result.stderr).toBe(0);
    for (const file of ['scatterplot_lvc-i3.png', 'scatterplot_lvc-ztf.png', 'scatterplot_lvc-i3-ztf.png']) {
      expect((await decodePng(readFileSync(join(eventDir, file)))).width).toBeGreaterThanOrEqual(1600);
    }
    for (const file of ['scatterplot_lvc-i3.pdf', 'scatterplot_lvc-ztf.pdf', 'scatterplot_lvc-i3-ztf.pdf']) {
      expect(await pdfText(readFileSync(join(eventDir, file)))).toContain('S250101ab: GW skymap');
    }
    const summary = await pdfText(readFileSync(join(eventDir, 'summary_lvc-I3.pdf')));
    expect(summary).toContain('Joint GW+Neutrino Analysis Summary for S250101ab');
    expect(summary).toContain('0.0098');
    expect(summary).not.toContain('PARTIAL RESULT');
    expect(readFileSync(join(eventDir, 'summary_lvc-I3.tex'), 'utf8')).toContain('\\includegraphics[width=\\textwidth]{scatterplot_lvc-i3.pdf}');
    for (const receipt of ['rct_slk_lma_summary_lvc-I3.pdf.json', 'rct_slk_i3_summary_lvc-I3.pdf.json']) {
      expect(existsSync(join(eventDir, receipt))).toBe(false);
    }
  });

  it('finds everything fresh on the next pass', async () => {
    const result = await llama(['run', glob, '-o', '-F', '--dry-run', '-l', '/dev/null', '-f', ...PLOTS], { env: home.env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Nothing to do: 1 event up to date \(.*8 fresh/m);
  });
});
