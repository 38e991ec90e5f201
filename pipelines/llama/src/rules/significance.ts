import { defineRule } from '@llama/core';
import { LVCGraceDbEventData, LvcDistancesJson, LvcSkymapHdf5, PAstro } from './gw.js';
import { IceCubeNeutrinoList } from './messengers.js';
import { lazyGenerate } from './lazy.js';
import { LVAlertJSON, SkymapInfo } from './triggers.js';

/** Group D: the GW+neutrino significance (Bartos et al. 2019) and the tables that quote it. */

export const CoincSignificanceI3Lvc = defineRule({
  name: 'CoincSignificanceI3Lvc',
  filename: 'significance_lvc-i3.json',
  version: '3.5.1-opa',
  inputs: [SkymapInfo, IceCubeNeutrinoList, LvcSkymapHdf5, LVCGraceDbEventData, LvcDistancesJson, PAstro],
  timeoutSeconds: 600,
  description: 'Odds ratios and p-values of each neutrino and of the combined GW+neutrino event',
  generate: lazyGenerate(() => import('../significance/rule.js'), (m) => m.significanceGenerator('significant')),
});

export const CoincSignificanceSubthresholdI3Lvc = defineRule({
  name: 'CoincSignificanceSubthresholdI3Lvc',
  filename: 'significance_subthresh_lvc-i3.json',
  version: '3.5.1-subthreshold',
  inputs: [LVAlertJSON, SkymapInfo, IceCubeNeutrinoList, LvcSkymapHdf5, LVCGraceDbEventData, LvcDistancesJson, PAstro],
  timeoutSeconds: 600,
  description: 'Combined odds ratio of a subthreshold GW alert and the whole neutrino list',
  generate: lazyGenerate(() => import('../significance/rule.js'), (m) => m.significanceGenerator('subthreshold')),
});

export const IceCubeNeutrinoListCoincTxt = defineRule({
  name: 'IceCubeNeutrinoListCoincTxt',
  filename: 'icecube_neutrino_list_coinc.txt',
  inputs: [IceCubeNeutrinoList, SkymapInfo, CoincSignificanceI3Lvc],
  description: 'The neutrino table with per-neutrino p-values',
  generate: lazyGenerate(() => import('../icecube/tables.js'), (m) => m.generateNeutrinoCoincTxt),
});

export const IceCubeNeutrinoListTex = defineRule({
  name: 'IceCubeNeutrinoListTex',
  filename: 'IceCubeNeutrinoList.tex',
  inputs: [IceCubeNeutrinoList, SkymapInfo, CoincSignificanceI3Lvc],
  description: 'LaTeX table of the neutrinos with p-values',
  generate: lazyGenerate(() => import('../icecube/tables.js'), (m) => m.generateNeutrinoTex),
});
