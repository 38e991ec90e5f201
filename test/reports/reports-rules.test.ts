import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GenerationError } from '@llama/core';
import * as plots from '../../pipelines/llama/src/rules/plots.js';
import { writeSkymapHdf5 } from '../../pipelines/llama/src/skymap/hdf5.js';
import { syntheticSkymap } from '../../pipelines/llama/src/plots/synthetic.js';
import { contextFor, makeEvent, SKYMAP_INFO, type TempEvent } from './context.js';
import { decodePng, isGreen, pdfText } from './pixels.js';

const NEUTRINOS = {
  triggers: [
    { mjd: 60676.4166, ra: 152.5, dec: 18.25, sigma: 1.1, energy: 25000, zenith: 100, azimuth: 30, type: 'observation', run: '140123', event: '5678' },
    { mjd: 60676.4169, ra: 210.0, dec: -12.0, sigma: 3.0, energy: 1200, zenith: 80, azimuth: 200, type: 'observation' },
  ],
  complete: false,
};
const SIGNIFICANCE = {
  inputs: {},
  outputs: {
    neutrino_gw_triggers: [
      { ra: 152.5, dec: 18.25, sigma: 1.1, energy: 25000, dt: -12.5, odds_ratio: 3.2e-2, p_value: 0.0123 },
      { ra: 210.0, dec: -12.0, sigma: 3.0, energy: 1200, dt: 14.3, odds_ratio: 1.1e-5, p_value: 0.61 },
    ],
    neutrino_gw_combined: { odds_ratio: 3.2e-2, p_value: 0.0098 },
  },
};
// GPS time of 2025-01-01T10:00:00 UTC, independently: seconds since the GPS epoch + 18 leap seconds.
const EVENT_GPS = (Date.UTC(2025, 0, 1, 10) - Date.UTC(1980, 0, 6)) / 1000 + 18;
const NEUTRINO_TEX = '\\begin{table}[h!]\\centering\\begin{tabular}{ll}a & b\\\\\\end{tabular}\\caption{IceCube neutrinos}\\end{table}\n';

let event: TempEvent;
const env = { LLAMA_GUI_URL: 'https://llama.example.org/events' };

const outputs = new Map<string, Buffer>();
/** Run a rule once per test file (rendering is the slow part), then reuse its output. */
async function once(ruleName: keyof typeof plots): Promise<Buffer> {
  const cached = outputs.get(ruleName);
  if (cached) return cached;
  const bytes = await run(ruleName);
  outputs.set(ruleName, bytes);
  return bytes;
}

async function run(ruleName: keyof typeof plots, extraEnv: Record<string, string> = {}) {
  const rule = plots[ruleName];
  const { ctx, outputPath } = contextFor(rule, event, { env: { ...env, ...extraEnv } });
  await rule.generate(ctx);
  // Install the output as the engine would, so that downstream rules find it.
  writeFileSync(join(event.eventDir, rule.filename), readFileSync(outputPath));
  return readFileSync(outputPath);
}

beforeAll(async () => {
  event = makeEvent('S250101ab');
  const skymap = syntheticSkymap(6, [{ ra: 150, dec: 20, kappa: 300 }], { objectId: 'S250101ab', dateObs: '2025-01-01T10:00:00.000' });
  await writeSkymapHdf5(skymap, join(event.eventDir, 'lvc_skymap.hdf5'));
  event.write('skymap_info.json', JSON.stringify(SKYMAP_INFO));
  event.write('icecube_neutrino_list.json', JSON.stringify(NEUTRINOS));
  event.write('ztf_trigger_list.json', JSON.stringify([{ gps: 1419674418, ra: 148, dec: 22, name: 'ZTF25aaaaaaa' }]));
  event.write('significance_lvc-i3.json', JSON.stringify(SIGNIFICANCE));
  event.write('IceCubeNeutrinoList.tex', NEUTRINO_TEX);
});

