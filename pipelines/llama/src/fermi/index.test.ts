import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { GenerateContext } from '@llama/core';
import { describe, expect, it } from 'vitest';
import { gpsToIso, gpsToMjd } from '../time/gps.js';
import { generateFermiGrbs, grbsInWindow, parseFermiCatalog } from './index.js';
import { generateZtfTriggerList, validateZtfTriggerList } from './ztf.js';

const GW = 1187008882.4;

async function ctxFor(env: Record<string, string>): Promise<{ ctx: GenerateContext; out: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'llama-fermi-'));
  const info = join(dir, 'skymap_info.json');
  await writeFile(info, JSON.stringify({
    event_time_iso: gpsToIso(GW).replace('Z', ''), graceid: 'S170817a', far: 1e-9, notice_time_iso: '2017-08-17T13:00:00',
    pipeline: 'GSTLAL', skymap_filename: 'bayestar.fits.gz,0', alert_type: 'manual',
  }));
  const out = join(dir, 'fermi_grbs.json');
  const ctx = {
    rule: 'FermiGRBsJSON', event: { eventId: 'S170817a', runDir: dir, eventDir: dir }, flags: {}, inputs: { SkymapInfo: info },
    outputPath: out, workDir: dir, signal: new AbortController().signal,
    log: { debug() {}, info() {}, warn() {}, error() {} }, env, now: () => new Date(), setProvisional() {},
  } satisfies GenerateContext;
  return { ctx, out };
}

describe('FermiGRBsJSON', () => {
  it('reads CSV with a header (GPS, MJD or ISO times) and keeps GRBs within ±500 s', () => {
    const csv = `name,time,ra,dec,error_radius\nGRB170817A,${gpsToIso(GW + 1.7)},176.8,-39.8,11.6\nfar,${gpsToMjd(GW + 900)},1,2,3\n`;
    const grbs = grbsInWindow(parseFermiCatalog(csv, 'c.csv'), GW);
    expect(grbs).toHaveLength(1);
    expect(grbs[0]).toMatchObject({ ra: 176.8, dec: -39.8, sigma: 11.6, name: 'GRB170817A' });
    expect(grbs[0]!.time - GW).toBeCloseTo(1.7, 2);
  });
  it('reads JSON lists', () => {
    const grbs = parseFermiCatalog(JSON.stringify([{ gps: GW - 400, ra: 1, dec: 2, sigma: 3 }]), 'c.json');
    expect(grbsInWindow(grbs, GW)[0]?.time).toBe(GW - 400);
  });
  it('names the file and line of bad rows, and a missing header', () => {
    expect(() => parseFermiCatalog('time,ra,dec,sigma\n1187008882,1,95,3\n', 'c.csv')).toThrow(/c\.csv: line 2: needs a numeric "dec" in \[-90, 90\]/);
    expect(() => parseFermiCatalog('1187008882,1,2,3\n', 'c.csv')).toThrow(/line 1: the CSV needs a header row/);
    expect(() => parseFermiCatalog('[{"ra": 1}]', 'c.json')).toThrow(/entry 0: needs a time/);
  });
  it('fails clearly when LLAMA_FERMI_GRB_CATALOG is unset, and writes the list when set', async () => {
    const unset = await ctxFor({});
    await expect(generateFermiGrbs(unset.ctx)).rejects.toThrow(/LLAMA_FERMI_GRB_CATALOG is not set/);
    const catalog = join(unset.ctx.workDir, 'grbs.csv');
    await writeFile(catalog, `time,ra,dec,sigma\n${GW + 2},176.8,-39.8,11.6\n`);
    for (const location of [catalog, pathToFileURL(catalog).href]) {
      const { ctx, out } = await ctxFor({ LLAMA_FERMI_GRB_CATALOG: location });
      await generateFermiGrbs(ctx);
      expect(JSON.parse(await readFile(out, 'utf8'))).toEqual([{ time: GW + 2, ra: 176.8, dec: -39.8, sigma: 11.6 }]);
    }
    const missing = await ctxFor({ LLAMA_FERMI_GRB_CATALOG: '/nonexistent/grbs.csv' });
    await expect(generateFermiGrbs(missing.ctx)).rejects.toThrow(/nonexistent\/grbs\.csv \(from LLAMA_FERMI_GRB_CATALOG\): cannot read/);
  });
});

describe('ZtfTriggerList', () => {
  it('validates hand-written lists', () => {
    expect(validateZtfTriggerList('[{"gps": 1, "ra": 2, "dec": 3, "name": "ZTF19abc"}]')).toHaveLength(1);
    expect(() => validateZtfTriggerList('{"gps": 1}', 'z.json')).toThrow(/z\.json: must be a JSON list/);
    expect(() => validateZtfTriggerList('[{"gps": 1, "ra": 2}]', 'z.json')).toThrow(/z\.json: entry 0: "dec" must be a number/);
    expect(() => validateZtfTriggerList('[', 'z.json')).toThrow(/z\.json: not valid JSON/);
  });
  it('refuses automatic generation with a clear message', async () => {
    const { ctx } = await ctxFor({});
    await expect(generateZtfTriggerList({ ...ctx, rule: 'ZtfTriggerList' })).rejects.toThrow(/never generated automatically; write it by hand/);
  });
});
