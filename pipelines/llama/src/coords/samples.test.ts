import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { icrsToZenithAzimuth } from './index.js';

/**
 * The shipped data samples (pipelines/llama/data/): their format, their labels, that the
 * neutrino sample's local coordinates are 3.5.1's transform of its RA/Dec, that the SNR list
 * follows the distribution its header states, and that data/README.md gives their sha256.
 */
const dataUrl = (name: string): URL => new URL(`../../data/${name}`, import.meta.url);
const readme = readFileSync(dataUrl('README.md'), 'utf8');
const DEG = Math.PI / 180;

function separationDeg(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const h = Math.sin(((lat2 - lat1) * DEG) / 2) ** 2 + Math.cos(lat1 * DEG) * Math.cos(lat2 * DEG) * Math.sin(((lon2 - lon1) * DEG) / 2) ** 2;
  return (2 * Math.asin(Math.min(1, Math.sqrt(h)))) / DEG;
}

describe('data/background-neutrinos.txt', () => {
  const text = readFileSync(dataUrl('background-neutrinos.txt'), 'utf8');
  const lines = text.split('\n').filter((l) => l !== '');
  const header = lines.filter((l) => l.startsWith('#'));
  const rows = lines.filter((l) => !l.startsWith('#')).map((l) => l.split(' ').map(Number));

  it('is labelled a substitute and ends its header with the release columns', () => {
    expect(header[0]).toMatch(/^# SUBSTITUTE .*NOT IceCube data/);
    expect(header.at(-1)).toBe('# MJD[days] log10(E/GeV) AngErr[deg] RA[deg] Dec[deg] Azimuth[deg] Zenith[deg]');
    expect(rows).toHaveLength(100_000);
  });

  it('has 7 finite columns in range, times increasing', () => {
    let last = 0;
    const bad: string[] = [];
    for (const r of rows) {
      const [mjd, log10E, sigma, ra, dec, az, zen] = r as [number, number, number, number, number, number, number];
      const ok = r.length === 7 && mjd > last && log10E >= 1 && log10E <= 9 && sigma >= 0.2 && ra >= 0 && ra < 360 && Math.abs(dec) <= 90 && az >= 0 && az < 360 && zen >= 0 && zen <= 180;
      if (!ok) bad.push(r.join(' '));
      last = mjd;
    }
    expect(bad).toEqual([]);
  });

  it('has zenith/azimuth = src/coords(MJD, RA, Dec) within the written precision (1e-4° ≈ 0.4″)', () => {
    let worst = 0;
    for (let i = 0; i < rows.length; i += 97) {
      const [mjd, , , ra, dec, az, zen] = rows[i] as number[];
      const local = icrsToZenithAzimuth(mjd as number, ra as number, dec as number);
      worst = Math.max(worst, separationDeg(local.azimuth, 90 - local.zenith, az as number, 90 - (zen as number)));
    }
    expect(worst * 3600).toBeLessThan(0.5);
  });

  it('has the sha256 that data/README.md gives', () => {
    expect(readme).toContain(createHash('sha256').update(text).digest('hex'));
  });
});

describe('data/gw-background-snr.txt', () => {
  const text = readFileSync(dataUrl('gw-background-snr.txt'), 'utf8');
  const lines = text.split('\n').filter((l) => l !== '');
  const values = lines.filter((l) => !l.startsWith('#')).map(Number).sort((a, b) => a - b);
  const RHO_MIN = 5.59;

  it('is labelled synthetic and holds 10 000 SNRs ≥ ρmin', () => {
    expect(lines[0]).toMatch(/^# SYNTHETIC .*NOT LVK data/);
    expect(values).toHaveLength(10_000);
    expect(values.every((v) => Number.isFinite(v) && v >= RHO_MIN)).toBe(true);
  });

  it('follows ρ² ~ χ²₄ above ρmin (Kolmogorov–Smirnov distance below the 1 % critical value 1.63/√N)', () => {
    // χ²₄ survival function e^{-x/2}(1 + x/2), conditioned on x ≥ ρmin².
    const survival = (x: number): number => Math.exp(-x / 2) * (1 + x / 2);
    const cdf = (rho: number): number => 1 - survival(rho * rho) / survival(RHO_MIN * RHO_MIN);
    let d = 0;
    values.forEach((v, i) => {
      const f = cdf(v);
      d = Math.max(d, Math.abs(f - i / values.length), Math.abs(f - (i + 1) / values.length));
    });
    expect(d).toBeLessThan(1.63 / Math.sqrt(values.length));
    // And it is not a different distribution: χ²₂ (one detector) would be far off.
    const chi2 = (rho: number): number => 1 - Math.exp(-(rho * rho - RHO_MIN * RHO_MIN) / 2);
    const median = values[values.length / 2] as number;
    expect(Math.abs(chi2(median) - 0.5)).toBeGreaterThan(0.02);
  });

  it('has the sha256 that data/README.md gives', () => {
    expect(readme).toContain(createHash('sha256').update(text).digest('hex'));
  });
});
