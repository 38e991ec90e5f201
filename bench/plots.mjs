#!/usr/bin/env node
// Sky plot rendering (CoincScatter*): PNG and PDF of a flat NSIDE 1024 map (12.6 M pixels) and
// of a compact NSIDE 256 map (zoom panel), with two neutrinos and a ZTF candidate. Run after
// `npx tsc -b`:
//
//   node bench/plots.mjs [--repeat N]
//
// Prints the median wall time of each step; the colour layer costs one skymap lookup per output
// pixel (not per HEALPix pixel), so the time hardly depends on NSIDE.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'pipelines', 'llama', 'dist');
const { syntheticSkymap } = await import(join(dist, 'plots', 'synthetic.js'));
const { skyLookup } = await import(join(dist, 'plots', 'sky-lookup.js'));
const { renderSkyPlotPdf, renderSkyPlotPng } = await import(join(dist, 'plots', 'render.js'));

const args = process.argv.slice(2);
const repeatAt = args.indexOf('--repeat');
const repeat = repeatAt >= 0 ? Number(args[repeatAt + 1]) : 3;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function time(label, fn) {
  const times = [];
  let result;
  for (let i = 0; i < repeat; i++) {
    const start = performance.now();
    result = await fn();
    times.push(performance.now() - start);
  }
  console.log(`${label.padEnd(44)} ${(median(times) / 1000).toFixed(2)} s`);
  return result;
}

const cases = [
  { name: 'flat NSIDE 1024, 90% ≈ 800 deg² (no zoom)', order: 10, blobs: [{ ra: 150, dec: 20, kappa: 80 }, { ra: 170, dec: 0, kappa: 60, weight: 0.6 }] },
  { name: 'flat NSIDE 256, 90% ≈ 60 deg² (zoom)', order: 8, blobs: [{ ra: 270, dec: 65, kappa: 800 }] },
];
for (const c of cases) {
  console.log(`\n${c.name}`);
  const skymap = await time('  synthesise the map (not part of a plot)', () => syntheticSkymap(c.order, c.blobs, { objectId: 'S250101ab' }));
  const lookup = await time('  lookup table + credible levels', () => skyLookup(skymap));
  const model = {
    graceid: 'S250101ab',
    eventTime: '2025-01-01 10:00:00 UTC',
    lookup,
    neutrinos: [{ mjd: 60676.4, ra: 152, dec: 18, sigma: 1.2, energy: 2e4 }, { mjd: 60676.4, ra: 268, dec: 63, sigma: 2, energy: 1e3 }],
    neutrinosComplete: true,
    ztf: [{ ra: 149, dec: 21 }],
  };
  const png = await time('  PNG (2000 px wide)', () => renderSkyPlotPng(model));
  const pdf = await time('  PDF (vector, colour layer embedded)', () => renderSkyPlotPdf(model));
  console.log(`  sizes: PNG ${(png.length / 1024).toFixed(0)} kB, PDF ${(pdf.length / 1024).toFixed(0)} kB`);
}
