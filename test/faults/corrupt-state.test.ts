import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRiders, hasStackTrace, llama, makeEvent, outputBytes, outputsOf, runOnceArgs, sandbox, stepwiseRules, writeSpec } from './harness.js';

const rules = stepwiseRules();
const outputs = outputsOf(rules);
const runsAsRoot = process.getuid?.() === 0;

/** stderr lines about one event (the CLI's log format puts the event id after the pid). */
const linesAbout = (stderr: string, id: string): string[] => stderr.split('\n').filter((l) => l.includes(`|${id} `) || l.includes(`|${id}|`));

describe('corrupted state: a clear message for that event only, repair where safe', () => {
  it('truncated rider, invalid cooldown and intent, invalid FLAGS.json, a directory in place of an output', async () => {
    const box = sandbox('llama-corrupt-');
    const spec = writeSpec(box.root, rules);
    const ids = ['rider', 'cooldown', 'intent', 'flags', 'dir', 'clean'];
    for (const id of ids) makeEvent(box.run, id, { 'raw.dat': `${id}\n${'x'.repeat(200)}\n` });
    const first = await llama(box, runOnceArgs(`${box.run}/`, spec));
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
    const before = new Map(ids.map((id) => [id, outputBytes(join(box.run, id), outputs)]));
    const ev = (id: string, name = ''): string => join(box.run, id, name);

    const rider = ev('rider', '.merge.txt.metadata.json');
    writeFileSync(rider, readFileSync(rider, 'utf8').slice(0, 100));
    writeFileSync(ev('cooldown', '.s1.txt.cooldown.json'), '{"num_attempts": "many", ');
    // The intent belongs to a file that must be regenerated, so the engine has to judge it.
    rmSync(ev('intent', 't1.txt'));
    rmSync(ev('intent', '.t1.txt.metadata.json'));
    writeFileSync(ev('intent', '.t1.txt.intent.json'), '\u0000\u0001garbage');
    writeFileSync(ev('flags', 'FLAGS.json'), '{"ROLE": "test", "ONLINE": tru');
    rmSync(ev('dir', 't2.txt'));
    rmSync(ev('dir', '.t2.txt.metadata.json'));
    mkdirSync(ev('dir', 't2.txt'));
    writeFileSync(join(ev('dir', 't2.txt'), 'keep-me'), 'an operator put this here\n');
    writeFileSync(ev('clean', 'raw.dat'), 'clean, changed\n');

    // A rider rewritten in place changes none of the files a clean-event record stats: it is noticed
    // when the record expires (LLAMA_CLEAN_RECORD_TTL, 10 min by default); here at once. The other
    // corruptions change a stat'ed file or the directory and are noticed whatever the record's age.
    const second = await llama(box, runOnceArgs(`${box.run}/`, spec), { LLAMA_CLEAN_RECORD_TTL: '0' });
    expect(hasStackTrace(second.stderr)).toBe(false);
    expect(second.code).toBe(1); // the FLAGS.json event is an error

    // Truncated rider: named, and the output regenerated (same bytes) with a valid rider.
    expect(linesAbout(second.stderr, 'rider').join('\n')).toMatch(/\.merge\.txt\.metadata\.json/);
    expect(checkRiders(ev('rider'))).toEqual({ lying: [], torn: [] });
    expect(outputBytes(ev('rider'), outputs)).toEqual(before.get('rider'));

    // Invalid cooldown: named and ignored.
    expect(linesAbout(second.stderr, 'cooldown').join('\n')).toMatch(/\.s1\.txt\.cooldown\.json/);
    expect(outputBytes(ev('cooldown'), outputs)).toEqual(before.get('cooldown'));

    // Invalid intent: named, treated as stale, and the file regenerated.
    expect(linesAbout(second.stderr, 'intent').join('\n')).toMatch(/\.t1\.txt\.intent\.json/);
    expect(outputBytes(ev('intent'), outputs)).toEqual(before.get('intent'));
    expect(checkRiders(ev('intent'))).toEqual({ lying: [], torn: [] });

    // Invalid FLAGS.json: an error naming the event and the file; nothing of it touched.
    expect(linesAbout(second.stderr, 'flags').join('\n')).toMatch(/ERROR.*FLAGS\.json.*(JSON|json)/);
    expect(readFileSync(ev('flags', 'FLAGS.json'), 'utf8')).toBe('{"ROLE": "test", "ONLINE": tru');

    // A directory where t2.txt should be: named, left alone, and only its dependents wait.
    expect(linesAbout(second.stderr, 'dir').join('\n')).toMatch(/t2\.txt.*not a regular file/);
    expect(statSync(ev('dir', 't2.txt')).isDirectory()).toBe(true);
    expect(readFileSync(join(ev('dir', 't2.txt'), 'keep-me'), 'utf8')).toBe('an operator put this here\n');
    expect(checkRiders(ev('dir'))).toEqual({ lying: [], torn: [] });

    // The healthy event went on regardless.
    expect(linesAbout(second.stderr, 'clean').filter((l) => /WARNING|ERROR/.test(l))).toEqual([]);
    expect(readFileSync(ev('clean', 's1.txt'), 'utf8')).toContain('clean, changed');
    expect(checkRiders(ev('clean'))).toEqual({ lying: [], torn: [] });

    // Repairs that are safe happen once; the next pass reports only what still needs a human.
    const third = await llama(box, runOnceArgs(`${box.run}/`, spec));
    const remaining = third.stderr.split('\n').filter(Boolean);
    expect(remaining.filter((l) => !/\|(flags|dir|cooldown)[ |]/.test(l))).toEqual([]);
    expect(existsSync(ev('rider', '.merge.txt.metadata.json'))).toBe(true);
  });

  // Removing an invalid cooldown file is safe (the worst case is one early retry), so it is
  // reported once and removed.
  it('an invalid cooldown file is repaired, not reported on every pass', async () => {
    const box = sandbox('llama-cooldown-');
    const spec = writeSpec(box.root, rules);
    makeEvent(box.run, 'ev', { 'raw.dat': 'x\n' });
    await llama(box, runOnceArgs(`${box.run}/`, spec));
    writeFileSync(join(box.run, 'ev', '.s1.txt.cooldown.json'), 'not json');
    const first = await llama(box, runOnceArgs(`${box.run}/`, spec));
    expect(first.stderr).toMatch(/\.s1\.txt\.cooldown\.json is invalid/);
    const second = await llama(box, runOnceArgs(`${box.run}/`, spec));
    expect(second.stderr).toBe('');
  });

  it.skipIf(runsAsRoot)('an output without read permission is reported for that event only (skipped as root: permissions do not bind root)', async () => {
    const box = sandbox('llama-perm-');
    const spec = writeSpec(box.root, rules);
    for (const id of ['locked', 'open']) makeEvent(box.run, id, { 'raw.dat': `${id}\n` });
    await llama(box, runOnceArgs(`${box.run}/`, spec));
    chmodSync(join(box.run, 'locked', 's2.txt'), 0o000);
    writeFileSync(join(box.run, 'open', 'raw.dat'), 'open, changed\n');
    try {
      const result = await llama(box, runOnceArgs(`${box.run}/`, spec));
      expect(hasStackTrace(result.stderr)).toBe(false);
      expect(linesAbout(result.stderr, 'locked').join('\n')).toMatch(/s2\.txt.*(cannot be read|EACCES)/);
      expect(readFileSync(join(box.run, 'open', 's1.txt'), 'utf8')).toContain('open, changed');
    } finally {
      chmodSync(join(box.run, 'locked', 's2.txt'), 0o644);
    }
  });
});
