#!/usr/bin/env node
// GW+neutrino significance benchmarks, LLAMA 3.5.1 method (issue 14). Run after `npx tsc -b`:
//
//   node bench/significance.mjs [--repeat N] [--trials N] [--skip-background] [--skip-flat]
//
// 1. One event with 10 neutrinos on (a) an order-10 multi-order skymap (bayestar-like: three
//    von Mises-Fisher blobs refined to order 10) and (b) an NSIDE 1024 flat NESTED map
//    (12.6 M pixels). Times the odds on the in-memory map and the whole CoincSignificanceI3Lvc rule
//    (read lvc_skymap.hdf5, compute, write significance_lvc-i3.json). Target: whole rule < 2 s.
// 2. `llama background`'s trial loop: runBackgroundChunk(seed 1, N trials), one population ×
//    network, 100 synthetic maps.
// The background neutrino sample is pipelines/llama/data/background-neutrinos.txt when present,
// else a synthetic 100 000-event sample in the same format (written to a temporary directory).
// Wall and CPU times are both printed: this machine is shared and noisy.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

const dir = mkdtempSync(join(tmpdir(), 'llama-bench-significance-'));
const shipped = join(here, '..', 'pipelines', 'llama', 'data', 'background-neutrinos.txt');
let samplePath = shipped;
if (!existsSync(shipped)) {
  const rng = new sig.Rng(99);
  const lines = ['# synthetic: MJD log10(E/GeV) AngErr[deg] RA[deg] Dec[deg] Azimuth[deg] Zenith[deg]'];
  for (let i = 0; i < 100000; i++) {
    const zenith = (Math.acos(2 * rng.uniform() - 1) * 180) / Math.PI;
    lines.push(`${58000 + i / 300} ${(2 + 3.5 * rng.uniform() ** 2).toFixed(4)} ${(0.2 + 2 * rng.uniform()).toFixed(3)} 0 ${(zenith - 90).toFixed(4)} ${(360 * rng.uniform()).toFixed(3)} ${zenith.toFixed(4)}`);
  }
  samplePath = join(dir, 'background-neutrinos.txt');
  writeFileSync(samplePath, `${lines.join('\n')}\n`);
}
const env = { LLAMA_BACKGROUND_NEUTRINOS: samplePath };
const sample = sig.loadBackgroundNeutrinos(env);
console.log(`background neutrino sample: ${samplePath === shipped ? shipped : 'synthetic'} (${sample.zenith.length} events)`);

const GW = 1380000000;
const blobs = [{ ra: 150, dec: -20, sigmaDeg: 6, weight: 1 }, { ra: 162, dec: -12, sigmaDeg: 5, weight: 0.8 }, { ra: 172, dec: -2, sigmaDeg: 7, weight: 0.6 }];
// (ra, dec, σ, energy, dt): directions are turned into IceCube zenith/azimuth, as lists carry them.
const neutrinos = [
  [151, -19, 0.4, 3e4, -40], [163, -13, 1.2, 8e3, 120], [171, -1, 0.7, 2e5, -300],
  [20, 40, 0.5, 1e4, 10], [300, -60, 2.0, 5e3, 400], [90, 5, 0.3, 4e4, -200], [210, 70, 1.5, 2e3, 250],
  [140, -25, 0.9, 1.5e4, -480], [5, -5, 0.6, 1e5, 60], [250, 15, 1.0, 7e3, -90],
].map(([ra, dec, sigma, energy, dt]) => {
  const mjd = gpsToMjd(GW + dt);
  const { zenith, azimuth } = sig.icrsToZenithAzimuth(mjd, ra, dec);
  return { mjd, ra, dec, sigma, energy, zenith, azimuth, type: 'observation' };
});

