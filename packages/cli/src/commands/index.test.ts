import { describe, expect, it } from 'vitest';
import { commands } from './index.js';

describe('the lazy command table', () => {
  it.each(commands.map((c) => [c.command as string, c] as const))('%s repeats its module’s command and description', async (_name, entry) => {
    const module = await entry.load();
    expect(entry.command).toBe(module.command);
    expect(entry.describe).toBe(module.describe);
    expect(module.aliases).toBeUndefined();
    expect(module.deprecated).toBeUndefined();
  });
});
