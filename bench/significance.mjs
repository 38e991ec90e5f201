#!/usr/bin/env node
// GW+neutrino significance benchmarks (issue 5). Run after `npx tsc -b`:
//
//   node bench/significance.mjs [--trials N] [--repeat N] [--skip-background]
//
// 1. One event: an NSIDE 1024 flat NESTED skymap with distance layers (12.6 M pixels, a GW-like
//    arc of three von Mises-Fisher blobs) and 10 neutrinos. Times (a) the odds ratios on the
//    in-memory map and (b) the whole CoincSignificanceI3Lvc rule: read lvc_skymap.hdf5, compute,
//    write significance_lvc-i3.json. Target < 10 s (3.5.1: 1-10 minutes).
// 2. A background table of 10 000 trials (one population x network, 100 synthetic maps), as
//    `llama background` makes it. Target < 10 min.
// Wall and CPU times are both printed: this machine is shared and noisy.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'pipelines', 'llama', 'dist');
const sig = await import(join(dist, 'significance', 'index.js'));
const { writeSkymapHdf5 } = await import(join(dist, 'skymap', 'hdf5.js'));
const { gpsToIso, gpsToMjd } = await import(join(dist, 'time', 'gps.js'));

const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const trials = opt('--trials', 10000);
const repeat = opt('--repeat', 3);

function timed(fn) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = fn();
  const finish = (v) => ({ value: v, wall: (performance.now() - t0) / 1000, cpu: (() => { const c = process.cpuUsage(cpu0); return (c.user + c.system) / 1e6; })() });
  return value instanceof Promise ? value.then(finish) : finish(value);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const GW = 1380000000;
console.log('building an NSIDE 1024 map (not timed)…');
const skymap = sig.fisherMixtureSkymap(
  [{ ra: 150, dec: -20, sigmaDeg: 6, weight: 1 }, { ra: 162, dec: -12, sigmaDeg: 5, weight: 0.8 }, { ra: 172, dec: -2, sigmaDeg: 7, weight: 0.6 }],
  { maxOrder: 10, minOrder: 10, distMu: 350, distSigma: 90 },
);
const dir = mkdtempSync(join(tmpdir(), 'llama-bench-significance-'));
const hdf5 = join(dir, 'lvc_skymap.hdf5');
await writeSkymapHdf5(skymap, hdf5);
const neutrinos = [
  [151, -19, 0.4, 3e4, -40], [163, -13, 1.2, 8e3, 120], [171, -1, 0.7, 2e5, -300],
  [20, 40, 0.5, 1e4, 10], [300, -60, 2.0, 5e3, 400], [90, 5, 0.3, 4e4, -200], [210, 70, 1.5, 2e3, 250],
  [140, -25, 0.9, 1.5e4, -480], [5, -5, 0.6, 1e5, 60], [250, 15, 1.0, 7e3, -90],
].map(([ra, dec, sigma, energy, dt]) => ({ mjd: gpsToMjd(GW + dt), ra, dec, sigma, energy, zenith: dec + 90, azimuth: 0, type: 'observation' }));
const files = {
  SkymapInfo: { event_time_iso: gpsToIso(GW).replace('Z', ''), graceid: 'S231000a', far: 1e-9, notice_time_iso: gpsToIso(GW + 30), pipeline: 'GSTLAL', skymap_filename: 'bayestar.multiorder.fits,1', alert_type: 'manual' },
  IceCubeNeutrinoList: { triggers: neutrinos, complete: true },
  LVCGraceDbEventData: { instruments: 'H1,L1,V1' },
  LvcDistancesJson: [{ distmean: 350, diststd: 90 }],
  PAstro: { BNS: 0.95, NSBH: 0.02, BBH: 0, Terrestrial: 0.03 },
};
const inputs = { LvcSkymapHdf5: hdf5 };
for (const [name, content] of Object.entries(files)) {
  inputs[name] = join(dir, `${name}.json`);
  writeFileSync(inputs[name], JSON.stringify(content));
}
const modelFile = sig.loadDefaultModelFile();
const background = sig.loadBackgroundTable({});

const compute = [];
const rule = [];
for (let i = 0; i < repeat; i++) {
  compute.push(await timed(() => sig.significanceDocument(
    { info: files.SkymapInfo, list: files.IceCubeNeutrinoList, skymap, instruments: 'H1L1V1', pAstro: files.PAstro, distances: files.LvcDistancesJson },
    'significant', modelFile, background)));
  const out = join(dir, 'significance_lvc-i3.json');
  const ctx = { rule: 'CoincSignificanceI3Lvc', event: { eventId: 'S231000a', runDir: dir, eventDir: dir }, flags: {}, inputs, outputPath: out, workDir: dir,
    signal: new AbortController().signal, log: { debug() {}, info() {}, warn() {}, error() {} }, env: {}, now: () => new Date(), setProvisional() {} };
  rule.push(await timed(() => sig.significanceGenerator('significant')(ctx)));
}
const doc = compute[0].value;
console.log(`event: NSIDE 1024 (${skymap.probDensity.length} pixels), ${neutrinos.length} neutrinos`);
console.log(`  odds ratios on the in-memory map: median wall ${median(compute.map((r) => r.wall)).toFixed(2)} s, cpu ${median(compute.map((r) => r.cpu)).toFixed(2)} s (${repeat} runs)`);
console.log(`  whole rule (read HDF5, compute, write): median wall ${median(rule.map((r) => r.wall)).toFixed(2)} s, cpu ${median(rule.map((r) => r.cpu)).toFixed(2)} s`);
console.log(`  combined odds ${doc.outputs.neutrino_gw_combined.odds_ratio.toPrecision(4)}, p ${doc.outputs.neutrino_gw_combined.p_value}; per-neutrino odds ${doc.outputs.neutrino_gw_triggers.map((t) => t.odds_ratio.toPrecision(2)).join(' ')}`);
rmSync(dir, { recursive: true, force: true });

if (!args.includes('--skip-background')) {
  const params = sig.searchParameters('bns', 'H1,L1,V1');
  const model = new sig.NeutrinoModel(modelFile, [params.epsilonmin, params.epsilonmax]);
  const bg = timed(() => sig.runBackgroundTrials({ params, model, trials, seed: 1, syntheticSkymaps: 100 }));
  console.log(`background: ${bg.value.trials} trials (${bg.value.per_neutrino.length} neutrinos, 100 synthetic maps): wall ${bg.wall.toFixed(1)} s, cpu ${bg.cpu.toFixed(1)} s`);
}
