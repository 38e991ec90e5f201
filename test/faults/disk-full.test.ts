import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkRiders, hasStackTrace, llama, makeEvent, outputBytes, outputsOf, runOnceArgs, sandbox, writeSpec, type SpecRule } from './harness.js';

/** Can this process mount a tmpfs (root, or a user namespace that allows it)? */
function tryMount(dir: string, size: string): boolean {
  mkdirSync(dir, { recursive: true });
  return spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' }).status === 0;
}
const probe = mkdtempSync(join(tmpdir(), 'llama-mount-probe-'));
const canMount = tryMount(probe, '64k');
if (canMount) spawnSync('umount', [probe]);

const BIG = 1_500_000;
const rules: SpecRule[] = [
  { name: 'raw', output: 'raw.dat', external: true },
  { name: 'small', output: 'small.txt', inputs: ['raw'], command: 'cksum raw.dat > small.txt; cat raw.dat >> small.txt' },
  { name: 'big', output: 'big.dat', inputs: ['raw'], command: `{ cat raw.dat; head -c ${BIG} /dev/zero | tr '\\000' x; } > big.dat` },
  { name: 'top', output: 'top.txt', inputs: ['big', 'small'], command: 'cat small.txt big.dat | cksum > top.txt' },
];
const outputs = outputsOf(rules);

/** Work directories or temp files left in .tmp.d (lock files aside). */
function leftovers(eventDir: string): string[] {
  const tmp = join(eventDir, '.tmp.d');
  return existsSync(tmp) ? readdirSync(tmp).filter((n) => n !== 'EVENTLOCK') : [];
}

/** Fill the file system until it refuses another byte. */
function fill(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(4096, 0x2e);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  // A last partial block, so that even tiny writes fail.
  const fd2 = openSync(`${path}.tail`, 'w');
  try {
    for (;;) writeSync(fd2, Buffer.alloc(1, 0x2e));
  } catch {
    // full
  } finally {
    closeSync(fd2);
  }
}

describe('disk full (a small tmpfs)', () => {
  const mounted: string[] = [];
  afterAll(() => {
    for (const dir of mounted) spawnSync('umount', [dir]);
  });

  (canMount ? it : it.skip)('generation fails cleanly, nothing half-written stays, and the event recovers once space is back (skipped when mounting a tmpfs is not permitted)', async () => {
    const box = sandbox('llama-diskfull-');
    const disk = join(box.root, 'disk');
    expect(tryMount(disk, '1m')).toBe(true);
    mounted.push(disk);
    const run = join(disk, 'run');
    mkdirSync(run);
    const onDisk = { ...box, run };
    const spec = writeSpec(box.root, rules);
    const event = makeEvent(run, 'E1', { 'raw.dat': 'first version\n' });

    // 1. A rule's output does not fit: it fails with the shell's message; nothing of it stays.
    // One job at a time, so that `big` filling the disk cannot starve `small` mid-write.
    const full = await llama(onDisk, runOnceArgs(`${run}/`, spec, ['-j', '1']));
    expect({ trace: hasStackTrace(full.stderr), stderr: full.stderr }).toMatchObject({ trace: false });
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(/E1 big\| FAILED: [^]*No space left on device/);
    expect(existsSync(join(event, 'big.dat'))).toBe(false);
    expect(existsSync(join(event, '.big.dat.metadata.json'))).toBe(false);
    expect(existsSync(join(event, 'small.txt'))).toBe(true);
    expect(leftovers(event)).toEqual([]);
    expect(checkRiders(event)).toEqual({ lying: [], torn: [] });

    // 2. Space is back: the next pass completes the event.
    expect(spawnSync('mount', ['-o', 'remount,size=8m', disk]).status).toBe(0);
    const recovered = await llama(onDisk, runOnceArgs(`${run}/`, spec));
    expect({ code: recovered.code, stderr: recovered.stderr }).toEqual({ code: 0, stderr: '' });
    expect(statSync(join(event, 'big.dat')).size).toBe(BIG + 'first version\n'.length);
    expect(checkRiders(event)).toEqual({ lying: [], torn: [] });
    expect(outputBytes(event, outputs).size).toBe(outputs.length);

    // 3. The engine's own writes fail (input snapshots, intents, riders): still no crash, no
    //    torn file, no rider that lies.
    writeFileSync(join(event, 'raw.dat'), 'second version\n');
    const filler = join(disk, 'filler');
    fill(filler);
    const starved = await llama(onDisk, runOnceArgs(`${run}/`, spec));
    expect({ trace: hasStackTrace(starved.stderr), stderr: starved.stderr }).toMatchObject({ trace: false });
    expect(starved.code).toBe(1);
    expect(starved.stderr).toMatch(/ENOSPC|No space left/);
    expect(checkRiders(event)).toEqual({ lying: [], torn: [] });

    // 4. Space is back again: the event ends exactly as an uninterrupted run leaves it.
    rmSync(filler);
    rmSync(`${filler}.tail`);
    const again = await llama(onDisk, runOnceArgs(`${run}/`, spec));
    expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 0, stderr: '' });
    const reference = sandbox('llama-diskfull-ref-');
    const refEvent = makeEvent(reference.run, 'E1', { 'raw.dat': 'second version\n' });
    await llama(reference, runOnceArgs(`${reference.run}/`, writeSpec(reference.root, rules)));
    expect(outputBytes(event, outputs)).toEqual(outputBytes(refEvent, outputs));
    expect(checkRiders(event)).toEqual({ lying: [], torn: [] });
    expect(leftovers(event)).toEqual([]);
  });
});
