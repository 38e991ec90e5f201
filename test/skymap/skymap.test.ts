import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { skymap } from '@llama/pipelines';
import { REPO, llama } from '../helpers/llama.js';

const FIXTURES = join(REPO, 'pipelines', 'llama', 'test-fixtures');
interface Probe { ra: number; dec: number; pixel: number; prob_density_per_sr: number; in_90: boolean }
interface Reference {
  nside: number;
  ordering: string;
  area50_deg2: number;
  area90_deg2: number;
  distmean_mpc: number;
  diststd_mpc: number;
  max_prob_ra_deg: number;
  max_prob_dec_deg: number;
  probes: Probe[];
}
const reference = JSON.parse(readFileSync(join(FIXTURES, 'reference.json'), 'utf8')) as Record<string, Reference>;
const within = (value: number, expected: number, tolerance: number): boolean => Math.abs(value - expected) <= tolerance * Math.abs(expected);
const dir = mkdtempSync(join(tmpdir(), 'llama-skymap-cli-'));

describe('llama skymap', () => {
  it.each(Object.keys(reference))('%s --json agrees with healpy\'s reference', async (name) => {
    const ref = reference[name]!;
    const at = ref.probes.flatMap((p) => ['--at', `${p.ra},${p.dec}`]);
    const result = await llama(['skymap', join(FIXTURES, name), '--json', ...at]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout) as Reference & { probes: Probe[]; distance_source: string };
    expect(out.nside).toBe(ref.nside);
    expect(out.ordering).toBe(ref.ordering);
    expect(within(out.area50_deg2, ref.area50_deg2, 0.01)).toBe(true);
    expect(within(out.area90_deg2, ref.area90_deg2, 0.01)).toBe(true);
    expect(within(out.distmean_mpc, ref.distmean_mpc, 0.01)).toBe(true);
    expect(within(out.diststd_mpc, ref.diststd_mpc, 0.01)).toBe(true);
    expect(out.distance_source).toBe('ansatz');
    expect(out.max_prob_ra_deg).toBeCloseTo(ref.max_prob_ra_deg, 6);
    expect(out.max_prob_dec_deg).toBeCloseTo(ref.max_prob_dec_deg, 6);
    // MS260102b stores float32 PROB; its reference densities predate that rounding (2^-24).
    const densityTolerance = name === 'MS260102b.fits.gz' ? 2 ** -23 : 1e-9;
    expect(out.probes).toHaveLength(ref.probes.length);
    out.probes.forEach((probe, k) => {
      const expected = ref.probes[k]!;
      expect(probe.pixel).toBe(expected.pixel);
      expect(probe.in_90).toBe(expected.in_90);
      if (expected.prob_density_per_sr === 0) expect(probe.prob_density_per_sr).toBe(0);
      else expect(within(probe.prob_density_per_sr, expected.prob_density_per_sr, densityTolerance)).toBe(true);
    });
  });

  it('prints a human summary', async () => {
    const result = await llama(['skymap', join(FIXTURES, 'MS260103c.multiorder.fits'), '--at', '270.2,64.9', '--at', '90,-65']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/NSIDE 256 \(finest\), orders \d–8, NUNIQ, \d+ pixels/);
    expect(result.stdout).toMatch(/50%: 19\.2 deg²\s+90%: 62\.2 deg²/);
    expect(result.stdout).toMatch(/distance\s+60\.9 ± 11\.5 Mpc/);
    expect(result.stdout).toMatch(/at RA 270\.2, Dec 64\.9: density 134\.400 sr⁻¹ \(pixel 245738\), inside the 90% region/);
    expect(result.stdout).toMatch(/at RA 90, Dec -65: density 0 sr⁻¹ \(pixel 622634\), outside the 90% region/);
  });

  it('reads a gzipped multi-order file the same as the plain one', async () => {
    const gz = join(dir, 'MS260103c.multiorder.fits.gz');
    writeFileSync(gz, gzipSync(readFileSync(join(FIXTURES, 'MS260103c.multiorder.fits'))));
    const [plain, zipped] = await Promise.all([
      llama(['skymap', join(FIXTURES, 'MS260103c.multiorder.fits'), '--json']),
      llama(['skymap', gz, '--json']),
    ]);
    expect(zipped.code).toBe(0);
    const { file: _a, ...a } = JSON.parse(plain.stdout) as Record<string, unknown>;
    const { file: _b, ...b } = JSON.parse(zipped.stdout) as Record<string, unknown>;
    expect(b).toEqual(a);
  });

  it('summarises LLAMA\'s HDF5 skymap (lvc_skymap.hdf5) like the FITS file it came from', async () => {
    const hdf5 = join(dir, 'lvc_skymap.hdf5');
    await skymap.writeSkymapHdf5(await skymap.readSkymapFits(join(FIXTURES, 'MS260102b.fits.gz')), hdf5);
    const [fromFits, fromHdf5] = await Promise.all([
      llama(['skymap', join(FIXTURES, 'MS260102b.fits.gz'), '--json', '--at', '31,-41']),
      llama(['skymap', hdf5, '--json', '--at', '31,-41']),
    ]);
    expect(fromHdf5.stderr).toBe('');
    expect(fromHdf5.code).toBe(0);
    const a = JSON.parse(fromFits.stdout) as Record<string, number | string | object>;
    const b = JSON.parse(fromHdf5.stdout) as Record<string, number | string | object>;
    for (const key of ['nside', 'ordering', 'pixels', 'max_prob_ra_deg', 'max_prob_dec_deg']) expect(b[key]).toEqual(a[key]);
    for (const key of ['area50_deg2', 'area90_deg2', 'distmean_mpc', 'diststd_mpc']) expect(b[key] as number).toBeCloseTo(a[key] as number, 6);
    expect(b.probes).toEqual(a.probes);
  });

  it('fails with exit code 1 and a message naming the file for corrupt, truncated and non-FITS files', async () => {
    const truncated = join(dir, 'truncated.fits');
    writeFileSync(truncated, readFileSync(join(FIXTURES, 'MS260101a.fits')).subarray(0, 200_000));
    const text = join(dir, 'page.fits.gz');
    writeFileSync(text, '<html>502 Bad Gateway</html>');
    const badGzip = join(dir, 'bad.fits.gz');
    writeFileSync(badGzip, readFileSync(join(FIXTURES, 'MS260102b.fits.gz')).subarray(0, 10_000));
    const cases: [string, RegExp][] = [
      [truncated, /truncated: HDU 1 \(BINTABLE\) needs \d+ bytes of data but only \d+ remain/],
      [text, /: not a FITS file \(it starts with/],
      [badGzip, /corrupt or truncated gzip data/],
      [join(dir, 'missing.fits'), /cannot be read \(ENOENT\)/],
    ];
    const results = await Promise.all(cases.map(([file]) => llama(['skymap', file])));
    for (const [k, [file, cause]] of cases.entries()) {
      const result = results[k]!;
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(`llama skymap: ${file}: `);
      expect(result.stderr).toMatch(cause);
    }
  });

  it('rejects a malformed --at with exit code 2', async () => {
    const result = await llama(['skymap', join(FIXTURES, 'MS260101a.fits'), '--at', '10;20']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--at expects RA,DEC in degrees/);
  });
});
