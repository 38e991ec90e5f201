import { describe, expect, it } from 'vitest';
import { compressRanges, expandRanges, parseQueue } from './client.js';

describe('squeue output and --array ranges', () => {
  it('parses expanded elements, pending ranges with a throttle, plain jobs and (null) fields', () => {
    const out = ['12_3\tRUNNING\tllama-run-x\tNone\t/r/.llama-slurm/a', '12_[4-6,9%2]\tPENDING\tllama-run-x\tPriority\t/r/.llama-slurm/a', '13\tCANCELLED+\twrap\t(null)\t(null)', 'garbage', ''].join('\n');
    const q = parseQueue(out);
    expect(q).toEqual([
      { jobId: '12', tasks: [3], state: 'RUNNING', name: 'llama-run-x', reason: '', comment: '/r/.llama-slurm/a' },
      { jobId: '12', tasks: [4, 5, 6, 9], state: 'PENDING', name: 'llama-run-x', reason: 'Priority', comment: '/r/.llama-slurm/a' },
      { jobId: '13', tasks: [0], state: 'CANCELLED', name: 'wrap', reason: '', comment: '' },
    ]);
  });

  it('compresses and expands index lists', () => {
    expect(compressRanges([7, 0, 1, 2, 3, 4, 9, 10, 2])).toBe('0-4,7,9-10');
    expect(expandRanges('0-4,7,9-10')).toEqual([0, 1, 2, 3, 4, 7, 9, 10]);
    expect(expandRanges(compressRanges([1000, 5, 6]))).toEqual([5, 6, 1000]);
  });
});
