import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CommandRunner } from './command-runner.js';
import { Slots } from './scheduler.js';

const env = { ...process.env };
const dir = (): string => mkdtempSync(join(tmpdir(), 'llama-runner-'));
/** Append "<tag> start|end <ms>" to log.txt around `body`. */
const logged = (tag: string, body: string): string =>
  `echo "${tag} start $(date +%s%N)" >> ../log.txt; ${body}; status=$?; echo "${tag} end $(date +%s%N)" >> ../log.txt; exit $status`;

function intervals(root: string): Map<string, [number, number]> {
  const spans = new Map<string, [number, number]>();
  for (const line of readFileSync(join(root, 'log.txt'), 'utf8').trim().split('\n')) {
    const [tag, what, ns] = line.split(' ') as [string, string, string];
    const span = spans.get(tag) ?? [0, 0];
    span[what === 'start' ? 0 : 1] = Number(BigInt(ns) / 1000n) / 1000;
    spans.set(tag, span);
  }
  return spans;
}

describe('CommandRunner', () => {
  it('starts a command sent ahead the moment the one before it ends, never two in one slot', async () => {
    const root = dir();
    const slots = new Slots(1);
    const runner = new CommandRunner(slots, env);
    const a = runner.submit(mkdtempSync(join(root, 'a-')), {}, logged('a', 'sleep 0.3'));
    const b = runner.submit(mkdtempSync(join(root, 'b-')), {}, logged('b', 'true'));
    let bStarted = false;
    void b.started.then(() => {
      bStarted = true;
    });
    await a.started;
    await sleep(50);
    expect(bStarted).toBe(false); // sent, waiting behind a
    expect(slots.tryTake()).toBe(false); // a holds the only slot
    expect(await a.done).toBe(0);
    expect(await b.done).toBe(0);
    const spans = intervals(root);
    expect((spans.get('b') as [number, number])[0]).toBeGreaterThanOrEqual((spans.get('a') as [number, number])[1]);
    // b ended: the slot is free again
    await sleep(10);
    expect(slots.tryTake()).toBe(true);
    runner.close();
  });

  it('reports exit codes, also of commands that exec or set their own EXIT trap, and keeps each stderr apart', async () => {
    const root = dir();
    const runner = new CommandRunner(new Slots(1), env);
    const runs = [
      runner.submit(mkdtempSync(join(root, 'x-')), {}, 'echo first-err >&2; exit 3'),
      runner.submit(mkdtempSync(join(root, 'y-')), {}, "exec sh -c 'echo second-err >&2; exit 4'"),
      runner.submit(mkdtempSync(join(root, 'z-')), {}, "trap 'echo own-trap >&2' EXIT; echo third-err >&2; exit 5"),
      runner.submit(mkdtempSync(join(root, 'w-')), { GREETING: "it's me" }, `test "$GREETING" = "it's me" && pwd | grep -q w-`),
    ];
    expect(await Promise.all(runs.map((r) => r.done))).toEqual([3, 4, 5, 0]);
    expect(runs[0]?.stderr.lines()).toBe('first-err');
    expect(runs[1]?.stderr.lines()).toBe('second-err');
    expect(runs[2]?.stderr.lines()).toContain('third-err');
    expect(runs[3]?.stderr.lines()).toBe('');
    runner.close();
  });

  it('sends nothing ahead while another job waits for a slot', async () => {
    const root = dir();
    const slots = new Slots(1);
    const runner = new CommandRunner(slots, env);
    const a = runner.submit(mkdtempSync(join(root, 'a-')), {}, logged('a', 'sleep 0.2'));
    await a.started;
    const other = slots.take(); // e.g. a TypeScript rule's job
    const b = runner.submit(mkdtempSync(join(root, 'b-')), {}, logged('b', 'true'));
    await a.done;
    await other; // the slot went to the waiting job, not to b
    await sleep(100);
    expect(existsSync(join(root, 'log.txt')) && readFileSync(join(root, 'log.txt'), 'utf8').includes('b start')).toBe(false);
    slots.give();
    expect(await b.done).toBe(0);
    runner.close();
  });

  it('sends again elsewhere a command that waited behind one that was killed', async () => {
    const root = dir();
    const runner = new CommandRunner(new Slots(1), env);
    const a = runner.submit(mkdtempSync(join(root, 'a-')), {}, 'sleep 30');
    const b = runner.submit(mkdtempSync(join(root, 'b-')), {}, logged('b', 'true'));
    await a.started;
    a.abort(new Error('deadline'));
    await expect(a.done).rejects.toThrow(/helper/);
    expect(await b.done).toBe(0);
    expect(intervals(root).has('b')).toBe(true);
    runner.close();
  });

  it('aborting a command sent behind a running one ends its helper, and it is not sent again', async () => {
    const root = dir();
    const runner = new CommandRunner(new Slots(1), env);
    const a = runner.submit(mkdtempSync(join(root, 'a-')), {}, 'sleep 30');
    const b = runner.submit(mkdtempSync(join(root, 'b-')), {}, logged('b', 'true'));
    await a.started;
    b.abort(new Error('shutting down'));
    await expect(b.started).rejects.toThrow('shutting down');
    await expect(b.done).rejects.toThrow('shutting down');
    await expect(a.done).rejects.toThrow(/helper/); // a shutdown aborts them all anyway
    await sleep(200);
    expect(existsSync(join(root, 'log.txt'))).toBe(false);
    runner.close();
  });

  it('withdraws a command that has not been sent: it never runs', async () => {
    const root = dir();
    const slots = new Slots(1);
    const runner = new CommandRunner(slots, env);
    const a = runner.submit(mkdtempSync(join(root, 'a-')), {}, 'sleep 0.2');
    const b = runner.submit(mkdtempSync(join(root, 'b-')), {}, 'sleep 0.2'); // behind a
    const c = runner.submit(mkdtempSync(join(root, 'c-')), {}, logged('c', 'true')); // not sent: no room
    c.abort(new Error('shutting down'));
    await expect(c.started).rejects.toThrow('shutting down');
    await expect(c.done).rejects.toThrow('shutting down');
    expect(await a.done).toBe(0);
    expect(await b.done).toBe(0);
    expect(existsSync(join(root, 'log.txt'))).toBe(false);
    runner.close();
  });
});


describe('CommandRunner when the engine is killed', () => {
  it('runs no command that was waiting in a helper once the engine is gone (kill -9)', async () => {
    const root = dir();
    const dist = join(fileURLToPath(import.meta.url), '..', '..', '..', 'dist');
    const script = `
      import { CommandRunner } from ${JSON.stringify(join(dist, 'execute', 'command-runner.js'))};
      import { Slots } from ${JSON.stringify(join(dist, 'execute', 'scheduler.js'))};
      import { mkdtempSync } from 'node:fs';
      const root = ${JSON.stringify(root)};
      const runner = new CommandRunner(new Slots(1), process.env);
      const a = runner.submit(mkdtempSync(root + '/a-'), {}, 'sleep 0.5; echo > ../a-ended');
      runner.submit(mkdtempSync(root + '/b-'), {}, 'echo > ../b-ran');
      await a.started;
      process.stdout.write('ready\\n');
      setInterval(() => undefined, 1000);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolvePromise) => child.stdout.on('data', () => resolvePromise()));
    child.kill('SIGKILL');
    for (let i = 0; i < 40 && !existsSync(join(root, 'a-ended')); i++) await sleep(50);
    await sleep(200);
    expect(existsSync(join(root, 'a-ended'))).toBe(true); // the running command is not interrupted
    expect(existsSync(join(root, 'b-ran'))).toBe(false);
  });
});