describe('the six CoincScatter rules', () => {
  it('read the real inputs and write PNGs and PDFs with their layers', async () => {
    // The other two PNG rules share this code path; cli-reports.test.ts renders all six.
    expect((await decodePng(await once('CoincScatterI3LvcPng'))).width).toBeGreaterThanOrEqual(1600);
    const texts: Record<string, string> = {};
    for (const name of ['CoincScatterI3LvcPdf', 'CoincScatterZtfLVCPdf', 'CoincScatterZtfI3LvcPdf'] as const) {
      texts[name] = await pdfText(await once(name));
      expect(texts[name], name).toContain('2025-01-01 10:00:00.000 UTC');
    }
    expect(texts['CoincScatterI3LvcPdf']).toContain('S250101ab: GW skymap and IceCube neutrinos');
    expect(texts['CoincScatterI3LvcPdf']).toContain('PARTIAL RESULT');
    // The legend gives the credible areas; a Fisher–von Mises blob with kappa = 300 sr⁻¹ holds 90%
    // within 1 − cos r = ln(10)/kappa, i.e. an area of 2π·ln(10)/kappa sr (HEALPix order 6: ±2 pixels).
    const area90 = ((2 * Math.PI * Math.log(10)) / 300) * (180 / Math.PI) ** 2;
    const shown = /90% credible region \((\d+) deg²\)/.exec(texts['CoincScatterI3LvcPdf'] ?? '');
    expect(shown).not.toBeNull();
    expect(Math.abs(Number(shown?.[1]) - area90)).toBeLessThan(2 * 0.84);
    expect(texts['CoincScatterI3LvcPdf']).not.toContain('ZTF');
    expect(texts['CoincScatterZtfLVCPdf']).toContain('S250101ab: GW skymap and ZTF candidates');
    expect(texts['CoincScatterZtfLVCPdf']).not.toContain('IceCube');
    expect(texts['CoincScatterZtfI3LvcPdf']).toContain('S250101ab: GW skymap, IceCube neutrinos and ZTF candidates');
  });

  it('fail clearly on a malformed neutrino list, naming the file', async () => {
    const bad = makeEvent('S250101xy');
    await writeSkymapHdf5(syntheticSkymap(3, [{ ra: 10, dec: 10, kappa: 50 }]), join(bad.eventDir, 'lvc_skymap.hdf5'));
    bad.write('icecube_neutrino_list.json', JSON.stringify({ triggers: [{ ra: 'north', dec: 95 }], complete: true }));
    const rule = plots.CoincScatterI3LvcPng;
    const { ctx, outputPath } = contextFor(rule, bad);
    const error = await rule.generate(ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GenerationError);
    expect(String((error as Error).message)).toMatch(/icecube_neutrino_list\.json: trigger 0: .*"ra" must be a finite number/);
    expect(String((error as Error).message)).toMatch(/"dec" must lie in \[-90, 90\]/);
    expect(existsSync(outputPath)).toBe(false);
  });

  it('fail clearly on a corrupt skymap, naming the file', async () => {
    const bad = makeEvent('S250101xz');
    bad.write('lvc_skymap.hdf5', 'not an HDF5 file');
    bad.write('ztf_trigger_list.json', '[]');
    const rule = plots.CoincScatterZtfLVCPdf;
    const { ctx } = contextFor(rule, bad);
    await expect(rule.generate(ctx)).rejects.toThrow(/cannot read the GW skymap .*lvc_skymap\.hdf5/);
  });

  it('fail clearly on a ZTF list that is not a list', async () => {
    const bad = makeEvent('S250101xw');
    await writeSkymapHdf5(syntheticSkymap(3, [{ ra: 10, dec: 10, kappa: 50 }]), join(bad.eventDir, 'lvc_skymap.hdf5'));
    bad.write('ztf_trigger_list.json', '{"ra": 1}');
    const { ctx } = contextFor(plots.CoincScatterZtfLVCPng, bad);
    await expect(plots.CoincScatterZtfLVCPng.generate(ctx)).rejects.toThrow(/ztf_trigger_list\.json: must be a JSON list of/);
  });
});

