import { describe, expect, it } from 'vitest';
import { parseCooldown, serializeCooldown } from '../event/riders.js';
import { eventPaths } from './generate.js';

describe('eventPaths', () => {
  it('names the event directory\'s file instead of the work directory\'s snapshot of it', () => {
    const dir = '/runs/o4/S1';
    expect(eventPaths(`ENOENT: no such file or directory, open '${dir}/.tmp.d/work-4800-y2Lt6b/icecube_neutrino_list.json'`, dir)).toBe(
      `ENOENT: no such file or directory, open '${dir}/icecube_neutrino_list.json'`,
    );
    expect(eventPaths('cannot parse .tmp.d/work-4800-y2Lt6b/skymap_info.json: bad', dir)).toBe(`cannot parse ${dir}/skymap_info.json: bad`);
    expect(eventPaths('no path here', dir)).toBe('no path here');
  });
});

describe('cooldown rider', () => {
  it('adds failures and the last error, and still reads a 3.5.1 file', () => {
    const text = serializeCooldown({ numAttempts: 1, lastAttempt: Date.UTC(2026, 11, 7, 17, 35, 39), lastError: 'boom', lastErrorTime: Date.UTC(2026, 11, 7, 17, 35, 39) });
    expect(JSON.parse(text)).toEqual({ num_attempts: 1, last_attempt: '2026-12-07T17:35:39.000Z', failures: 2, last_error: 'boom', last_error_time: '2026-12-07T17:35:39.000Z' });
    expect(parseCooldown(text)).toEqual({ numAttempts: 1, lastAttempt: Date.UTC(2026, 11, 7, 17, 35, 39), lastError: 'boom', lastErrorTime: Date.UTC(2026, 11, 7, 17, 35, 39) });
    // A 3.5.1 file (naive UTC time, no extra keys).
    expect(parseCooldown('{"num_attempts": 0, "last_attempt": "2026-12-07T17:35:39"}')).toEqual({ numAttempts: 0, lastAttempt: Date.UTC(2026, 11, 7, 17, 35, 39) });
  });
});