async function event(label, skymap) {
  const hdf5 = join(dir, 'lvc_skymap.hdf5');
  await writeSkymapHdf5(skymap, hdf5);
  const files = {
    SkymapInfo: { event_time_iso: gpsToIso(GW).replace('Z', ''), graceid: 'S231000a', far: 1e-9, notice_time_iso: gpsToIso(GW + 30), pipeline: 'GSTLAL', skymap_filename: 'bayestar.multiorder.fits,1', alert_type: 'manual' },
    IceCubeNeutrinoList: { triggers: neutrinos, complete: true },
    LVCGraceDbEventData: { instruments: 'H1,L1,V1', extra_attributes: { CoincInspiral: { snr: 12 } } },
    LvcDistancesJson: [{ distmean: 350, diststd: 90 }],
    PAstro: { BNS: 0.95, NSBH: 0.02, BBH: 0, Terrestrial: 0.03 },
  };
  const inputs = { LvcSkymapHdf5: hdf5 };
  for (const [name, content] of Object.entries(files)) {
    inputs[name] = join(dir, `${name}.json`);
    writeFileSync(inputs[name], JSON.stringify(content));
  }
  const data = { neutrinos: sample, table: undefined, method: sig.METHOD_351 };
  const parsed = { info: files.SkymapInfo, infoRaw: files.SkymapInfo, list: files.IceCubeNeutrinoList, listRaw: files.IceCubeNeutrinoList, skymap, instruments: ['H1', 'L1', 'V1'], snr: 12, pAstro: files.PAstro, distmean: 350 };
  const compute = [];
  const rule = [];
  for (let i = 0; i < repeat; i++) {
    compute.push(timed(() => sig.significanceDocument(parsed, 'significant', data)));
    const out = join(dir, 'significance_lvc-i3.json');
    const ctx = { rule: 'CoincSignificanceI3Lvc', event: { eventId: 'S231000a', runDir: dir, eventDir: dir }, flags: {}, inputs, outputPath: out, workDir: dir,
      signal: new AbortController().signal, log: { debug() {}, info() {}, warn() {}, error() {} }, env, now: () => new Date(), setProvisional() {} };
    rule.push(await timed(() => sig.significanceGenerator('significant')(ctx)));
  }
  const doc = compute[0].value;
  console.log(`${label}: ${skymap.probDensity.length} pixels, max order ${skymap.meta.maxOrder}, ${neutrinos.length} neutrinos`);
  console.log(`  odds on the in-memory map: median wall ${median(compute.map((r) => r.wall)).toFixed(2)} s, cpu ${median(compute.map((r) => r.cpu)).toFixed(2)} s (${repeat} runs)`);
  console.log(`  whole rule (read HDF5, compute, write): median wall ${median(rule.map((r) => r.wall)).toFixed(2)} s, cpu ${median(rule.map((r) => r.cpu)).toFixed(2)} s`);
  console.log(`  combined odds ${doc.outputs.neutrino_gw_combined.odds_ratio.toPrecision(4)}; per-neutrino odds ${doc.outputs.neutrino_gw_triggers.map((t) => t.odds_ratio.toPrecision(2)).join(' ')}`);
}

console.log('building the maps (not timed)…');
await event('order-10 multi-order map', sig.fisherMixtureSkymap(blobs, { maxOrder: 10, minOrder: 4, refineMass: 2e-5 }));
if (!args.includes('--skip-flat')) await event('NSIDE 1024 flat map', sig.fisherMixtureSkymap(blobs, { maxOrder: 10 }));

if (!args.includes('--skip-background')) {
  const bg = timed(() => sig.runBackgroundChunk(1, trials, { population: 'bns', instruments: 'H1,L1,V1', sample, syntheticSkymaps: 100 }));
  const n = bg.value.reduce((a, r) => a + r.neutrinos, 0);
  console.log(`background: runBackgroundChunk(1, ${trials}) — ${bg.value.length} events, ${n} neutrinos, 100 synthetic maps: wall ${bg.wall.toFixed(1)} s, cpu ${bg.cpu.toFixed(1)} s`);
}
rmSync(dir, { recursive: true, force: true });
