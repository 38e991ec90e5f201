import { readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'vitest';
import * as plots from '../../pipelines/llama/src/rules/plots.js';
import { writeSkymapHdf5 } from '../../pipelines/llama/src/skymap/hdf5.js';
import { syntheticSkymap } from '../../pipelines/llama/src/plots/synthetic.js';
import { contextFor, makeEvent, SKYMAP_INFO } from './context.js';

it('dump', async () => {
  const event = makeEvent('S250101ab');
  const skymap = syntheticSkymap(8, [{ ra: 150, dec: 20, kappa: 600 }, { ra: 168, dec: 38, kappa: 250, weight: 0.7 }, { ra: 200, dec: 50, kappa: 100, weight: 0.3 }], { objectId: 'S250101ab', dateObs: '2025-01-01T10:00:00.000' });
  await writeSkymapHdf5(skymap, join(event.eventDir, 'lvc_skymap.hdf5'));
  event.write('skymap_info.json', JSON.stringify(SKYMAP_INFO));
  event.write('icecube_neutrino_list.json', JSON.stringify({ triggers: [
    { mjd: 60676.4166, ra: 152.5, dec: 18.25, sigma: 1.1, energy: 25000, zenith: 1, azimuth: 1, type: 'observation', run: '140123', event: '5678' },
    { mjd: 60676.4169, ra: 210.0, dec: -12.0, sigma: 3.0, energy: 1200, zenith: 1, azimuth: 1, type: 'observation' },
    { mjd: 60676.4162, ra: 330.0, dec: 5.0, sigma: 0.5, energy: 800, zenith: 1, azimuth: 1, type: 'observation' }], complete: false }));
  event.write('ztf_trigger_list.json', JSON.stringify([{ ra: 148, dec: 22 }, { ra: 160, dec: 30 }]));
  event.write('significance_lvc-i3.json', JSON.stringify({ outputs: { neutrino_gw_triggers: [{ ra: 152.5, dec: 18.25, dt: -12.5, odds_ratio: 0.032, p_value: 0.0123 }], neutrino_gw_combined: { odds_ratio: 0.032, p_value: 0.0098 } } }));
  event.write('IceCubeNeutrinoList.tex', '\\begin{table}\\end{table}\n');
  for (const name of ['CoincScatterZtfI3LvcPng', 'CoincScatterI3LvcPdf', 'CoincSummaryI3LvcTex', 'CoincSummaryI3LvcPdf'] as const) {
    const rule = plots[name];
    const { ctx, outputPath } = contextFor(rule, event, { env: { LLAMA_GUI_URL: 'https://llama.example.org/events' } });
    const t = Date.now();
    await rule.generate(ctx);
    console.log(name, Date.now() - t);
    writeFileSync(join(event.eventDir, rule.filename), readFileSync(outputPath));
    copyFileSync(outputPath, join('/tmp', rule.filename));
  }
}, 120000);
