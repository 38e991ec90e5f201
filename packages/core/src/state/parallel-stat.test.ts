import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { HashCache, initHashing } from '../hash/hash.js';
import { definePipeline } from '../rule/pipeline.js';
import { catRule, externalRule, makeEvent, tempRun } from '../testing/harness.js';
import { ParallelStat } from './parallel-stat.js';
import { loadEventSnapshot, snapshotLayout } from './snapshot.js';

await initHashing();

function pipeline() {
  const src = externalRule('Src', 'raw.dat');
  const other = externalRule('Other', 'other.dat');
  return definePipeline('T', [src, other, catRule('Prep', [src])]);
}

// Under vitest the worker script is TypeScript and cannot start: this checks the digests and the
// single-thread fallback; test/run/parallel-stat.test.ts runs the built worker.
describe('ParallelStat', () => {
  it('gives each event the digest its snapshot fingerprint has, and notices edits and removals', async () => {
    const p = pipeline();
    const layout = snapshotLayout(p);
    const run = tempRun('llama-pstat-');
    const events = Array.from({ length: 70 }, (_, i) => makeEvent(run, `E${String(i).padStart(3, '0')}`, { 'raw.dat': `raw ${i}\n`, ...(i % 2 === 0 ? { 'other.dat': 'x' } : {}) }));
    await sleep(70); // past the racy window, so that fingerprints are taken
    const cache = new HashCache();
    const fingerprints = events.map((e) => loadEventSnapshot(e, p, cache, { fingerprint: true }).fingerprint);
    expect(fingerprints.every((f) => f !== undefined)).toBe(true);
    const stats = ParallelStat.start();
    const files = events.map((e, i) => ({ dir: e.eventDir, present: (fingerprints[i] as { present: string }).present }));
    expect(stats.digests(files, layout.files)).toEqual(fingerprints.map((f) => f?.digest));

    writeFileSync(join((events[3] as { eventDir: string }).eventDir, 'raw.dat'), 'RAW 3\n');
    rmSync(join((events[4] as { eventDir: string }).eventDir, 'other.dat'));
    const after = stats.digests(files, layout.files);
    expect(after[3]).not.toEqual(fingerprints[3]?.digest);
    expect(after[3]).toMatch(/^[0-9a-f]{16}$/);
    expect(after[4]).toBeUndefined();
    expect(after.filter((d, i) => d === fingerprints[i]?.digest)).toHaveLength(68);
    stats.close();
    // A closed helper works alone.
    expect(stats.digests(files.slice(0, 3), layout.files)).toEqual(after.slice(0, 3));
  });
});
