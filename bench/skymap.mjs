#!/usr/bin/env node
// Skymap reading and summarising: an NSIDE 1024 flat NESTED map (4 float64 columns, plain and
// gzipped) and a multi-order map refined to order 10. Run after `npx tsc -b`:
//
//   node bench/skymap.mjs [--keep DIR] [--repeat N]
//
// If /usr/bin/python3 has healpy (Debian python3-healpy), bench/skymap_healpy.py does the same
// work on the same files with healpy/astropy/numpy and its times are printed beside ours.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'pipelines', 'llama', 'dist');
const { readSkymapFits } = await import(join(dist, 'skymap', 'read.js'));
const { summarizeSkymap, flattenToOrder } = await import(join(dist, 'skymap', 'analysis.js'));
const { writeSkymapHdf5 } = await import(join(dist, 'skymap', 'hdf5.js'));
const { writeBinTableFits } = await import(join(dist, 'fits', 'write.js'));
const { orderToNpix, pix2vec, pixelAreaSr } = await import(join(dist, 'healpix', 'index.js'));

const args = process.argv.slice(2);
const keepAt = args.indexOf('--keep');
const repeatAt = args.indexOf('--repeat');
const repeat = repeatAt >= 0 ? Number(args[repeatAt + 1]) : 3;
const workDir = keepAt >= 0 ? args[keepAt + 1] : mkdtempSync(join(tmpdir(), 'llama-bench-skymap-'));
mkdirSync(workDir, { recursive: true });

// A GW-like arc: three von Mises-Fisher blobs (kappa in 1/rad²) with a distance gradient.
const BLOBS = [
  { ra: 150, dec: 20, kappa: 400, weight: 0.5 },
  { ra: 158, dec: 12, kappa: 250, weight: 0.3 },
  { ra: 165, dec: 3, kappa: 150, weight: 0.2 },
].map((b) => {
  const ra = (b.ra * Math.PI) / 180;
  const dec = (b.dec * Math.PI) / 180;
  return { ...b, v: [Math.cos(dec) * Math.cos(ra), Math.cos(dec) * Math.sin(ra), Math.sin(dec)], norm: b.kappa / (2 * Math.PI * (1 - Math.exp(-2 * b.kappa))) };
});

function density([x, y, z]) {
  let d = 0;
  for (const b of BLOBS) d += b.weight * b.norm * Math.exp(b.kappa * (x * b.v[0] + y * b.v[1] + z * b.v[2] - 1));
  return d;
}
const distMuAt = ([x, y, z]) => 400 + 80 * x - 60 * z;
const DIST_SIGMA = 90;

function fileHeader(extra) {
  return { PIXTYPE: 'HEALPIX', COORDSYS: 'C', OBJECT: 'MSBENCH', CREATOR: 'llama bench', DISTMEAN: 400, DISTSTD: 90, ...extra };
}

function makeFlat(order) {
  const npix = orderToNpix(order);
  const area = pixelAreaSr(order);
  const prob = new Float64Array(npix);
  const mu = new Float64Array(npix);
  const sigma = new Float64Array(npix).fill(DIST_SIGMA);
  const norm = new Float64Array(npix);
  let total = 0;
  for (let i = 0; i < npix; i++) {
    const v = pix2vec(order, i, 'NESTED');
    prob[i] = density(v) * area;
    total += prob[i];
    mu[i] = distMuAt(v);
    norm[i] = 1 / (mu[i] * mu[i] + DIST_SIGMA * DIST_SIGMA);
  }
  for (let i = 0; i < npix; i++) prob[i] /= total;
  return writeBinTableFits(
    [
      { name: 'PROB', type: 'D', unit: 'pix-1', data: prob },
      { name: 'DISTMU', type: 'D', unit: 'Mpc', data: mu },
      { name: 'DISTSIGMA', type: 'D', unit: 'Mpc', data: sigma },
      { name: 'DISTNORM', type: 'D', unit: 'Mpc-2', data: norm },
    ],
    fileHeader({ ORDERING: 'NESTED', NSIDE: 2 ** order, INDXSCHM: 'IMPLICIT' }),
  );
}

