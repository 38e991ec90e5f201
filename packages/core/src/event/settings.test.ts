import { describe, expect, it } from 'vitest';
import { durabilityEnabled, versioningEnabled } from './event.js';

describe('run settings from the environment', () => {
  it('versioning and fsync are on unless turned off explicitly', () => {
    for (const read of [versioningEnabled, durabilityEnabled]) {
      expect(read({})).toBe(true);
      expect(read({ LLAMA_VERSIONING: 'on', LLAMA_FSYNC: 'on' })).toBe(true);
    }
    for (const off of ['off', 'OFF', 'false', '0', 'no']) {
      expect(versioningEnabled({ LLAMA_VERSIONING: off })).toBe(false);
      expect(durabilityEnabled({ LLAMA_FSYNC: off })).toBe(false);
      expect(durabilityEnabled({ LLAMA_VERSIONING: off })).toBe(true);
    }
  });
});
