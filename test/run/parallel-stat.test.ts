// The worker thread that shares a clean pass's stats, as built (the unit test cannot start it:
// under vitest its script is TypeScript), and a real `llama run` that uses it.
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { initHashing, ParallelStat } from '@llama/core';
import { llama, tempHome } from '../helpers/llama.js';

await initHashing();

const RULES = JSON.stringify({
  name: 'pstat',
  rules: [
    { name: 'raw', output: 'raw.dat', external: true },
    { name: 'copy', output: 'copy.dat', inputs: ['raw.dat'], command: 'cat raw.dat > copy.dat' },
    { name: 'count', output: 'count.txt', inputs: ['copy.dat'], command: 'wc -c < copy.dat > count.txt' },
  ],
});

function events(runDir: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const dir = join(runDir, `E${String(i).padStart(4, '0')}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'raw.dat'), `event ${i}\n`);
    for (let f = 0; f < 20; f++) writeFileSync(join(dir, `f${f}.dat`), `${f}`);
    return dir;
  });
}

describe('ParallelStat (built worker)', () => {
  it('shares a batch with its worker thread and agrees with a lone thread', async () => {
    const { runDir } = tempHome('llama-pstat-');
    const dirs = events(runDir, 300);
    const files = [...Array.from({ length: 20 }, (_, f) => `f${f}.dat`), 'raw.dat', 'absent.dat'];
    const batch = dirs.map((dir) => ({ dir, present: `${'1'.repeat(21)}0` }));
    const shared = ParallelStat.start();
    await sleep(500); // let the worker start
    let together = shared.digests(batch, files);
    // Stats are fast: on a busy machine the main thread may finish alone; try a few times.
    for (let i = 0; i < 5 && shared.workerShare === 0; i++) together = shared.digests(batch, files);
    expect(shared.workerShare).toBeGreaterThan(0);
    shared.close();
    const alone = ParallelStat.start();
    alone.close();
    expect(alone.digests(batch, files)).toEqual(together);
    expect(together.every((d) => d !== undefined && /^[0-9a-f]{16}$/.test(d))).toBe(true);
    expect(new Set(together).size).toBe(300);
  });

  it('a no-op llama run over many clean events regenerates nothing, and an in-place edit is noticed', async () => {
    const { root, env, runDir } = tempHome('llama-pstat-run-');
    writeFileSync(join(root, 'rules.json'), RULES);
    const dirs = events(runDir, 120);
    const args = ['run', `${runDir}/`, '-F', '-o', '-n', '1000', '-l', '/dev/null', '-v', 'warning', '--rules', join(root, 'rules.json')];
    const options = { env: { ...env, LLAMA_VERSIONING: 'off' } };
    expect((await llama(args, options)).code).toBe(0);
    await sleep(100); // past the racy window: the next pass records the events clean
    expect((await llama(args, options)).code).toBe(0);
    const count = join(dirs[77] as string, 'count.txt');
    const before = statSync(count).mtimeMs;
    expect((await llama(args, options)).code).toBe(0);
    expect(statSync(count).mtimeMs).toBe(before);

    writeFileSync(join(dirs[77] as string, 'raw.dat'), 'event 77, longer\n');
    expect((await llama(args, options)).code).toBe(0);
    expect(readFileSync(count, 'utf8').trim()).toBe('17');
    expect(statSync(join(dirs[76] as string, 'count.txt')).mtimeMs).toBeLessThan(statSync(count).mtimeMs);
  });
});
