/**
 * Black box (issue 13): `llama run` refuses a run directory given as an event, a missing event,
 * an unusable LLAMA_CACHEDIR / LLAMA_OUTPUT_DIR and an unusable `-l` path with one line and exit
 * 2, before writing anything.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LLAMA_BIN, llama, REPO, tempHome } from '../helpers/llama.js';

/** Every path under a directory (to show that nothing was written). */
function tree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      out.push(relative(dir, join(d, entry.name)));
      if (entry.isDirectory()) walk(join(d, entry.name));
    }
  };
  walk(dir);
  return out.sort();
}

/** One line on stderr, no stack trace, no "internal error". */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/internal error|\s+at .*\(|Please report/);
  return lines[0] as string;
}

function eventsIn(runDir: string): void {
  for (const id of ['S1', 'S2']) {
    execFileSync(process.execPath, [LLAMA_BIN, 'event', 'init', id, '--run', runDir], { env: { ...process.env, LLAMA_DEV_MODE: '1' } });
  }
}

describe('llama run on a run directory given as an event', () => {
  it('refuses with one line suggesting the trailing slash, exit 2, nothing written', async () => {
    const { env, runDir, root } = tempHome('llama-refuse-');
    eventsIn(runDir);
    const before = tree(root);
    const r = await llama(['run', runDir, '-o', '-F'], { env });
    expect(r.code).toBe(2);
    const line = oneLine(r.stderr);
    expect(line).toContain(`${runDir} looks like a run directory`);
    expect(line).toContain(`llama run ${runDir}/`);
    // The same from inside it, as `llama run .`.
    const dot = await llama(['run', '.', '-o', '-F'], { env, cwd: runDir });
    expect(dot.code).toBe(2);
    expect(oneLine(dot.stderr)).toContain('llama run ./');
    // A daemon (no -o) is refused the same way.
    const daemon = await llama(['run', runDir, '-F'], { env });
    expect(daemon.code).toBe(2);
    expect(tree(root)).toEqual(before);
    expect(existsSync(join(runDir, '.git'))).toBe(false);
    // Events of a --rules run need not carry LLAMA's markers: a directory of directories is a run too.
    const plain = join(root, 'plain');
    mkdirSync(join(plain, 'a'), { recursive: true });
    mkdirSync(join(plain, 'b'));
    writeFileSync(join(plain, 'a', 'raw.dat'), 'x\n');
    const rules = await llama(['run', plain, '-o', '-F'], { env });
    expect(rules.code).toBe(2);
    expect(oneLine(rules.stderr)).toContain(`llama run ${plain}/`);
    expect(existsSync(join(plain, '.git'))).toBe(false);
    // The suggested form works.
    const ok = await llama(['run', `${runDir}/`, '-o', '-F', '--dry-run'], { env });
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('llama run /nonexistent/ev1 -o -F says the event directory does not exist, exit 2', async () => {
    const { env, root } = tempHome('llama-refuse-');
    const r = await llama(['run', '/nonexistent/ev1', '-o', '-F'], { env });
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toBe('llama: the event directory /nonexistent/ev1 does not exist');
    const gone = await llama(['run', '/nonexistent/', '-o', '-F'], { env });
    expect(gone.code).toBe(2);
    expect(oneLine(gone.stderr)).toContain('the run directory /nonexistent does not exist');
    expect(tree(root)).toEqual(['run']);
  });

  it('refuses hostile literal event ids in the run argument', async () => {
    const { env, runDir } = tempHome('llama-refuse-');
    for (const id of ['x;rm -rf ~', 'a b', 'new\nline', '-x']) {
      const r = await llama(['run', `${runDir}/${id}`, '-o', '-F'], { env });
      expect({ id, code: r.code }).toEqual({ id, code: 2 });
      expect(oneLine(r.stderr)).toContain(`the event id ${JSON.stringify(id)}`);
    }
    const dot = await llama(['run', './.', '-o', '-F'], { env, cwd: runDir });
    expect(dot.code).toBe(2);
    expect(oneLine(dot.stderr)).toContain('"." is a directory reference, not an event id');
  });
});

describe('an unusable environment is a configuration error', () => {
  it('LLAMA_CACHEDIR or LLAMA_OUTPUT_DIR under a regular file: one line naming path and cause, exit 2', async () => {
    const { env, runDir, root } = tempHome('llama-env-');
    eventsIn(runDir);
    const file = join(root, 'file');
    writeFileSync(file, 'not a directory\n');
    const cache = await llama(['run', `${runDir}/`, '-o', '-F'], { env: { ...env, LLAMA_CACHEDIR: join(file, 'sub') } });
    expect(cache.code).toBe(2);
    expect(oneLine(cache.stderr)).toBe(`llama: LLAMA_CACHEDIR ${join(file, 'sub')} is not usable: a component of the path is a file, not a directory`);
    const output = await llama(['run', `${runDir}/`, '-o', '-F'], { env: { ...env, LLAMA_OUTPUT_DIR: join(file, 'sub') } });
    expect(output.code).toBe(2);
    expect(oneLine(output.stderr)).toContain(`LLAMA_OUTPUT_DIR, ${join(file, 'sub', 'logs')} is not usable: a component of the path is a file`);
    // The commands that create events say the same of the default run directory.
    for (const args of [['event', 'init', 'S1'], ['ingest', 'gcn', join(REPO, 'test', 'ingest', 'fixtures', 'S260105x-1-Preliminary.xml')]]) {
      const r = await llama(args, { env: { ...env, LLAMA_OUTPUT_DIR: join(file, 'sub') } });
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(oneLine(r.stderr)).toContain(`the run directory ${join(file, 'sub', 'current_run')} is not usable: a component of the path is a file`);
    }
  });

  it('-l paths that cannot be written: one line, exit 2, promptly (no spinning)', async () => {
    const { env, runDir, root } = tempHome('llama-env-');
    eventsIn(runDir);
    mkdirSync(join(root, 'adir'));
    for (const [path, cause] of [
      ['/dev/null/x.log', 'a component of the path is a file'],
      ['/proc/nope/x.log', 'cannot be created'],
      [join(root, 'adir'), 'it is a directory'],
    ] as const) {
      const started = Date.now();
      const r = await llama(['run', `${runDir}/`, '-o', '-F', '-l', path], { env, timeoutMs: 30_000 });
      expect({ path, code: r.code, signal: r.signal }).toEqual({ path, code: 2, signal: null });
      const line = oneLine(r.stderr);
      expect(line).toContain(`cannot write the log file ${path} (-l)`);
      expect(line).toContain(cause);
      expect(Date.now() - started).toBeLessThan(20_000);
    }
    // /dev/null itself still turns the log off.
    const off = await llama(['run', `${runDir}/`, '-o', '-F', '-l', '/dev/null', '-v', 'none'], { env });
    expect(off.code, off.stderr).toBe(0);
  });

  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
  const asRoot = process.getuid?.() === 0;
  it.skipIf(asRoot && setpriv === undefined)('unwritable directories as an unprivileged user (EACCES): one line, exit 2', async () => {
    const { env, runDir, root } = tempHome('llama-env-');
    eventsIn(runDir);
    const locked = join(root, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o555);
    // The unprivileged user must be able to reach the run and the repository.
    chmodSync(root, 0o755);
    execFileSync('chmod', ['-R', 'a+rwX', runDir]);
    // As root, run the CLI as `nobody` (util-linux setpriv); as a regular user, directly.
    const wrap = (args: string[]): string[] => (asRoot ? [setpriv as string, '--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, ...args] : [process.execPath, ...args]);
    const bin = LLAMA_BIN;
    const attempt = (extra: Record<string, string>, args: string[]) => {
      const [cmd, ...rest] = wrap([bin, 'run', `${runDir}/`, '-o', '-F', ...args]);
      try {
        execFileSync(cmd as string, rest, { env: { PATH: process.env['PATH'] ?? '', ...env, HOME: root, ...extra }, encoding: 'utf8', stdio: 'pipe' });
        return { code: 0, stderr: '' };
      } catch (error) {
        const e = error as { status: number; stderr: string };
        return { code: e.status, stderr: e.stderr };
      }
    };
    const ok = join(root, 'ok');
    mkdirSync(ok);
    chmodSync(ok, 0o777);
    const usable = { LLAMA_CACHEDIR: join(ok, 'cache'), LLAMA_OUTPUT_DIR: join(ok, 'out') };
    const cache = attempt({ ...usable, LLAMA_CACHEDIR: join(locked, 'cache') }, []);
    expect(cache.code, cache.stderr).toBe(2);
    expect(oneLine(cache.stderr)).toBe(`llama: LLAMA_CACHEDIR ${join(locked, 'cache')} is not usable: permission denied`);
    const output = attempt({ ...usable, LLAMA_OUTPUT_DIR: join(locked, 'out') }, []);
    expect(output.code, output.stderr).toBe(2);
    expect(oneLine(output.stderr)).toContain(`${join(locked, 'out', 'logs')} is not usable: permission denied`);
    const log = attempt(usable, ['-l', join(locked, 'x.log')]);
    expect(log.code, log.stderr).toBe(2);
    expect(oneLine(log.stderr)).toBe(`llama: cannot write the log file ${join(locked, 'x.log')} (-l): permission denied`);
    expect(readdirSync(locked)).toEqual([]);
  });
});
