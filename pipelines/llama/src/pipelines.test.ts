import { describe, expect, it } from 'vitest';
import { DEFAULT_PIPELINE, LLAMA2_REVIEW_PIPELINE, SUBTHRESHOLD_PIPELINE } from './pipelines.js';

describe('named pipelines (3.5.1 §2)', () => {
  it('DEFAULT_PIPELINE has the 43 FileHandlers and 81 edges', () => {
    expect(DEFAULT_PIPELINE.rules.size).toBe(43);
    const edges = [...DEFAULT_PIPELINE.rules.values()].reduce((n, r) => n + r.inputs.length, 0);
    expect(edges).toBe(81);
  });
  it('SUBTHRESHOLD_PIPELINE has the 9 documented rules', () => {
    expect([...SUBTHRESHOLD_PIPELINE.rules.keys()].sort()).toEqual(
      ['CoincSignificanceSubthresholdI3Lvc', 'IceCubeNeutrinoList', 'LVAlertJSON', 'LVCGraceDbEventData',
        'LvcDistancesJson', 'LvcSkymapFits', 'LvcSkymapHdf5', 'PAstro', 'SkymapInfo'].sort(),
    );
  });
  it('LLAMA2_REVIEW_PIPELINE has 14 rules and is closed under inputs', () => {
    expect(LLAMA2_REVIEW_PIPELINE.rules.size).toBe(14);
  });
  it('keeps the 3.5.1 filenames of the receipts', () => {
    expect(DEFAULT_PIPELINE.rules.get('RctSlkI3CoincSummaryI3LvcPdf')?.filename).toBe('rct_slk_i3_summary_lvc-I3.pdf.json');
    expect(DEFAULT_PIPELINE.rules.get('RctSlkLmaSkymapInfo')?.inputs.map((r) => r.name)).toEqual(['SkymapInfo']);
  });
  it('announces retractions even though a retraction vetoes its event', () => {
    const running = [...DEFAULT_PIPELINE.rules.values()].filter((r) => r.runsWhenEventVetoed).map((r) => r.name);
    expect(running).toEqual(['RctSlkLmaLvcRetractionXml']);
  });
  it('orders inputs before their users', () => {
    const position = new Map(DEFAULT_PIPELINE.order.map((n, i) => [n, i]));
    for (const rule of DEFAULT_PIPELINE.rules.values()) {
      for (const input of rule.inputs) expect(position.get(input.name)).toBeLessThan(position.get(rule.name) as number);
    }
  });
});

describe('the cheap name list used by the CLI', () => {
  it('matches DEFAULT_PIPELINE exactly', async () => {
    const { DEFAULT_PIPELINE_NAMES } = await import('./names.js');
    expect([...DEFAULT_PIPELINE_NAMES].sort()).toEqual([...DEFAULT_PIPELINE.rules.keys()].sort());
  });
});
