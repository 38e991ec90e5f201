import { existsSync, readFileSync, readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { llama, SKYMAP_INFO, startLlama, tempHome, writeFiles } from '../helpers/llama.js';

describe('llama run: pipeline selection', () => {
  it('prints the 43-handler default pipeline', async () => {
    const r = await llama(['run', '--print-default-pipeline']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(43);
    expect(lines).toContain('LvcSkymapFits -> lvc_skymap.fits.gz');
  });

  it('-f selects exactly, +f adds ancestors, -p unites with them', async () => {
    const exact = await llama(['run', '--dry-run-pipeline', '-f', 'LvcSkymapHdf5']);
    expect(exact.stdout.trim().split('\n')).toEqual(['LvcSkymapHdf5 -> lvc_skymap.hdf5']);
    const plus = await llama(['run', '--dry-run-pipeline', '+f', 'LvcSkymapHdf5']);
    expect(plus.stdout.trim().split('\n')).toEqual(['SkymapInfo -> skymap_info.json', 'LvcSkymapFits -> lvc_skymap.fits.gz', 'LvcSkymapHdf5 -> lvc_skymap.hdf5']);
    const union = await llama(['run', '--dry-run-pipeline', '-p', 'SUBTHRESHOLD_PIPELINE', '-f', 'FermiGRBsJSON']);
    expect(union.stdout.trim().split('\n')).toHaveLength(10);
  });

  it('rejects unknown FileHandlers with exit code 2', async () => {
    const r = await llama(['run', '--dry-run-pipeline', '-f', 'NoSuchHandler']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown FileHandler NoSuchHandler');
  });
});

describe('llama run --dry-run: a plan you can read', () => {
  it('-f with a missing ancestor says inputs-missing; +f plans the ancestor', async () => {
    const { env, runDir } = tempHome();
    writeFiles(join(runDir, 'S1'), { 'skymap_info.json': SKYMAP_INFO });
    const exact = await llama(['run', `${runDir}/`, '-F', '-o', '--dry-run', '-f', 'LvcSkymapHdf5'], { env });
    expect(exact.code).toBe(0);
    expect(exact.stdout).toMatch(/skip\s+LvcSkymapHdf5\s+inputs-missing: LvcSkymapFits/);
    const plus = await llama(['run', `${runDir}/`, '-F', '-o', '--dry-run', '+f', 'LvcSkymapHdf5'], { env });
    expect(plus.stdout).toMatch(/run\s+LvcSkymapFits\s+missing/);
    expect(plus.stdout).toMatch(/run\s+LvcSkymapHdf5\s+missing/);
    expect(plus.stdout).toContain('1 event: 2 to run');
    expect(readdirSync(join(runDir, 'S1'))).toEqual(['skymap_info.json']);
  });

  it('--json prints the plan with schema llama.run/1', async () => {
    const { env, runDir } = tempHome();
    writeFiles(join(runDir, 'S1'), { 'skymap_info.json': SKYMAP_INFO });
    const r = await llama(['run', `${runDir}/`, '-o', '--dry-run', '--json', '+f', 'LvcSkymapHdf5'], { env });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.schema).toBe('llama.run/1');
    expect(doc.events[0].steps).toEqual([
      { rule: 'SkymapInfo', action: 'fresh', reason: { kind: 'triggered' } },
      { rule: 'LvcSkymapFits', action: 'run', reason: { kind: 'missing' } },
      { rule: 'LvcSkymapHdf5', action: 'run', reason: { kind: 'missing' } },
    ]);
  });

  it('-n keeps the most recently modified events', async () => {
    const { env, runDir } = tempHome();
    for (const [i, id] of ['S1', 'S2', 'S3'].entries()) {
      writeFiles(join(runDir, id), { 'skymap_info.json': SKYMAP_INFO });
      const t = new Date(Date.UTC(2020, 0, 1 + [2, 0, 1][i]!));
      utimesSync(join(runDir, id), t, t);
    }
    const r = await llama(['run', `${runDir}/`, '-o', '--dry-run', '--json', '-n', '2', '-f', 'LvcSkymapFits'], { env });
    expect(JSON.parse(r.stdout).events.map((e: { eventid: string }) => e.eventid)).toEqual(['S1', 'S3']);
  });

  it('skips MANUAL events by default (--downselect manual=False) and includes them with --downselect ""', async () => {
    const { env, runDir } = tempHome();
    writeFiles(join(runDir, 'S1'), { 'skymap_info.json': SKYMAP_INFO, 'FLAGS.json': JSON.stringify({ MANUAL: 'true' }) });
    writeFiles(join(runDir, 'S2'), { 'skymap_info.json': SKYMAP_INFO });
    const dflt = await llama(['run', `${runDir}/`, '-o', '--dry-run', '--json', '-f', 'LvcSkymapFits'], { env });
    expect(JSON.parse(dflt.stdout).events.map((e: { eventid: string }) => e.eventid)).toEqual(['S2']);
    const all = await llama(['run', `${runDir}/`, '-o', '--dry-run', '--json', '-f', 'LvcSkymapFits', '--downselect', ''], { env });
    expect(JSON.parse(all.stdout).events.map((e: { eventid: string }) => e.eventid).sort()).toEqual(['S1', 'S2']);
  });

  it('--dry-run-dirs lists the matching event directories', async () => {
    const { env, runDir } = tempHome();
    for (const id of ['S190425z', 'S190426c', 'G298048']) writeFiles(join(runDir, id), { 'skymap_info.json': SKYMAP_INFO });
    const r = await llama(['run', `${runDir}/S19*`, '--dry-run-dirs'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('layer 0: eventid_filter=S19*');
    expect(r.stdout).toContain(join(runDir, 'S190425z'));
    expect(r.stdout).not.toContain('G298048');
  });

  it('parses --downselect and rejects bad ones with exit code 2', async () => {
    const { env, runDir } = tempHome();
    const list = await llama(['run', '--print-downselections'], { env });
    expect(list.stdout).toContain('fhnameexists');
    const bad = await llama(['run', `${runDir}/`, '--dry-run-dirs', '--downselect', 'limit=many'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('downselection limit needs a non-negative integer');
    const unknown = await llama(['run', `${runDir}/`, '--dry-run-dirs', '--downselect', 'colour=blue'], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown downselection "colour"');
  });
});

describe('llama run -o: a real pass', () => {
  it('logs failures with event and rule, cools down, vetoes, exits 1; -l /dev/null writes no archival log', async () => {
    const { env, runDir, root } = tempHome();
    writeFiles(join(runDir, 'S1'), { 'skymap_info.json': SKYMAP_INFO });
    const gracedb = { LLAMA_GRACEDB_URL: `file://${root}/no-mirror/` };
    const r = await llama(['run', `${runDir}/`, '-F', '-o', '-f', 'LvcSkymapFits', 'ZtfTriggerList', '-v', 'debug'], { env: { ...env, ...gracedb } });
    expect(r.code).toBe(1);
    const logfile = join(env.LLAMA_OUTPUT_DIR, 'logs', 'llamad.log');
    const text = readFileSync(logfile, 'utf8');
    expect(text).toMatch(/\|WARNING\|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\|pid:\d+\|S1 LvcSkymapFits\| FAILED: /);
    expect(text).toMatch(/\|INFO\|.*\|S1 ZtfTriggerList\| permanently vetoed \(always_veto\)/);
    expect(r.stderr).toContain('S1 LvcSkymapFits| FAILED');
    expect(existsSync(join(runDir, 'S1', '.lvc_skymap.fits.gz.cooldown.json'))).toBe(true);
    expect(existsSync(join(runDir, 'S1', '.ztf_trigger_list.json.veto.json'))).toBe(true);
    expect(existsSync(join(runDir, 'S1', 'lvc_skymap.fits.gz'))).toBe(false);

    const { env: env2, runDir: run2 } = tempHome();
    writeFiles(join(run2, 'S1'), { 'skymap_info.json': SKYMAP_INFO });
    const quiet = await llama(['run', `${run2}/`, '-F', '-o', '-f', 'ZtfTriggerList', '-l', '/dev/null', '-v', 'none'], { env: env2 });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(existsSync(join(env2.LLAMA_OUTPUT_DIR, 'logs', 'llamad.log'))).toBe(false);
  });

  it('-V prints the version; usage errors exit 2 and start nothing', async () => {
    const { env } = tempHome();
    const v = await llama(['run', '-V'], { env });
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    for (const args of [['--verbosity', 'loud'], ['--verbosity', 'loud', '-F'], ['-n', 'abc']]) {
      const bad = await llama(['run', ...args], { env, timeoutMs: 20_000 });
      expect({ args, code: bad.code }).toEqual({ args, code: 2 });
      expect(bad.stderr).not.toContain('    at ');
    }
    const listed = await llama(['run', '-R'], { env });
    expect(listed.stdout).toContain('no llama daemons are running');
  });
});

describe('llama run daemons', () => {
  it('starts in the background, is listed by -R, refuses a competitor, and stops with -k', async () => {
    const { env, runDir } = tempHome();
    const start = await llama(['run', `${runDir}/`, '-f', 'ZtfTriggerList'], { env });
    expect(start.code).toBe(0);
    const pid = Number(/started daemon pid (\d+)/.exec(start.stdout)?.[1]);
    expect(pid).toBeGreaterThan(0);
    const listed = await llama(['run', '-R'], { env });
    expect(listed.stdout).toContain(`pid ${pid}`);
    expect(listed.stdout).toContain(`run:     ${runDir}`);
    const rival = await llama(['run', `${runDir}/`, '-F', '-f', 'ZtfTriggerList'], { env });
    expect(rival.code).toBe(2);
    expect(rival.stderr).toContain(`a competing llama daemon is running: pid ${pid}`);
    const kill = await llama(['run', `${runDir}/`, '-k'], { env });
    expect(kill.code).toBe(0);
    expect(kill.stdout).toContain(`stopping pid ${pid}`);
    await sleep(200);
    expect(() => process.kill(pid, 0)).toThrow();
    const after = await llama(['run', '-R'], { env });
    expect(after.stdout).toContain('no llama daemons are running');
    const logs = readdirSync(join(env.LLAMA_OUTPUT_DIR, 'logs'));
    expect(logs.some((n) => n.endsWith('.log') && n.includes('%2A'))).toBe(true);
  });

  it('-R cleans up entries whose process is gone', async () => {
    const { env, runDir } = tempHome();
    const d = startLlama(['run', `${runDir}/`, '-F', '-f', 'ZtfTriggerList', '-v', 'none'], { env });
    const lockRoot = join(env.LLAMA_CACHEDIR, 'llamad.run.d');
    const deadline = Date.now() + 45_000;
    while (!(existsSync(lockRoot) && readdirSync(lockRoot).length > 0) && Date.now() < deadline) await sleep(50);
    d.child.kill('SIGKILL');
    await d.exited;
    const listed = await llama(['run', '-R'], { env });
    expect(listed.stdout).toContain('removed stale entry');
  });

  it('a foreground daemon exits 0 on SIGTERM and releases its lock', async () => {
    const { env, runDir } = tempHome();
    writeFiles(join(runDir, 'S1'), { 'skymap_info.json': SKYMAP_INFO });
    const d = startLlama(['run', `${runDir}/`, '-F', '-f', 'ZtfTriggerList', '-v', 'info'], { env });
    const deadline = Date.now() + 45_000;
    while (!existsSync(join(runDir, 'S1', '.ztf_trigger_list.json.veto.json')) && Date.now() < deadline) await sleep(100);
    d.child.kill('SIGTERM');
    const { code } = await d.exited;
    expect(code).toBe(0);
    expect(d.output().stderr).toContain('SIGTERM');
    const listed = await llama(['run', '-R'], { env });
    expect(listed.stdout).toContain('no llama daemons are running');
  });
});

describe('llama run -K and -r', () => {
  it('-K stops the competing daemon and starts in its place', async () => {
    const { env, runDir } = tempHome();
    const first = await llama(['run', `${runDir}/`, '-f', 'ZtfTriggerList'], { env });
    const pid = Number(/started daemon pid (\d+)/.exec(first.stdout)?.[1]);
    const second = startLlama(['run', `${runDir}/`, '-F', '-K', '-f', 'ZtfTriggerList', '-v', 'info'], { env });
    // Generous: under a loaded CI machine the old daemon's graceful exit and two CLI starts add up.
    const deadline = Date.now() + 60_000;
    let listed = '';
    try {
      while (Date.now() < deadline) {
        listed = (await llama(['run', '-R'], { env })).stdout;
        if (listed.includes(`pid ${second.child.pid}`)) break;
        await sleep(200);
      }
      expect(second.output().stdout).toContain(`stopping pid ${pid}`);
      expect({ listed, stderr: second.output().stderr }).toMatchObject({ listed: expect.stringContaining(`pid ${second.child.pid}`) });
      expect(listed).not.toContain(`pid ${pid}\n`);
    } finally {
      second.child.kill('SIGTERM');
    }
    expect((await second.exited).code).toBe(0);
  });

  it('-r relaunches a failing run with backoff and stops cleanly on SIGTERM', async () => {
    const { env, runDir, root } = tempHome();
    writeFiles(join(runDir, 'S1'), { 'skymap_info.json': SKYMAP_INFO });
    const r = startLlama(['run', `${runDir}/`, '-F', '-o', '-r', '-f', 'LvcSkymapFits', '-v', 'warning'], {
      env: { ...env, LLAMA_GRACEDB_URL: `file://${root}/no-mirror/` },
    });
    const deadline = Date.now() + 45_000;
    while (!r.output().stderr.includes('relaunching') && Date.now() < deadline) await sleep(100);
    expect(r.output().stderr).toMatch(/llama run exited with code 1; relaunching in 1 s/);
    r.child.kill('SIGTERM');
    expect((await r.exited).code).toBe(0);
  });
});
