/**
 * Black box (issue 13, "Running beside a daemon"): one-shot runs take no daemon lock; daemons
 * compete only when they could select the same event directory; events created while a daemon
 * watches appear complete, and concurrent creators of one event lose nothing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { llama, REPO, startLlama, tempHome, until, writeFiles } from '../helpers/llama.js';

const SPEC = {
  name: 'chain',
  rules: [
    { name: 'Raw', output: 'raw.dat', external: true },
    { name: 'Prep', output: 'prep.dat', inputs: ['Raw'], command: "grep -v '^#' raw.dat > prep.dat" },
    // No inputs: runs (and commits) in every event as soon as the daemon sees it.
    { name: 'Stamp', output: 'stamp.txt', command: 'echo seen > stamp.txt' },
  ],
};

const GCN = join(REPO, 'test', 'ingest', 'fixtures');


function specFile(root: string): string {
  const spec = join(root, 'spec.json');
  writeFileSync(spec, JSON.stringify(SPEC));
  return spec;
}

const lockCount = (cache: string): number => {
  const root = join(cache, 'llamad.run.d');
  return existsSync(root) ? readdirSync(root).filter((n) => n.includes('+')).length : 0;
};

describe('one-shot runs beside a daemon', () => {
  it('llama run . -o (with and without -F) inside an event a daemon watches works and takes no lock', async () => {
    const { env, runDir, root } = tempHome('llama-beside-');
    const spec = specFile(root);
    writeFiles(join(runDir, 'S1'), { 'raw.dat': '# c\na\n' });
    const d = startLlama(['run', `${runDir}/`, '-F', '--rules', spec, '-v', 'info'], { env: { ...env, LLAMA_DEV_MODE: '1' } });
    try {
      expect(await until(() => existsSync(join(runDir, 'S1', 'prep.dat')))).toBe(true);
      expect(lockCount(env.LLAMA_CACHEDIR)).toBe(1);
      const event = join(runDir, 'S1');
      const fg = await llama(['run', '.', '-o', '-F', '--rules', spec, '-f', 'Prep', '--force'], { env, cwd: event });
      expect(fg.stderr).not.toContain('competing');
      expect(fg.code, fg.stderr).toBe(0);
      expect(fg.stderr).toMatch(/S1 Prep\| done/);
      // Without -F the one pass runs in the background, still without a lock.
      const bg = await llama(['run', '.', '-o', '--rules', spec, '-f', 'Prep', '--force'], { env, cwd: event });
      expect(bg.stderr).not.toContain('competing');
      expect(bg.code, bg.stderr).toBe(0);
      const pid = Number(/started pid (\d+) for one pass/.exec(bg.stdout)?.[1]);
      expect(pid).toBeGreaterThan(0);
      expect(await until(() => { try { process.kill(pid, 0); return false; } catch { return true; } })).toBe(true);
      expect(lockCount(env.LLAMA_CACHEDIR)).toBe(1);
      const listed = await llama(['run', '-R'], { env });
      expect(listed.stdout).toContain(`pid ${d.child.pid}`);
      expect(listed.stdout).not.toContain(`pid ${pid}`);
    } finally {
      d.child.kill('SIGTERM');
      expect((await d.exited).code).toBe(0);
    }
  });
});

describe('daemons compete only over event directories both could select', () => {
  it('two runs, or two disjoint globs of one run, run side by side; the same run and intersecting globs refuse', async () => {
    const { env, root } = tempHome('llama-compete-');
    const runA = join(root, 'runs', 'a');
    const runB = join(root, 'runs', 'b');
    const runC = join(root, 'runs', 'c');
    for (const run of [runA, runB, runC]) writeFiles(join(run, 'S1'), { 'raw.dat': 'x\n' });
    const targets = [`${runA}/`, `${runB}/`, `${runC}/S*`, `${runC}/G*`];
    const spec = specFile(root);
    const started: number[] = [];
    try {
      for (const target of targets) {
        const r = await llama(['run', target, '--rules', spec], { env });
        expect({ target, code: r.code, stderr: r.stderr }).toEqual({ target, code: 0, stderr: '' });
        started.push(Number(/started daemon pid (\d+)/.exec(r.stdout)?.[1]));
      }
      const rival = await llama(['run', `${runA}/S*`, '-F', '--rules', spec], { env });
      expect(rival.code).toBe(2);
      expect(rival.stderr).toContain(`a competing llama daemon is running: pid ${started[0]}`);
      expect(rival.stderr.trim().split('\n')).toHaveLength(1);
      const rivalC = await llama(['run', `${runC}/S1*`, '-F', '--rules', spec], { env });
      expect(rivalC.code).toBe(2);
      expect(rivalC.stderr).toContain(`a competing llama daemon is running: pid ${started[2]}`);
    } finally {
      for (const target of targets) await llama(['run', target, '-k'], { env });
    }
    for (const pid of started) expect(() => process.kill(pid, 0)).toThrow();
  });
});

describe('event creation while a daemon watches', () => {
  it('every event appears complete (FLAGS.json, trigger, first commit); no pass fails; concurrent creators lose nothing', async () => {
    const { env, runDir, root } = tempHome('llama-create-');
    const spec = specFile(root);
    writeFiles(join(runDir, 'S0'), { 'raw.dat': 'x\n' });
    const d = startLlama(['run', `${runDir}/`, '-F', '--rules', spec, '-v', 'info'], { env: { ...env, LLAMA_DEV_MODE: '1' } });
    // What a watcher sees the moment a name appears in the run directory.
    const partial: string[] = [];
    const watcher = watch(runDir, (_type, name) => {
      const id = name?.toString() ?? '';
      if (id === '' || id.startsWith('.')) return;
      const dir = join(runDir, id);
      if (!existsSync(dir) || id === 'S0') return;
      const missing = ['FLAGS.json', '.git/HEAD'].filter((f) => !existsSync(join(dir, f)));
      if (missing.length > 0) partial.push(`${id}: missing ${missing.join(', ')}`);
      else {
        try {
          execFileSync('git', ['rev-parse', '--verify', '-q', 'HEAD'], { cwd: dir, stdio: 'ignore' });
        } catch {
          partial.push(`${id}: no commit yet`);
        }
      }
      if (/-Preliminary$/.test(id) && !existsSync(join(dir, 'lvc_gcn.xml'))) partial.push(`${id}: no lvc_gcn.xml`);
    });
    const ids: string[] = ['S0'];
    try {
      expect(await until(() => existsSync(join(runDir, 'S0', 'stamp.txt')))).toBe(true);
      for (let i = 1; i <= 6; i++) {
        const r = await llama(['event', 'init', `E${i}`, '--run', runDir], { env });
        expect(r.code, r.stderr).toBe(0);
        ids.push(`E${i}`);
      }
      for (const notice of ['MS260103c-1-Preliminary.xml', 'S260105x-1-Preliminary.xml']) {
        const r = await llama(['ingest', 'gcn', '--run', runDir, join(GCN, notice)], { env });
        expect(r.code, r.stderr).toBe(0);
        ids.push(notice.replace(/\.xml$/, ''));
      }
      // Two creators of one event at once: one creates it, the other updates it. (Flags that keep
    // the event selected: a MANUAL=true event would rightly be left alone by the daemon.)
      const both = await Promise.all([
        llama(['event', 'init', 'C1', '--run', runDir, '--flags', 'ONLINE=false'], { env }),
        llama(['event', 'init', 'C1', '--run', runDir, '--flags', 'BLINDED_NEUTRINOS=true'], { env }),
      ]);
      for (const r of both) expect(r.code, r.stderr).toBe(0);
      ids.push('C1');
      expect(JSON.parse(readFileSync(join(runDir, 'C1', 'FLAGS.json'), 'utf8'))).toMatchObject({ ONLINE: 'false', BLINDED_NEUTRINOS: 'true' });
      const [pre, upd] = await Promise.all([
        llama(['ingest', 'gcn', '--run', runDir, join(GCN, 'MS260103c-2-Initial.xml')], { env }),
        llama(['ingest', 'gcn', '--run', runDir, join(GCN, 'MS260103c-2-Initial.xml')], { env }),
      ]);
      expect([pre.code, upd.code], pre.stderr + upd.stderr).toEqual([0, 0]);
      const said = [pre.stdout, upd.stdout].map((out) => /^(created|updated) MS260103c-2-Initial/m.exec(out)?.[1]).sort();
      expect(said).toEqual(['created', 'updated']);
      ids.push('MS260103c-2-Initial');

      for (const id of ids) expect({ id, stamped: await until(() => existsSync(join(runDir, id, 'stamp.txt'))) }).toEqual({ id, stamped: true });
    } finally {
      watcher.close();
      d.child.kill('SIGTERM');
    }
    expect((await d.exited).code).toBe(0);
    const { stderr } = d.output();
    expect(partial).toEqual([]);
    expect(stderr).not.toMatch(/FAILED|fatal|not a git repository|unhandled/);
    // No staging directory is left behind.
    expect(readdirSync(runDir).filter((n) => n.includes('.creating-'))).toEqual([]);
    for (const id of ids.slice(1)) {
      const log = execFileSync('git', ['log', '--reverse', '--format=%s'], { cwd: join(runDir, id), encoding: 'utf8' }).split('\n');
      expect({ id, first: log[0] }).toEqual({ id, first: `Initialized event ${id}` });
      expect(statSync(join(runDir, id, 'FLAGS.json')).isFile()).toBe(true);
    }
    // The duplicated notice is in the event, committed.
    // (In the event's first commit, whose subject is "Initialized event …": one commit per ingest.)
    const gcnLog = execFileSync('git', ['log', '--format=%B', '--', 'lvc_gcn.xml'], { cwd: join(runDir, 'MS260103c-2-Initial'), encoding: 'utf8' });
    expect(gcnLog).toContain('Ingested LvcGcnXml');
  });
});
