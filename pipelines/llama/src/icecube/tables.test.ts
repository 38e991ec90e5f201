import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gpsToMjd } from '../time/gps.js';
import { formatNeutrinoTex, formatNeutrinoTxt, readPerNeutrinoPValues } from './tables.js';
import { PARTIAL_RESULT_MARKER, type NeutrinoList } from './types.js';

const GW = 1249852257;
const nu = (dt: number, ra: number, dec: number, energy: number, sigma: number) => ({
  mjd: gpsToMjd(GW + dt), ra, dec, energy, sigma, zenith: dec + 90, azimuth: 0, type: 'observation' as const,
});
const list: NeutrinoList = { triggers: [nu(-37, 216.29, -15.35, 12345, 0.43), nu(144.76, 186.17, 29.37, 800, 1.082)], complete: true };

describe('neutrino tables (3.5.1 formats)', () => {
  it('writes the fixed-width txt table', () => {
    const lines = formatNeutrinoTxt(list, GW).trimEnd().split('\n');
    expect(lines[0]).toBe(`#   ${['dt[s]', 'RA[deg]', 'Dec[deg]', 'E[TeV]', 'Sigma[deg]'].map((c) => c.padStart(12)).join('')}`);
    expect(lines[1]).toBe('-'.repeat(64));
    expect(lines[2]).toBe(`1   ${['-37.00', '216.29', '-15.35', '12.35', '0.43'].map((c) => c.padStart(12)).join('')}`);
    expect(lines[3]?.startsWith('2   ')).toBe(true);
    expect(lines).toHaveLength(4);
  });
  it('adds the P Value column with 8 decimals and n/a for missing values', () => {
    const lines = formatNeutrinoTxt(list, GW, [0.0700123456, null]).trimEnd().split('\n');
    expect(lines[0]?.endsWith('P Value'.padStart(12))).toBe(true);
    expect(lines[2]?.endsWith('0.07001235')).toBe(true);
    expect(lines[3]?.endsWith('n/a')).toBe(true);
  });
  it('names the neutrino model behind the p-values', () => {
    expect(formatNeutrinoTxt(list, GW, [0.1, 0.2], 'llama-default-gfu-v1').split('\n')[0]).toBe('# p-values: neutrino model llama-default-gfu-v1');
    expect(formatNeutrinoTex(list, GW, 'S1', [0.1, 0.2], 'my_model')).toContain('Neutrino model: my\\_model.');
  });
  it('marks partial results', () => {
    expect(formatNeutrinoTxt({ ...list, complete: false }, GW).split('\n')[0]).toBe(`# ${PARTIAL_RESULT_MARKER}`);
    expect(formatNeutrinoTex({ ...list, complete: false }, GW, 'S1', [0.1, 0.2])).toContain(PARTIAL_RESULT_MARKER);
  });
  it('writes the LaTeX table with escaped GraceID', () => {
    const tex = formatNeutrinoTex(list, GW, 'S190808_ae', [0.07, null]);
    expect(tex).toContain('\\begin{table*}');
    // GeV and the summary PDF's p-value format (report-format.ts), not TeV and 4 decimals.
    expect(tex).toContain('E [GeV]');
    expect(tex).toContain('1 & -37.00 & 216.29 & -15.35 & 1.23e+4 & 0.43 & 0.07 \\\\');
    expect(tex).toContain('2 & 144.76 & 186.17 & 29.37 & 800 & 1.08 & n/a \\\\');
    const small = formatNeutrinoTex(list, GW, 'S1', [1.57e-5, 0]);
    expect(small).toContain('& 1.57e-5 \\\\');
    expect(small).toContain('& \\textless{} 1/trials (beyond every background trial) \\\\');
    expect(tex).toContain('S190808\\_ae');
    expect(formatNeutrinoTex({ triggers: [], complete: true }, GW, 'S1', [])).toContain('No IceCube neutrinos');
  });
  it('matches p-values to the list and refuses a stale significance file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'llama-tables-'));
    const path = join(dir, 'significance_lvc-i3.json');
    await writeFile(path, JSON.stringify({ outputs: { neutrino_gw_triggers: [{ p_value: 0.5 }, { p_value: null }] } }));
    expect(await readPerNeutrinoPValues(path, list)).toEqual([0.5, null]);
    await writeFile(path, JSON.stringify({ outputs: { neutrino_gw_triggers: [{ p_value: 0.5 }] } }));
    await expect(readPerNeutrinoPValues(path, list)).rejects.toThrow(/has 1 neutrinos but the neutrino list has 2/);
    await writeFile(path, '{"outputs": {}}');
    await expect(readPerNeutrinoPValues(path, list)).rejects.toThrow(/missing outputs\.neutrino_gw_triggers/);
  });
});
