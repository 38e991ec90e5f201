import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { archiveMessage, archivePath, readHandled, recordHandled } from './archive.js';

const dirs: string[] = [];
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'llama-archive-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the message archive', () => {
  it('names files by topic, partition and zero-padded offset', () => {
    expect(archivePath('/a', 'igwn.gwalert', 2, '31')).toBe('/a/igwn.gwalert/2/000000000031.json');
    expect(() => archivePath('/a', '../../etc', 0, '1')).toThrow(/not a Kafka topic name/);
    expect(() => archivePath('/a', 'x', 0, '1/../2')).toThrow(/bad offset/);
  });

  it('treats the same bytes as a re-delivery and keeps different bytes at the same offset beside them', async () => {
    const root = temp();
    const first = await archiveMessage(root, 't', 0, '5', Buffer.from('one'));
    expect(first.fresh).toBe(true);
    expect((await archiveMessage(root, 't', 0, '5', Buffer.from('one'))).fresh).toBe(false);
    const other = await archiveMessage(root, 't', 0, '5', Buffer.from('two'));
    expect(other.fresh).toBe(true);
    expect(other.path).not.toBe(first.path);
    expect(readFileSync(first.path, 'utf8')).toBe('one');
    expect(readFileSync(other.path, 'utf8')).toBe('two');
    // No temporary files are left behind.
    expect(readdirSync(join(root, 't', '0')).filter((n) => n.includes('partial'))).toEqual([]);
  });

  it('records that a message was handled', async () => {
    const root = temp();
    const { path } = await archiveMessage(root, 't', 0, '0', Buffer.from('{}'));
    expect(await readHandled(path)).toBeUndefined();
    await recordHandled(path, { status: 'ingested', lines: ['x'], handledAt: '2026-12-07T00:00:00Z', topic: 't', partition: 0, offset: '0' });
    expect(await readHandled(path)).toMatchObject({ status: 'ingested', lines: ['x'] });
  });
});
