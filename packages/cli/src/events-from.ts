import { readFileSync } from 'node:fs';
import { ConfigError, describeError, type EventRef } from '@llama/core';

/**
 * `--events-from FILE`: only the events whose ids are listed (one a line). This is how a Slurm
 * job is given its K events: the run argument's glob cannot list names.
 */
export function onlyListedEvents(events: readonly EventRef[], file: string | undefined): readonly EventRef[] {
  if (file === undefined) return events;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`--events-from ${file}: cannot read the list of events: ${describeError(error)}`, { code: 'events-from' });
  }
  const wanted = new Set(
    text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== ''),
  );
  return events.filter((e) => wanted.has(e.eventId));
}
