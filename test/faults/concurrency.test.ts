import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { checkRiders, hasStackTrace, llama, makeEvent, sandbox, startLlama, writeSpec, type SpecRule } from './harness.js';

/**
 * Rules whose commands log start and end (with the generating llama's pid) to $FAULT_LOG, and
 * take long enough that a daemon and a manual run collide on them.
 */
function loggedRules(): SpecRule[] {
  const logged = (body: string): string =>
    `echo "$LLAMA_EVENT_ID $LLAMA_RULE start $(date +%s%N) $LLAMA_PID" >> "$FAULT_LOG"; sleep 0.8; ${body}; echo "$LLAMA_EVENT_ID $LLAMA_RULE end $(date +%s%N) $LLAMA_PID" >> "$FAULT_LOG"`;
  const fanOut = Array.from({ length: 8 }, (_, i): SpecRule => ({ name: `s${i}`, output: `s${i}.txt`, inputs: ['raw'], command: logged(`{ echo s${i}; cat raw.dat; } > s${i}.txt`) }));
  return [
    { name: 'raw', output: 'raw.dat', external: true },
    ...fanOut,
    { name: 'done', output: 'done.txt', inputs: fanOut.map((r) => r.name), command: logged(`cat ${fanOut.map((r) => r.output).join(' ')} | cksum > done.txt`) },
  ];
}

interface Interval {
  event: string;
  rule: string;
  start: bigint;
  end: bigint;
  pid: string;
}

function intervals(log: string): Interval[] {
  const open = new Map<string, { start: bigint; pid: string }>();
  const found: Interval[] = [];
  for (const line of log.split('\n').filter(Boolean)) {
    const [event, rule, kind, ns, pid] = line.split(' ') as [string, string, string, string, string];
    const key = `${event} ${rule} ${pid}`;
    if (kind === 'start') open.set(key, { start: BigInt(ns), pid });
    else {
      const o = open.get(key);
      if (o !== undefined) found.push({ event, rule, start: o.start, end: BigInt(ns), pid });
      open.delete(key);
    }
  }
  return found;
}

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('competing llama processes', () => {
  it('a second daemon on the same run refuses; a manual run beside the daemon never generates a file at the same time, and both finish', async () => {
    const box = sandbox('llama-conc-');
    const spec = writeSpec(box.root, loggedRules());
    const faultLog = join(box.root, 'fault.log');
    const env = { FAULT_LOG: faultLog };
    makeEvent(box.run, 'E1', { 'raw.dat': 'first\n' });
    // The daemon works one file at a time, so the manual run arrives while most are still to do.
    const daemonArgs = ['run', `${box.run}/`, '-F', '-D', '--rules', spec, '-n', '1000', '-l', '/dev/null', '-v', 'info', '-j', '1'];
    const daemon = startLlama(box, daemonArgs, env);
    let daemonErr = '';
    let manualPid = '';
    daemon.child.stderr?.on('data', (c: Buffer) => (daemonErr += c.toString()));
    try {
      await waitFor(() => existsSync(join(box.run, 'E1', 'done.txt')), 60_000, 'the daemon to build E1');

      const second = await llama(box, daemonArgs, env);
      expect(second.code).toBe(2);
      expect(second.stderr).toMatch(/competing llama daemon is running: pid \d+/);
      expect(hasStackTrace(second.stderr)).toBe(false);

      // A new event lands; the daemon sees it while a manual run asks for the same files.
      makeEvent(box.run, 'E2', { 'raw.dat': 'second\n' });
      const manualRun = startLlama(box, ['run', join(box.run, 'E2'), '-F', '-o', '-D', '--rules', spec, '-l', '/dev/null', '-v', 'warning', '-j', '4', '+f', 'done'], env);
      manualPid = String(manualRun.child.pid);
      const manual = await manualRun.done;
      expect({ code: manual.code, stderr: manual.stderr }).toEqual({ code: 0, stderr: '' });
      await waitFor(() => existsSync(join(box.run, 'E2', '.done.txt.metadata.json')), 60_000, 'E2 to be complete');
      await sleep(300);
    } finally {
      daemon.child.kill('SIGTERM');
    }
    const stopped = await daemon.done;
    expect({ code: stopped.code, stderr: daemonErr }).toMatchObject({ code: 0 });
    expect(hasStackTrace(daemonErr)).toBe(false);

    const all = intervals(readFileSync(faultLog, 'utf8'));
    const e2 = all.filter((i) => i.event === 'E2');
    expect(new Set(e2.map((i) => i.rule))).toEqual(new Set(['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7', 'done']));
    // Both really worked on E2 (otherwise this test would prove nothing).
    expect(new Set(e2.map((i) => i.pid))).toEqual(new Set([String(daemon.child.pid), manualPid]));
    for (const x of all) {
      for (const y of all) {
        if (x === y || x.event !== y.event || x.rule !== y.rule) continue;
        const overlap = x.start < y.end && y.start < x.end;
        expect({ rule: `${x.event}/${x.rule}`, pids: [x.pid, y.pid], overlap }).toMatchObject({ overlap: false });
      }
    }
    for (const id of ['E1', 'E2']) expect(checkRiders(join(box.run, id))).toEqual({ lying: [], torn: [] });
    expect(readFileSync(join(box.run, 'E2', 's3.txt'), 'utf8')).toBe('s3\nsecond\n');
  });
});
