import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingest } from '@llama/pipelines';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handleMessage, ICECUBE_LVK_FILENAME, topicKind, type HandleContext } from './handle.js';

const notice = (ref: unknown) => Buffer.from(JSON.stringify({ $schema: 'https://gcn.nasa.gov/schema/v6.1.0/gcn/notices/icecube/lvk_nu_track_search.schema.json', ref_ID: ref, pval_generic: 0.0191 }));

let root: string;
let ctx: HandleContext;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'llama-handle-'));
  ctx = { ingest, options: { runDir: join(root, 'run'), env: { LLAMA_VERSIONING: 'off' } }, archiveDir: join(root, 'archive') };
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const TOPIC = 'gcn.notices.icecube.lvk_nu_track_search';

describe('handleMessage', () => {
  it('knows the topics by name', () => {
    expect(topicKind('gcn.heartbeat')).toBe('heartbeat');
    expect(topicKind(TOPIC)).toBe('icecube-lvk');
    expect(topicKind('igwn.gwalert')).toBe('alert');
    expect(topicKind('gracedb.superevent')).toBe('alert');
  });

  it('keeps an IceCube LVK search in its event, once; a re-delivery changes nothing', async () => {
    mkdirSync(join(ctx.options.runDir, 'S230914ak'), { recursive: true });
    const first = await handleMessage({ topic: TOPIC, partition: 0, offset: '7', value: notice('S230914ak') }, ctx);
    expect(first.status).toBe('ingested');
    expect(first.lines).toEqual([`${TOPIC}[0]@7 (${join(ctx.archiveDir, TOPIC, '0', '000000000007.json')}): wrote ${ICECUBE_LVK_FILENAME} in S230914ak`]);
    const kept = join(ctx.options.runDir, 'S230914ak', ICECUBE_LVK_FILENAME);
    expect(JSON.parse(readFileSync(kept, 'utf8'))).toMatchObject({ pval_generic: 0.0191 });
    const again = await handleMessage({ topic: TOPIC, partition: 0, offset: '7', value: notice('S230914ak') }, ctx);
    expect(again.status).toBe('duplicate');
  });

  it('an IceCube search for an unknown event is archived only; a hostile ref_ID never becomes a path', async () => {
    const unknown = await handleMessage({ topic: TOPIC, partition: 0, offset: '0', value: notice('S230914ak') }, ctx);
    expect(unknown.status).toBe('skipped');
    expect(unknown.lines[0]).toMatch(/which has no event in .*; kept in the archive only$/);
    for (const [offset, ref] of [['1', '../../outside'], ['2', '.hidden'], ['3', 'a b']] as const) {
      const hostile = await handleMessage({ topic: TOPIC, partition: 0, offset, value: notice(ref) }, ctx);
      expect(hostile.status).toBe('failed');
      expect(existsSync(hostile.archived as string)).toBe(true);
    }
    expect(existsSync(join(root, 'outside'))).toBe(false);
    const noRef = await handleMessage({ topic: TOPIC, partition: 0, offset: '4', value: notice(42) }, ctx);
    expect(noRef.lines[0]).toMatch(/has no string "ref_ID"$/);
  });

  it('does not archive heartbeats', async () => {
    expect((await handleMessage({ topic: 'gcn.heartbeat', partition: 0, offset: '0', value: Buffer.from('{}') }, ctx)).status).toBe('heartbeat');
    expect(existsSync(ctx.archiveDir)).toBe(false);
  });
});
