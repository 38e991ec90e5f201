import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { llama, readJson, tempDir } from './helpers.js';

let tmp: { path: string; remove: () => Promise<void> };
let run: string;
beforeEach(async () => {
  tmp = await tempDir('llama-event-flags-');
  run = join(tmp.path, 'run');
});
afterEach(async () => tmp.remove());

describe('llama event init', () => {
  it('creates the directory, its git repository and FLAGS.json', async () => {
    const result = await llama(['event', 'init', 'S250924di', '--run', run]);
    expect(result.code).toBe(0);
    const dir = join(run, 'S250924di');
    expect(result.stdout).toContain(dir);
    expect(existsSync(join(dir, '.git'))).toBe(true);
    expect(await readJson(join(dir, 'FLAGS.json'))).toEqual({
      BLINDED_NEUTRINOS: 'false', ICECUBE_UPLOAD: 'false', MANUAL: 'false', ONLINE: 'true', ROLE: 'test', UPLOAD: 'false', VETOED: 'false',
    });
    expect(execFileSync('git', ['log', '--format=%s'], { cwd: dir, encoding: 'utf8' })).toContain('Initialized event S250924di');
  });

  it('keeps an existing event and its flags unless --flags is given', async () => {
    await llama(['event', 'init', 'S250924di', '--run', run, '--flags', 'RERUN', 'VETOED=true']);
    const flags = join(run, 'S250924di', 'FLAGS.json');
    expect(await readJson(flags)).toMatchObject({ ROLE: 'observation', VETOED: 'true' });
    expect((await llama(['event', 'init', 'S250924di', '--run', run])).code).toBe(0);
    expect(await readJson(flags)).toMatchObject({ ROLE: 'observation', VETOED: 'true' });
  });

  it('refuses hostile ids and bad flags with exit code 2', async () => {
    const hostile = await llama(['event', 'init', '../escape', '--run', run]);
    expect(hostile.code).toBe(2);
    expect(hostile.stderr).toContain('contains a path separator');
    expect(existsSync(join(tmp.path, 'escape'))).toBe(false);
    const dotted = await llama(['event', 'init', '.hidden', '--run', run]);
    expect(dotted.code).toBe(2);
    const badFlags = await llama(['event', 'init', 'S250924di', '--run', run, '--flags', 'NOPRESET']);
    expect(badFlags.code).toBe(2);
    expect(badFlags.stderr).toContain('"NOPRESET" is neither a preset');
  });
});

describe('llama flags', () => {
  it('shows flags, sets them with a before/after table, and commits the change', async () => {
    await llama(['event', 'init', 'S250924di', '--run', run]);
    const dir = join(run, 'S250924di');
    const shown = await llama(['flags', dir]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/ROLE\s+test/);
    const set = await llama(['flags', dir, '--flags', 'TRIGGERED_PUBLIC', 'VETOED=true']);
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/ROLE\s+test\s+observation\s+changed/);
    expect(set.stdout).toMatch(/MANUAL\s+false\s+false\s*\n/);
    expect(await readJson(join(dir, 'FLAGS.json'))).toMatchObject({ ROLE: 'observation', VETOED: 'true', ICECUBE_UPLOAD: 'true' });
    expect(execFileSync('git', ['log', '-1', '--format=%s'], { cwd: dir, encoding: 'utf8' })).toContain('Set flags with llama flags');
  });

  it('--dry-run-flags shows the change without writing it; the current directory is the default', async () => {
    await llama(['event', 'init', 'S250924di', '--run', run]);
    const dir = join(run, 'S250924di');
    const dry = await llama(['flags', '--flags', 'ONLINE=false', '--dry-run-flags'], {}, dir);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/ONLINE\s+true\s+false\s+changed/);
    expect(dry.stdout).toContain('AFTER (dry run)');
    expect(await readJson(join(dir, 'FLAGS.json'))).toMatchObject({ ONLINE: 'true' });
  });

  it('lists the presets, and refuses bad values or non-event directories', async () => {
    const presets = await llama(['flags', '--flag-presets']);
    expect(presets.code).toBe(0);
    expect(presets.stdout).toMatch(/FLAG\s+DEFAULT\s+TRIGGERED_INTERNAL\s+TRIGGERED_PUBLIC\s+TRIGGERED_TEST\s+RERUN\s+MANUAL/);
    expect(presets.stdout).toMatch(/ICECUBE_UPLOAD\s+false\s+false\s+true\s+false\s+false\s+true/);
    await llama(['event', 'init', 'S250924di', '--run', run]);
    const bad = await llama(['flags', join(run, 'S250924di'), '--flags', 'UPLOAD=perhaps']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('flag UPLOAD="perhaps" is not one of true, false');
    const missing = await llama(['flags', join(run, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('is not an event directory');
    // A directory that is no event is never given a FLAGS.json.
    const notEvent = await llama(['flags', '--flags', 'RERUN'], {}, tmp.path);
    expect(notEvent.code).toBe(2);
    expect(existsSync(join(tmp.path, 'FLAGS.json'))).toBe(false);
  });
});
