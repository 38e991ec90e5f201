import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startLlama, tempHome, until, writeFiles } from '../helpers/llama.js';

const SPEC = {
  name: 'chain',
  rules: [
    { name: 'Raw', output: 'raw.dat', external: true },
    { name: 'Prep', output: 'prep.dat', inputs: ['Raw'], command: "grep -v '^#' raw.dat > prep.dat" },
    { name: 'Done', output: 'done.txt', inputs: ['Prep'], command: 'wc -l < prep.dat > done.txt' },
  ],
};


describe('a running daemon keeps events up to date', () => {
  it('regenerates dependents when an input lands, picks up new events, and stops cutting off unchanged bytes', async () => {
    const { env, runDir, root } = tempHome();
    const spec = join(root, 'spec.json');
    writeFileSync(spec, JSON.stringify(SPEC));
    writeFiles(join(runDir, 'S1'), { 'raw.dat': '# v1\na\nb\n' });
    const d = startLlama(['run', `${runDir}/`, '-F', '--rules', spec, '-v', 'info'], { env: { ...env, LLAMA_VERSIONING: 'off' } });
    try {
      const done = join(runDir, 'S1', 'done.txt');
      expect(await until(() => existsSync(done))).toBe(true);
      expect(readFileSync(done, 'utf8').trim()).toBe('2');
      writeFileSync(join(runDir, 'S1', 'raw.dat'), '# v2\na\nb\nc\n');
      expect(await until(() => readFileSync(done, 'utf8').trim() === '3')).toBe(true);
      writeFiles(join(runDir, 'S2'), { 'raw.dat': 'x\n' });
      expect(await until(() => existsSync(join(runDir, 'S2', 'done.txt')))).toBe(true);
      // A comment-only change rebuilds Prep only: Done is cut off.
      writeFileSync(join(runDir, 'S1', 'raw.dat'), '# v3 just a comment\na\nb\nc\n');
      expect(await until(() => d.output().stderr.includes('S1 Done| up to date: its rebuilt inputs did not change'))).toBe(true);
    } finally {
      d.child.kill('SIGTERM');
      expect((await d.exited).code).toBe(0);
    }
  });
});
