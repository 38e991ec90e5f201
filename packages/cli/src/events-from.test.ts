import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, type EventRef } from '@llama/core';
import { describe, expect, it } from 'vitest';
import { onlyListedEvents } from './events-from.js';

const ev = (id: string): EventRef => ({ eventId: id, eventDir: `/run/${id}` }) as EventRef;

describe('--events-from', () => {
  it('keeps only the listed events, ignoring blank lines and surrounding spaces', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'events-from-')), 'list');
    writeFileSync(file, 'S2\n\n  S3 \nS9\n');
    expect(onlyListedEvents([ev('S1'), ev('S2'), ev('S3')], file).map((e) => e.eventId)).toEqual(['S2', 'S3']);
    expect(onlyListedEvents([ev('S1')], undefined).map((e) => e.eventId)).toEqual(['S1']);
  });

  it('an unreadable list is a configuration error naming the file', () => {
    expect(() => onlyListedEvents([ev('S1')], '/nonexistent/list')).toThrow(ConfigError);
    expect(() => onlyListedEvents([ev('S1')], '/nonexistent/list')).toThrow(/--events-from \/nonexistent\/list: cannot read/);
  });
});
