import { describe, expect, it } from 'vitest';
import { PreparedBackground, primaryDensity, secondaryDensity, subthresholdDensities } from './density.js';
import { backgroundSampleFromArrays } from './samples.js';

/** Hand-made samples: events as [zenith, energy]; `filler` far-away events set the median. */
function sample(events: [number, number][], filler: { count: number; energy: number }) {
  const all = [...events, ...Array.from({ length: filler.count }, () => [10, filler.energy] as [number, number])];
  return new PreparedBackground(backgroundSampleFromArrays(all.map((e) => e[0]), all.map((e) => e[1])));
}

const band = (theta: number, dw: number): number => Math.abs(Math.cos((Math.PI / 180) * (theta - dw)) - Math.cos((Math.PI / 180) * (theta + dw)));
const rel = (a: number, b: number): number => Math.abs(a / b - 1);

describe('3.5.1 background density (opa.py:356-398) on hand-made samples', () => {
  it('no widening: 5 events in the first windows', () => {
    const bg = sample([[100, 1000], [100, 1000], [100.5, 1100], [99, 900], [101, 1200], [100, 2000]], { count: 10, energy: 1e7 });
    const r = primaryDensity(bg, 100, 1000, 2.5, 0.3);
    expect(r.count).toBe(5); // 2000 is outside |1000 − E| < 300
    expect(r.steps).toBe(0);
    expect(rel(r.density, 5 / (16 * 2 * Math.PI * band(100, 2.5) * 2 * 0.3 * 1000))).toBeLessThan(1e-14);
  });

  it('one widening with the ×10 jump (energy below the median)', () => {
    const five = Array.from({ length: 5 }, () => [100, 1000] as [number, number]);
    const bg = sample([[100, 50], ...five], { count: 20, energy: 1e7 });
    const r = primaryDensity(bg, 100, 100, 2.5, 0.3);
    expect(r.steps).toBe(1);
    expect(r.energy).toBe(1000);
    expect(r.count).toBe(5);
    expect(r.minenu).toBe(50);
    expect(rel(r.density, 5 / (26 * 2 * Math.PI * band(100, 3.75) * 2 * 0.45 * 1000))).toBeLessThan(1e-14);
  });

  it('the energy is raised to minenu first', () => {
    const bg = sample(Array.from({ length: 6 }, () => [100, 1000] as [number, number]), { count: 3, energy: 1e7 });
    const r = primaryDensity(bg, 100, 10, 2.5, 0.3);
    expect(r.steps).toBe(0);
    expect(r.energy).toBe(1000);
  });

  it('two widenings, each with its step (δω 2.5 → 3.75 → 5.625, ΔE 0.3 → 0.45 → 0.675)', () => {
    const bg = sample([
      [100, 1000],
      ...Array.from({ length: 4 }, () => [103, 1e4] as [number, number]),
      ...Array.from({ length: 5 }, () => [105, 1e5] as [number, number]),
    ], { count: 30, energy: 1e7 });
    const r = primaryDensity(bg, 100, 1000, 2.5, 0.3);
    expect(r.steps).toBe(2);
    expect(r.deltaomega).toBeCloseTo(5.625, 12);
    expect(r.deltae).toBeCloseTo(0.675, 12);
    expect(r.energy).toBe(1e5);
    expect(r.count).toBe(5);
    expect(r.energyFactor).toBe(1);
    expect(rel(r.density, 5 / (40 * 2 * Math.PI * band(100, 5.625) * 2 * 0.675 * 1e5))).toBeLessThan(1e-14);
  });

  it('÷10 jump above the median, without the E^-3.7 branch at zenith ≤ 80°', () => {
    const bg = sample([[60, 1e6], ...Array.from({ length: 5 }, () => [60, 1e5] as [number, number])], { count: 10, energy: 100 });
    const r = primaryDensity(bg, 60, 1e6, 2.5, 0.3);
    expect(r.steps).toBe(1);
    expect(r.energy).toBe(1e5);
    expect(r.energyFactor).toBe(1);
    expect(rel(r.density, 5 / (16 * 2 * Math.PI * band(60, 3.75) * 2 * 0.45 * 1e5))).toBeLessThan(1e-14);
  });

  it('÷10 jump then the E^-3.7 correction above zenith 80° (ε\' back to the true energy)', () => {
    const bg = sample([[100, 1e6], ...Array.from({ length: 5 }, () => [100, 1e5] as [number, number])], { count: 10, energy: 100 });
    const r = primaryDensity(bg, 100, 1e6, 2.5, 0.3);
    expect(r.steps).toBe(1);
    expect(r.energy).toBe(1e6);
    expect(rel(r.energyFactor, 10 ** 3.7)).toBeLessThan(1e-14);
    expect(rel(r.density, 5 / (16 * 2 * Math.PI * band(100, 3.75) * 2 * 0.45 * 1e6) / 10 ** 3.7)).toBeLessThan(1e-14);
  });

  it('the second neutrino: 3.5.1 widens once more after the count that ends its loop; the fix does not', () => {
    // Secondary at zenith 100, energy 2e5 (above the median 100): 5 events already in the first windows.
    const bg = sample(Array.from({ length: 5 }, () => [100, 2e5] as [number, number]), { count: 10, energy: 100 });
    const range = { minenu: 10, maxenu: 1e7 };
    const quirk = secondaryDensity(bg, 100, 2e5, range, { deltaomega: 2.5, deltae: 0.3 }, true, { value: 1e-9 });
    const fixed = secondaryDensity(bg, 100, 2e5, range, { deltaomega: 2.5, deltae: 0.3 }, false, { value: 1e-9 });
    expect(quirk.count).toBe(5);
    expect(fixed.count).toBe(5);
    expect(rel(fixed.density, 5 / (15 * 2 * Math.PI * band(100, 2.5) * 2 * 0.3 * 2e5))).toBeLessThan(1e-14);
    // Quirk: windows ×1.5, ε ÷10 = 2e4, then θ > 80° and 2e5 > 2e4 → f = 10^3.7, ε' = 2e5.
    expect(quirk.deltaomega).toBe(3.75);
    expect(quirk.energy).toBe(2e5);
    expect(rel(quirk.energyFactor, 10 ** 3.7)).toBeLessThan(1e-14);
    expect(rel(quirk.density, 5 / (15 * 2 * Math.PI * band(100, 3.75) * 2 * 0.45 * 2e5) / 10 ** 3.7)).toBeLessThan(1e-14);
    expect(fixed.density / quirk.density).toBeGreaterThan(5000);
  });

  it('the second neutrino\'s energy is clipped to the primary\'s [minenu, maxenu]', () => {
    const bg = sample(Array.from({ length: 5 }, () => [100, 500] as [number, number]), { count: 10, energy: 1e4 });
    const fixed = secondaryDensity(bg, 100, 5e6, { minenu: 10, maxenu: 500 }, { deltaomega: 2.5, deltae: 0.3 }, false, { value: 0 });
    expect(fixed.steps).toBe(0);
    expect(fixed.count).toBe(5);
    // θ > 80° and 5e6 > 500: the E^-3.7 factor with ε' = 500.
    expect(rel(fixed.energyFactor, (5e6 / 500) ** 3.7)).toBeLessThan(1e-14);
  });

  it('subthreshold: each neutrino starts from the windows the previous one ended with', () => {
    const bg = sample([
      [100, 50], ...Array.from({ length: 5 }, () => [100, 1000] as [number, number]),
      ...Array.from({ length: 5 }, () => [40, 300] as [number, number]),
    ], { count: 20, energy: 1e7 });
    const [a, b] = subthresholdDensities(bg, [{ zenith: 100, energy: 100 }, { zenith: 40, energy: 300 }], { deltaomega: 2.5, deltae: 0.3 });
    expect(a!.deltaomega).toBe(3.75);
    expect(b!.steps).toBe(0);
    expect(b!.deltaomega).toBe(3.75);
    expect(rel(b!.density, 5 / (31 * 2 * Math.PI * band(40, 3.75) * 2 * 0.45 * 300))).toBeLessThan(1e-14);
  });

  it('fails clearly where 3.5.1 crashes (no background event near the zenith)', () => {
    const bg = sample([[100, 1000]], { count: 5, energy: 10 });
    expect(() => primaryDensity(bg, 50, 1000, 2.5, 0.3)).toThrow(/no event within 2.5° of zenith 50°/);
  });
});
