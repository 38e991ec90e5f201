import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fetchText, parseNeutrinoArchive } from './archive.js';

const good = '{"mjd": 58000.1, "ra": 10, "dec": -5, "sigma": 0.5, "energy": 12000, "run": 130000, "event": 42}';

describe('neutrino archive (JSON Lines)', () => {
  it('parses records, skipping blank and # lines, keeping optional fields', () => {
    const text = `# archive\n${good}\n\n{"mjd": 58000.2, "ra": 20, "dec": 5, "sigma": 1, "energy": 500, "zenith": 95, "azimuth": 10, "type": "injected"}\n`;
    const out = parseNeutrinoArchive(text, 'a.jsonl');
    expect(out).toHaveLength(2);
    expect(out[0]).toMatchObject({ mjd: 58000.1, run: '130000', event: '42' });
    expect(out[0]?.zenith).toBeUndefined();
    expect(out[1]).toMatchObject({ zenith: 95, azimuth: 10, type: 'injected' });
  });
  it('names the line of invalid JSON', () => {
    expect(() => parseNeutrinoArchive(`${good}\n${good}\n{"mjd": 5800`, 'x.jsonl')).toThrow(/x\.jsonl: line 3: not valid JSON/);
  });
  it('names the line and the field of a record missing a field', () => {
    expect(() => parseNeutrinoArchive(`${good}\n{"mjd": 1, "ra": 1, "dec": 1, "energy": 1}`, 'x.jsonl')).toThrow(/line 2: "sigma" must be a finite number/);
  });
  it('rejects out-of-range values, half a local direction, unknown types and non-objects', () => {
    expect(() => parseNeutrinoArchive('{"mjd": 1, "ra": 1, "dec": 91, "sigma": 1, "energy": 1}', 'x')).toThrow(/line 1: "dec" 91 is outside/);
    expect(() => parseNeutrinoArchive('{"mjd": 1, "ra": 1, "dec": 1, "sigma": 1, "energy": 1, "zenith": 3}', 'x')).toThrow(/together/);
    expect(() => parseNeutrinoArchive('{"mjd": 1, "ra": 1, "dec": 1, "sigma": 1, "energy": 1, "type": "gold"}', 'x')).toThrow(/"type" must be one of/);
    expect(() => parseNeutrinoArchive('\n\n[1, 2]', 'x')).toThrow(/line 3: expected a JSON object/);
    expect(() => parseNeutrinoArchive('{"mjd": 1, "ra": 1, "dec": 1, "sigma": 0, "energy": 1}', 'x')).toThrow(/"sigma" must be positive/);
  });
  it('reads file:// URLs and reports missing files and bad schemes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'llama-archive-'));
    const path = join(dir, 'n.jsonl');
    await writeFile(path, good);
    expect(await fetchText(pathToFileURL(path).href)).toBe(good);
    await expect(fetchText(pathToFileURL(join(dir, 'missing.jsonl')).href)).rejects.toThrow(/missing\.jsonl: cannot read the file/);
    await expect(fetchText('ftp://example.org/x')).rejects.toThrow(/unsupported URL scheme ftp:/);
  });
});