/** Refine from order 3 while a pixel holds more than `threshold` probability, up to maxOrder. */
function makeMultiOrder(maxOrder, threshold) {
  const uniq = [];
  const dens = [];
  const visit = (order, ipix) => {
    const v = pix2vec(order, ipix, 'NESTED');
    const d = density(v);
    if (order < maxOrder && d * pixelAreaSr(order) > threshold) {
      for (let c = 0; c < 4; c++) visit(order + 1, 4 * ipix + c);
      return;
    }
    uniq.push(4 * 4 ** order + ipix);
    dens.push(d);
  };
  for (let p = 0; p < orderToNpix(3); p++) visit(3, p);
  const n = uniq.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const order = Math.floor(Math.log2(uniq[i]) / 2) - 1;
    total += dens[i] * pixelAreaSr(order);
  }
  const probDensity = Float64Array.from(dens, (d) => d / total);
  const mu = new Float64Array(n);
  const norm = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const order = Math.floor(Math.log2(uniq[i]) / 2) - 1;
    mu[i] = distMuAt(pix2vec(order, uniq[i] - 4 * 4 ** order, 'NESTED'));
    norm[i] = 1 / (mu[i] * mu[i] + DIST_SIGMA * DIST_SIGMA);
  }
  return writeBinTableFits(
    [
      { name: 'UNIQ', type: 'K', data: uniq },
      { name: 'PROBDENSITY', type: 'D', unit: 'sr-1', data: probDensity },
      { name: 'DISTMU', type: 'D', unit: 'Mpc', data: mu },
      { name: 'DISTSIGMA', type: 'D', unit: 'Mpc', data: new Float64Array(n).fill(DIST_SIGMA) },
      { name: 'DISTNORM', type: 'D', unit: 'Mpc-2', data: norm },
    ],
    fileHeader({ ORDERING: 'NUNIQ', INDXSCHM: 'EXPLICIT', MOCORDER: maxOrder, MOC: true }),
  );
}

const files = {
  flat: join(workDir, 'flat1024.fits'),
  flatGz: join(workDir, 'flat1024.fits.gz'),
  moc: join(workDir, 'moc10.multiorder.fits'),
};
if (!existsSync(files.flat) || !existsSync(files.flatGz) || !existsSync(files.moc)) {
  const t = performance.now();
  const flat = makeFlat(10);
  writeFileSync(files.flat, flat);
  writeFileSync(files.flatGz, gzipSync(flat, { level: 6 }));
  writeFileSync(files.moc, makeMultiOrder(10, 2e-5));
  console.error(`generated the test maps in ${((performance.now() - t) / 1000).toFixed(1)} s in ${workDir}`);
}

const PROBES = [{ ra: 150.5, dec: 19.5 }, { ra: 300, dec: -60 }];
// The machine may be shared: report CPU time (user + system) beside wall time.
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const clock = () => ({ wall: performance.now(), cpu: cpuMs() });
const since = (t) => ({ wall: performance.now() - t.wall, cpu: cpuMs() - t.cpu });
const bestOf = (runs) => ({ wall: Math.min(...runs.map((r) => r.wall)), cpu: Math.min(...runs.map((r) => r.cpu)) });
const fmt = (t) => `${(t.wall / 1000).toFixed(2)} (${(t.cpu / 1000).toFixed(2)})`;

async function measure(path) {
  const read = [];
  const summary = [];
  let result;
  let skymap;
  for (let r = 0; r < repeat; r++) {
    skymap = undefined;
    const t0 = clock();
    skymap = await readSkymapFits(path);
    read.push(since(t0));
    const t1 = clock();
    result = summarizeSkymap(skymap, PROBES);
    summary.push(since(t1));
  }
  return { read: bestOf(read), summary: bestOf(summary), result, skymap };
}

const rows = [];
for (const [label, path] of Object.entries(files)) {
  const m = await measure(path);
  rows.push({ label, path, size: statSync(path).size, pixels: m.skymap.order.length, ...m });
}
const moc = rows.find((r) => r.label === 'moc');
let t = clock();
const flattened = flattenToOrder(moc.skymap);
const flattenTime = since(t);
t = clock();
await writeSkymapHdf5(moc.skymap, join(workDir, 'moc10.hdf5'));
const hdf5Moc = since(t);
const flatRow = rows.find((r) => r.label === 'flat');
t = clock();
await writeSkymapHdf5(flatRow.skymap, join(workDir, 'flat1024.hdf5'));
const hdf5Flat = since(t);

console.log(`llama (node ${process.version}), best of ${repeat}; seconds wall (cpu):`);
console.log('file                    size MB    pixels          read         summary  area90 deg²  distmean');
for (const r of rows) {
  console.log(
    `${r.label.padEnd(22)} ${(r.size / 1e6).toFixed(1).padStart(8)} ${String(r.pixels).padStart(9)} ${fmt(r.read).padStart(13)} ${fmt(r.summary).padStart(15)} ${r.result.area90Deg2.toFixed(2).padStart(12)} ${r.result.distance.mean.toFixed(2).padStart(9)}`,
  );
}
console.log(`flatten moc to order 10: ${fmt(flattenTime)} s (${flattened.order.length} pixels)`);
console.log(`LvcSkymapHdf5 write (gzip 1): moc ${fmt(hdf5Moc)} s, flat1024 ${fmt(hdf5Flat)} s`);

const python = '/usr/bin/python3';
let hasHealpy = false;
try {
  execFileSync(python, ['-c', 'import healpy, astropy'], { stdio: 'ignore' });
  hasHealpy = true;
} catch {
  console.log('healpy not available (apt-get install python3-healpy python3-astropy for the comparison)');
}
if (hasHealpy) {
  const out = execFileSync(python, [join(here, 'skymap_healpy.py'), String(repeat), files.flat, files.flatGz, files.moc], { encoding: 'utf8' });
  process.stdout.write(out);
}
if (keepAt < 0) rmSync(workDir, { recursive: true, force: true });
