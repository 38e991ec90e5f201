import { describe, expect, it } from 'vitest';
import { devModeProblem } from './dev-mode.js';

describe('dev-mode check (-D)', () => {
  it('refuses versions that are not plain X.Y.Z and says how to override', () => {
    expect(devModeProblem('3.5.1.dev4+g1234')).toMatch(/not a plain X\.Y\.Z.*-D\/--dev-mode/);
  });
});
