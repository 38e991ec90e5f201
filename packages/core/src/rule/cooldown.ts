import type { CooldownParams } from './types.js';

/** 3.5.1 cooldown: after failure number n (num_attempts = n − 1) wait min(base + (num_attempts−1)·increment, maximum) s. */
export function cooldownSeconds(params: CooldownParams, numAttempts: number): number {
  return Math.max(0, Math.min(params.base + (numAttempts - 1) * params.increment, params.maximum));
}
