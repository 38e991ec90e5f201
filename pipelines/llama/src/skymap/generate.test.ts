import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { GenerationError, type GenerateContext } from '@llama/core';
import { describe, expect, it } from 'vitest';
import { writeBinTableFits } from '../fits/write.js';
import { LvcDistancesJson, LvcSkymapHdf5 } from '../rules/gw.js';
import { parseDistancesJson } from './distances.js';
import { readSkymapHdf5 } from './hdf5.js';

const fixture = (name: string): string => new URL(`../../test-fixtures/${name}`, import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'llama-skymap-rules-'));

function context(rule: string, input: string, output: string): GenerateContext {
  const noop = (): void => {};
  return {
    rule,
    event: { eventId: 'MS260101a', runDir: dir, eventDir: dir },
    flags: {},
    inputs: { LvcSkymapFits: input },
    outputPath: output,
    workDir: dir,
    signal: new AbortController().signal,
    log: { debug: noop, info: noop, warn: noop, error: noop },
    env: {},
    now: () => new Date('2026-01-01T00:00:00Z'),
    setProvisional: noop,
  };
}

/** The skymap as LvcSkymapFits stores it: gzipped. */
function gzippedFixture(name: string): string {
  const path = join(dir, `${name}.fits.gz`);
  writeFileSync(path, gzipSync(readFileSync(fixture(name))));
  return path;
}

describe('LvcSkymapHdf5 and LvcDistancesJson rules', () => {
  it('LvcSkymapHdf5 writes the HDF5 skymap from the gzipped FITS', async () => {
    const output = join(dir, 'lvc_skymap.hdf5');
    await LvcSkymapHdf5.generate(context('LvcSkymapHdf5', gzippedFixture('MS260103c.multiorder.fits'), output));
    const skymap = await readSkymapHdf5(output);
    expect(skymap.meta.ordering).toBe('NUNIQ');
    expect(skymap.meta.objectId).toBe('MS260103c');
  });

  it('LvcDistancesJson writes the header\'s DISTMEAN and DISTSTD, null when absent', async () => {
    const output = join(dir, 'lvc_skymap_distances.json');
    await LvcDistancesJson.generate(context('LvcDistancesJson', gzippedFixture('MS260101a.fits'), output));
    const written = JSON.parse(readFileSync(output, 'utf8')) as { distmean: number; diststd: number }[];
    const header = readFileSync(fixture('MS260101a.fits'), 'latin1');
    const distmean = Number(/DISTMEAN=\s*([-+.\dEe]+)/.exec(header)![1]);
    expect(written).toHaveLength(1);
    expect(written[0]!.distmean).toBe(distmean);
    expect(written[0]!.diststd).toBeGreaterThan(0);

    const bare = join(dir, 'bare.fits.gz');
    writeFileSync(bare, gzipSync(writeBinTableFits([{ name: 'PROB', type: 'D', data: new Float64Array(12).fill(1 / 12) }], { PIXTYPE: 'HEALPIX', ORDERING: 'NESTED', NSIDE: 1 })));
    const bareOutput = join(dir, 'bare.json');
    await LvcDistancesJson.generate(context('LvcDistancesJson', bare, bareOutput));
    expect(readFileSync(bareOutput, 'utf8').trim()).toBe('[{"distmean":null,"diststd":null}]');
    expect(parseDistancesJson(readFileSync(bareOutput, 'utf8'))).toEqual({ distmean: NaN, diststd: NaN });
  });

  it('the distances reader tolerates 3.5.1\'s bare NaN and rejects malformed files', () => {
    expect(parseDistancesJson('[{"distmean": NaN, "diststd": NaN}]')).toEqual({ distmean: NaN, diststd: NaN });
    expect(parseDistancesJson('[{"distmean": 412.5, "diststd": 97.25}]')).toEqual({ distmean: 412.5, diststd: 97.25 });
    expect(() => parseDistancesJson('{"distmean": 1}', 'd.json')).toThrow(/d\.json: expected \[\{"distmean"/);
    expect(() => parseDistancesJson('[{"distmean": "far", "diststd": 1}]', 'd.json')).toThrow(/d\.json: distmean is neither/);
    expect(() => parseDistancesJson('[{', 'd.json')).toThrow(/d\.json: not JSON/);
  });

  it.each([
    ['truncated', (bytes: Buffer) => gzipSync(bytes.subarray(0, 50_000)), /truncated: HDU 1 \(BINTABLE\) needs/],
    ['corrupt gzip', (bytes: Buffer) => gzipSync(bytes).subarray(0, 3000), /corrupt or truncated gzip data/],
    ['an HTML page', () => Buffer.from('<html><body>502 Bad Gateway</body></html>'), /: not a FITS file \(it starts with/],
  ])('both rules fail with a GenerationError naming the file for %s input, writing nothing', async (_label, corrupt, cause) => {
    const input = join(dir, `corrupt-${_label.replace(/\s/g, '-')}.fits.gz`);
    writeFileSync(input, corrupt(readFileSync(fixture('MS260101a.fits'))));
    for (const [rule, output] of [[LvcSkymapHdf5, join(dir, 'corrupt.hdf5')], [LvcDistancesJson, join(dir, 'corrupt.json')]] as const) {
      const attempt = rule.generate(context(rule.name, input, output));
      await expect(attempt).rejects.toBeInstanceOf(GenerationError);
      await expect(attempt).rejects.toThrow(new RegExp(`${input.replace(/[.]/g, '\\.')}: .*`));
      await expect(attempt).rejects.toThrow(cause);
      expect(existsSync(output)).toBe(false);
    }
  });
});