describe('the summary', () => {
  it('writes summary_lvc-I3.tex with the 3.5.1 content', async () => {
    await once('CoincScatterI3LvcPdf');
    const tex = (await run('CoincSummaryI3LvcTex')).toString('utf8');
    expect(tex).toContain('\\title{Joint GW+Neutrino Analysis Summary for S250101ab \\\\ PARTIAL RESULT: MORE ICECUBE EVENTS INCOMING}');
    expect(tex).toContain('\\includegraphics[width=\\textwidth]{scatterplot_lvc-i3.pdf}');
    expect(tex).toMatch(/LLAMA p-value\s+& 0\.0098 \\\\/);
    expect(tex).toMatch(/GW FAR\s+& 1\.50e-9 Hz \(one per 21\.1 yr\)/);
    expect(tex).toMatch(/GW pipeline\s+& GSTLAL/);
    expect(tex).toMatch(/Alert type\s+& igwn-alert/);
    expect(tex).toMatch(/GW event time \(UTC\)\s+& 2025-01-01 10:00:00\.000 UTC/);
    expect(tex).toMatch(/GW event time \(MJD\)\s+& 60676\.416667/);
    expect(tex).toMatch(new RegExp(`GW event time \\(GPS\\)\\s+& ${EVENT_GPS}\\.000`));
    expect(tex).toContain('\\url{https://gracedb.ligo.org/superevents/S250101ab/view/}');
    expect(tex).toContain('\\url{https://gracedb.ligo.org/apiweb/superevents/S250101ab/files/bayestar.multiorder.fits,1}');
    expect(tex).toContain('\\url{https://llama.example.org/events/');
    expect(tex).toContain(NEUTRINO_TEX.trim());
    expect(tex.indexOf('\\end{document}')).toBeGreaterThan(tex.indexOf(NEUTRINO_TEX.trim()));
  });

  it('has no completeness marker once the neutrino list is complete', async () => {
    event.write('icecube_neutrino_list.json', JSON.stringify({ ...NEUTRINOS, complete: true }));
    try {
      const tex = (await run('CoincSummaryI3LvcTex')).toString('utf8');
      expect(tex).toContain('\\title{Joint GW+Neutrino Analysis Summary for S250101ab}');
      expect(tex).not.toContain('PARTIAL RESULT');
    } finally {
      event.write('icecube_neutrino_list.json', JSON.stringify(NEUTRINOS));
      await run('CoincSummaryI3LvcTex');
    }
  });

  it('renders summary_lvc-I3.pdf without TeX, with the plot and the tables as text', async () => {
    const pdf = await run('CoincSummaryI3LvcPdf');
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const text = await pdfText(pdf);
    for (const expected of [
      'Joint GW+Neutrino Analysis Summary for S250101ab',
      'PARTIAL RESULT: MORE ICECUBE EVENTS INCOMING',
      'LLAMA p-value',
      '0.0098',
      '1.50e-9 Hz',
      'GSTLAL',
      'igwn-alert',
      '60676.416667',
      `${EVENT_GPS}.000`,
      'https://gracedb.ligo.org/superevents/S250101ab/view/',
      'bayestar.multiorder.fits,1',
      '140123:5678',
      '152.50',
      '-12.5',
      '0.0123',
      // The sky plot's own text, from the embedded vector page:
      'S250101ab: GW skymap and IceCube neutrinos',
      '90% credible region',
    ]) {
      expect(text, expected).toContain(expected);
    }
    expect((await run('CoincSummaryI3LvcPdf')).equals(pdf)).toBe(true);
  });

  it('fails clearly on a malformed significance file', async () => {
    const rule = plots.CoincSummaryI3LvcTex;
    const path = event.write('bad_significance.json', JSON.stringify({ outputs: { neutrino_gw_combined: { p_value: 7 } } }));
    const { ctx } = contextFor(rule, event, { inputs: { CoincSignificanceI3Lvc: path } });
    await expect(rule.generate(ctx)).rejects.toThrow(/bad_significance\.json: malformed significance: .*p_value" must lie in \[0, 1\]/);
  });

  it('fails clearly when the .tex was not written by llama', async () => {
    const rule = plots.CoincSummaryI3LvcPdf;
    const path = event.write('hand.tex', '\\documentclass{article}\\begin{document}hi\\end{document}');
    const { ctx } = contextFor(rule, event, { inputs: { CoincSummaryI3LvcTex: path } });
    await expect(rule.generate(ctx)).rejects.toThrow(/hand\.tex: no LLAMA summary data block/);
  });

  const pdflatex = process.env['PATH']?.split(':').some((dir) => existsSync(join(dir, 'pdflatex'))) ?? false;
  it.skipIf(!pdflatex)('compiles the .tex with pdflatex when LLAMA_SUMMARY_PDF_ENGINE=pdflatex (pdflatex installed)', async () => {
    const pdf = await run('CoincSummaryI3LvcPdf', { LLAMA_SUMMARY_PDF_ENGINE: 'pdflatex' });
    const text = await pdfText(pdf);
    expect(text).toContain('Joint GW+Neutrino Analysis Summary for S250101ab');
    expect(text).toMatch(/LLAMA p-value\s+0\.0098/);
    await run('CoincSummaryI3LvcPdf');
  });

  it('refuses an unknown PDF engine and a missing pdflatex', async () => {
    const rule = plots.CoincSummaryI3LvcPdf;
    const bad = contextFor(rule, event, { env: { LLAMA_SUMMARY_PDF_ENGINE: 'lualatex' } });
    await expect(rule.generate(bad.ctx)).rejects.toThrow(/LLAMA_SUMMARY_PDF_ENGINE must be pdfkit, pdflatex or auto/);
    const noTex = contextFor(rule, event, { env: { LLAMA_SUMMARY_PDF_ENGINE: 'pdflatex', PATH: '/nonexistent' } });
    // PATH in ctx.env does not change the process PATH; only assert when pdflatex is really absent.
    if (!process.env['PATH']?.split(':').some((dir) => existsSync(join(dir, 'pdflatex')))) {
      await expect(rule.generate(noTex.ctx)).rejects.toThrow(/pdflatex is not on PATH/);
    }
  });
});

it('marks neutrinos in the PNG with the same numbers as the table rows', async () => {
  const png = await once('CoincScatterI3LvcPng');
  const pixels = await decodePng(png);
  const { skyProjection } = await import('../../pipelines/llama/src/plots/sky-plot.js');
  const { PNG_SCALE } = await import('../../pipelines/llama/src/plots/render.js');
  const point = skyProjection()([210, -12]);
  expect(point).not.toBeNull();
  expect(isGreen(pixels.at(point![0] * PNG_SCALE, point![1] * PNG_SCALE))).toBe(true);
});
