import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HashCache } from '../hash/hash.js';
import { definePipeline } from '../rule/pipeline.js';
import { catRule, externalRule, pass } from '../testing/harness.js';

/** The entries of an event's `.tmp.d/`; none when the pass removed it (it does when it is left empty). */
const tmpEntries = (eventDir: string): string[] => (existsSync(join(eventDir, '.tmp.d')) ? readdirSync(join(eventDir, '.tmp.d')) : []);

// A child process (the built engine) runs a pass whose second rule hangs; we kill -9 it mid-generation.
const CHILD = `
import { writeFileSync, readFileSync } from 'node:fs';
import { defineRule, definePipeline, runPass, HashCache, Scheduler, eventRef } from '${join(fileURLToPath(import.meta.url), '..', '..', '..', 'dist', 'index.js')}';

const src = defineRule({ name: 'Src', filename: 'src.txt', externallyTriggered: true });
const a = defineRule({ name: 'A', filename: 'a.txt', inputs: [src], generate: async (ctx) => { writeFileSync(ctx.outputPath, readFileSync(ctx.inputs.Src, 'utf8') + 'A\\n'); } });
const b = defineRule({ name: 'B', filename: 'b.txt', inputs: [a], generate: async (ctx) => { writeFileSync(ctx.outputPath, 'partial'); await new Promise(() => {}); } });
await runPass({ pipeline: definePipeline('C', [src, a, b]), events: [eventRef(process.argv[2], 'S1')], cache: new HashCache(), scheduler: new Scheduler(2), emit: () => {}, versioning: false });
`;

describe('crash safety', () => {
  it('a process killed mid-generation leaves old or new state, and the next pass repairs it', async () => {
    const run = mkdtempSync(join(tmpdir(), 'llama-crash-'));
    const eventDir = join(run, 'S1');
    mkdirSync(eventDir);
    writeFileSync(join(eventDir, 'src.txt'), 'input\n');
    const script = join(run, 'child.mjs');
    writeFileSync(script, CHILD);
    const child = spawn(process.execPath, [script, run], { stdio: 'ignore' });
    const deadline = Date.now() + 20_000;
    while (!existsSync(join(eventDir, '.b.txt.intent.json')) && Date.now() < deadline) await sleep(20);
    expect(existsSync(join(eventDir, '.b.txt.intent.json'))).toBe(true);
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    // No torn output: B never reached the event directory; A is complete with its rider.
    expect(existsSync(join(eventDir, 'b.txt'))).toBe(false);
    expect(readFileSync(join(eventDir, 'a.txt'), 'utf8')).toBe('input\nA\n');
    const src = externalRule('Src', 'src.txt');
    const a = catRule('A', [src]);
    const b = catRule('B', [a]);
    const result = await pass(definePipeline('C', [src, a, b]), [{ eventId: 'S1', runDir: run, eventDir }], { cache: new HashCache() });
    expect(result.ran).toEqual(['B']);
    expect(readFileSync(join(eventDir, 'b.txt'), 'utf8')).toBe('input\nA\nB\n');
    expect(existsSync(join(eventDir, '.b.txt.intent.json'))).toBe(false);
    expect(tmpEntries(eventDir).filter((n) => n.startsWith('B-'))).toEqual([]);
  });
});
