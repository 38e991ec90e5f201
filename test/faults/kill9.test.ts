import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  checkRiders,
  llama,
  makeEvent,
  outputBytes,
  outputsOf,
  riderInputs,
  runOnceArgs,
  sandbox,
  startLlama,
  stepwiseRules,
  writeSpec,
  type Sandbox,
} from './harness.js';

/**
 * `kill -9` of `llama run` at random points during generation. After every kill: no output
 * differs from what an uninterrupted run writes (no torn file), and no rider claims bytes that
 * are not on disk. After all kills, one more pass must leave every event exactly as an
 * uninterrupted run does. LLAMA_FAULT_KILLS overrides the number of kills (default 50).
 */
const KILLS = Number(process.env['LLAMA_FAULT_KILLS'] ?? 50);
const EVENTS = ['e01', 'e02', 'e03', 'e04', 'e05', 'e06'];
const rules = stepwiseRules();
const outputs = outputsOf(rules);

/** A deterministic pseudo-random sequence, so a failure can be replayed (seed printed). */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function populate(box: Sandbox): void {
  for (const id of EVENTS) makeEvent(box.run, id, { 'raw.dat': `# ${id}\n${id.repeat(40)}\n${'payload line\n'.repeat(30)}` });
}

/** Has any llama generation started (an intent or a work directory exists)? */
function generating(box: Sandbox): boolean {
  for (const id of EVENTS) {
    const dir = join(box.run, id);
    for (const name of readdirSync(dir)) if (name.endsWith('.intent.json')) return true;
    const tmp = join(dir, '.tmp.d');
    if (existsSync(tmp) && readdirSync(tmp).some((n) => !n.endsWith('.tmp') && n !== 'EVENTLOCK')) return true;
  }
  return false;
}

describe('kill -9 during generation', () => {
  it(`${KILLS} kills: no torn output, no lying rider, and the next pass completes every event as an uninterrupted run`, async () => {
    const reference = sandbox('llama-kill-ref-');
    populate(reference);
    const refSpec = writeSpec(reference.root, rules);
    const refRun = await llama(reference, runOnceArgs(`${reference.run}/`, refSpec, ['-j', '2']));
    expect(refRun.stderr).toBe('');
    expect(refRun.code).toBe(0);
    const expected = new Map(EVENTS.map((id) => [id, outputBytes(join(reference.run, id), outputs)]));
    for (const files of expected.values()) expect(files.size).toBe(outputs.length);

    const box = sandbox('llama-kill-');
    populate(box);
    const spec = writeSpec(box.root, rules);
    const seed = Number(process.env['LLAMA_FAULT_SEED'] ?? Date.now() % 100_000);
    const rand = random(seed);
    let landed = 0;
    for (let k = 0; k < KILLS; k++) {
      // Keep work to do: drop the outputs (and riders) of two random events.
      for (let j = 0; j < 2; j++) {
        const id = EVENTS[Math.floor(rand() * EVENTS.length)] as string;
        for (const name of outputs) {
          rmSync(join(box.run, id, name), { force: true });
          rmSync(join(box.run, id, `.${name}.metadata.json`), { force: true });
        }
      }
      const { child, done } = startLlama(box, runOnceArgs(`${box.run}/`, spec, ['-j', '2']));
      let exited = false;
      void done.then(() => (exited = true));
      while (!exited && !generating(box)) await sleep(3);
      if (!exited) {
        await sleep(rand() * 150);
        landed++;
        child.kill('SIGKILL');
      }
      const result = await done;
      if (result.signal === null) expect({ seed, k, code: result.code, stderr: result.stderr }).toMatchObject({ code: 0 });
      for (const id of EVENTS) {
        const dir = join(box.run, id);
        const riders = checkRiders(dir);
        expect({ seed, k, ...riders }).toEqual({ seed, k, lying: [], torn: [] });
        // Any output present is byte-identical to the uninterrupted run's: nothing torn.
        const present = outputBytes(dir, outputs);
        for (const [name, hash] of present) expect({ seed, k, id, name, hash }).toEqual({ seed, k, id, name, hash: expected.get(id)?.get(name) });
      }
    }
    expect(landed).toBeGreaterThan(KILLS / 2);

    const final = await llama(box, runOnceArgs(`${box.run}/`, spec, ['-j', '2']));
    // The only thing worth saying is the clean-up of what the killed processes left behind.
    const unexpected = final.stderr.split('\n').filter((l) => l !== '' && !/WARNING.*removed .* from \.tmp\.d \(left by a process that died\)/.test(l));
    expect({ seed, code: final.code, unexpected }).toEqual({ seed, code: 0, unexpected: [] });
    for (const id of EVENTS) {
      const dir = join(box.run, id);
      expect(outputBytes(dir, outputs)).toEqual(expected.get(id));
      expect(checkRiders(dir)).toEqual({ lying: [], torn: [] });
      for (const name of outputs) expect(riderInputs(dir, name)).toEqual(riderInputs(join(reference.run, id), name));
    }
    for (const id of EVENTS) {
      const tmp = join(box.run, id, '.tmp.d');
      const left = existsSync(tmp) ? readdirSync(tmp).filter((n) => n !== 'EVENTLOCK') : [];
      expect({ id, left }).toEqual({ id, left: [] });
    }
    // One more pass has nothing left to do.
    const again = await llama(box, runOnceArgs(`${box.run}/`, spec, ['--json']));
    const doc = JSON.parse(again.stdout) as unknown;
    expect(JSON.stringify(doc)).not.toMatch(/"action":\s*"run"/);
  });
});
