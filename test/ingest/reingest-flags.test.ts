/**
 * Black box (issue 13): ingesting a notice again for an existing event (a duplicate delivery, an
 * update) keeps the operator's flags; only what a notice decides (a retraction's VETOED) changes,
 * and an event whose operator set UPLOAD=false uploads nothing.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../fakes/slack.js';
import { fixture, llama, lvkAlert, readJson, SKYMAP_FIXTURES, tempDir } from './helpers.js';

const SKYMAP = await readFile(join(SKYMAP_FIXTURES, 'MS260103c.multiorder.fits'));
const TOKEN = 'xoxb-1313-reingest-secret';

let tmp: { path: string; remove: () => Promise<void> };
let slack: FakeSlack;
beforeAll(async () => {
  // No "test", "scratch", "manual" or "injection" in the path: those words veto uploads by themselves.
  tmp = await tempDir('llama-reingest-');
  slack = await startFakeSlack({ tokens: [TOKEN] });
});
afterAll(async () => {
  await slack.close();
  await tmp.remove();
});

async function file(name: string, text: string): Promise<string> {
  const path = join(tmp.path, name);
  await writeFile(path, text);
  return path;
}

describe('re-ingest keeps operator flags', () => {
  it('alerts: UPLOAD=false survives a duplicate and an update; no upload is tried, while an untouched event uploads', async () => {
    const run = join(tmp.path, 'alerts');
    const prelim = await file('prelim.json', lvkAlert({ supereventId: 'S260103c', alertType: 'PRELIMINARY', skymap: SKYMAP }));
    const other = await file('other.json', lvkAlert({ supereventId: 'S260104d', alertType: 'PRELIMINARY', skymap: SKYMAP }));
    expect((await llama(['ingest', 'alert', '--run', run, prelim, other])).code).toBe(0);
    const event = join(run, 'S260103c');
    expect(await readJson(join(event, 'FLAGS.json'))).toMatchObject({ ROLE: 'observation', UPLOAD: 'true' });

    expect((await llama(['flags', event, '--flags', 'UPLOAD=false'])).code).toBe(0);
    const again = await llama(['ingest', 'alert', '--run', run, prelim]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('updated S260103c');
    const changed = Buffer.from(SKYMAP);
    changed[changed.length - 1] = 7; // padding byte of the last block: still a valid FITS file
    const update = await llama(['ingest', 'alert', '--run', run, await file('update.json', lvkAlert({ supereventId: 'S260103c', alertType: 'UPDATE', skymap: changed, far: 2e-10 }))]);
    expect(update.code, update.stderr).toBe(0);
    expect(await readJson(join(event, 'FLAGS.json'))).toMatchObject({ ROLE: 'observation', UPLOAD: 'false', VETOED: 'false' });
    // The update did land (nothing lost): a new skymap version.
    expect(await readJson(join(event, 'skymap_info.json'))).toMatchObject({ skymap_filename: 'bayestar.multiorder.fits,1' });

    const env = { SLACK_API_URL: slack.apiUrl, SLACK_API_TOKEN_LLAMA: TOKEN, SLACK_RETRY_BASE_MS: '5', LLAMA_DEV_MODE: '1', LLAMA_OUTPUT_DIR: join(tmp.path, 'out'), LLAMA_CACHEDIR: join(tmp.path, 'cache'), HOME: tmp.path };
    const result = await llama(['run', `${run}/`, '-o', '-F', '-f', 'RctSlkLmaSkymapInfo', '-v', 'info'], env);
    expect(result.code, result.stderr).toBe(0);
    const plan = await llama(['run', event, '-o', '--dry-run', '-f', 'RctSlkLmaSkymapInfo'], env);
    expect(plan.stdout).toContain('flag UPLOAD=false');
    expect(existsSync(join(event, 'rct_slk_lma_skymap_info.json.json'))).toBe(false);
    // The control event (flags untouched) did upload: the fake Slack works, and it saw only that one.
    expect(existsSync(join(run, 'S260104d', 'rct_slk_lma_skymap_info.json.json'))).toBe(true);
    const uploads = slack.completedUploads().map((u) => u.filename);
    expect(uploads).toHaveLength(1);
    expect(uploads[0]).toContain('S260104d');
  });

  it('GCN: a duplicate notice keeps UPLOAD=false and hand edits; a retraction still vetoes', async () => {
    const run = join(tmp.path, 'gcn');
    const notice = fixture('S260105x-1-Preliminary.xml');
    expect((await llama(['ingest', 'gcn', '--run', run, notice])).code).toBe(0);
    const event = join(run, 'S260105x-1-Preliminary');
    expect(await readJson(join(event, 'FLAGS.json'))).toMatchObject({ UPLOAD: 'true' });
    expect((await llama(['flags', event, '--flags', 'UPLOAD=false', 'ICECUBE_UPLOAD=false'])).code).toBe(0);
    const again = await llama(['ingest', 'gcn', '--run', run, notice]);
    expect(again.code, again.stderr).toBe(0);
    expect(await readJson(join(event, 'FLAGS.json'))).toMatchObject({ UPLOAD: 'false', ICECUBE_UPLOAD: 'false', VETOED: 'false' });
    const retraction = await llama(['ingest', 'gcn', '--run', run, fixture('S260105x-3-Retraction.xml')]);
    expect(retraction.code, retraction.stderr).toBe(0);
    expect(await readJson(join(event, 'FLAGS.json'))).toMatchObject({ UPLOAD: 'false', ICECUBE_UPLOAD: 'false', VETOED: 'true' });
    // Explicit --flags on an ingest still apply to an existing event.
    const explicit = await llama(['ingest', 'gcn', '--run', run, notice, '--flags', 'ONLINE=false']);
    expect(explicit.code, explicit.stderr).toBe(0);
    expect(await readJson(join(event, 'FLAGS.json'))).toMatchObject({ UPLOAD: 'false', ONLINE: 'false', VETOED: 'true' });
  });
});
