import { definePipeline, selectWithAncestors, type Pipeline } from '@llama/core';
import * as gw from './rules/gw.js';
import * as messengers from './rules/messengers.js';
import * as plots from './rules/plots.js';
import * as receipts from './rules/receipts.js';
import * as significance from './rules/significance.js';
import * as triggers from './rules/triggers.js';

/** DEFAULT_PIPELINE: all 43 3.5.1 FileHandlers (llama.files). */
export const DEFAULT_PIPELINE: Pipeline = definePipeline('DEFAULT_PIPELINE', [
  ...Object.values(triggers),
  ...Object.values(gw),
  ...Object.values(messengers),
  ...Object.values(significance),
  ...Object.values(plots),
  ...Object.values(receipts),
]);

/** SUBTHRESHOLD_PIPELINE: CoincSignificanceSubthresholdI3Lvc and its ancestors (9 rules). */
export const SUBTHRESHOLD_PIPELINE: Pipeline = selectWithAncestors(
  DEFAULT_PIPELINE,
  ['CoincSignificanceSubthresholdI3Lvc'],
  'SUBTHRESHOLD_PIPELINE',
);

/** LLAMA2_REVIEW_PIPELINE: the core analysis of the LLAMA 2.0 review, no outward communication (14). */
export const LLAMA2_REVIEW_PIPELINE: Pipeline = definePipeline(
  'LLAMA2_REVIEW_PIPELINE',
  [
    'LvcSkymapHdf5', 'SkymapInfo', 'LvcSkymapFits', 'LVCGraceDbEventData', 'IceCubeNeutrinoList',
    'LvcDistancesJson', 'PAstro', 'IceCubeNeutrinoListTxt', 'IceCubeNeutrinoListCoincTxt',
    'IceCubeNeutrinoListTex', 'CoincSignificanceI3Lvc', 'CoincScatterI3LvcPdf', 'CoincScatterI3LvcPng',
    'CoincSummaryI3LvcTex',
  ].map((name) => {
    const rule = DEFAULT_PIPELINE.rules.get(name);
    if (rule === undefined) throw new Error(`LLAMA2_REVIEW_PIPELINE: unknown rule ${name}`);
    return rule;
  }),
  { closed: true },
);

export const PIPELINES: Readonly<Record<string, Pipeline>> = {
  DEFAULT_PIPELINE,
  SUBTHRESHOLD_PIPELINE,
  LLAMA2_REVIEW_PIPELINE,
};
