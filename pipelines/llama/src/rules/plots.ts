import { defineRule, type Rule } from '@llama/core';
import { LvcSkymapHdf5 } from './gw.js';
import { IceCubeNeutrinoList, ZtfTriggerList } from './messengers.js';
import { lazyGenerate } from './lazy.js';
import { CoincSignificanceI3Lvc, IceCubeNeutrinoListTex } from './significance.js';
import { SkymapInfo } from './triggers.js';

/** Group E: sky plots and the summary report. */

function scatter(name: string, filename: string, inputs: readonly Rule[]): Rule {
  return defineRule({
    name,
    filename,
    inputs,
    description: 'Mollweide sky map of the GW skymap with the other messengers overlaid',
    // Rendering a high-resolution map takes seconds; leave room on a loaded machine.
    timeoutSeconds: 120,
    generate: lazyGenerate(() => import('../plots/generate.js'), (m) => m.scatterGenerator(filename.endsWith('.png') ? 'png' : 'pdf')),
  });
}

export const CoincScatterI3LvcPdf = scatter('CoincScatterI3LvcPdf', 'scatterplot_lvc-i3.pdf', [LvcSkymapHdf5, IceCubeNeutrinoList]);
export const CoincScatterI3LvcPng = scatter('CoincScatterI3LvcPng', 'scatterplot_lvc-i3.png', [LvcSkymapHdf5, IceCubeNeutrinoList]);
export const CoincScatterZtfLVCPdf = scatter('CoincScatterZtfLVCPdf', 'scatterplot_lvc-ztf.pdf', [LvcSkymapHdf5, ZtfTriggerList]);
export const CoincScatterZtfLVCPng = scatter('CoincScatterZtfLVCPng', 'scatterplot_lvc-ztf.png', [LvcSkymapHdf5, ZtfTriggerList]);
export const CoincScatterZtfI3LvcPdf = scatter('CoincScatterZtfI3LvcPdf', 'scatterplot_lvc-i3-ztf.pdf', [LvcSkymapHdf5, IceCubeNeutrinoList, ZtfTriggerList]);
export const CoincScatterZtfI3LvcPng = scatter('CoincScatterZtfI3LvcPng', 'scatterplot_lvc-i3-ztf.png', [LvcSkymapHdf5, IceCubeNeutrinoList, ZtfTriggerList]);

export const CoincSummaryI3LvcTex = defineRule({
  name: 'CoincSummaryI3LvcTex',
  filename: 'summary_lvc-I3.tex',
  inputs: [SkymapInfo, CoincScatterI3LvcPdf, CoincSignificanceI3Lvc, IceCubeNeutrinoListTex, IceCubeNeutrinoList],
  // 2: a p-value beyond every background trial is shown as an upper bound.
  version: '2',
  description: 'LaTeX summary of the joint GW+neutrino analysis',
  generate: lazyGenerate(() => import('../summary/generate.js'), (m) => m.generateSummaryTex),
});

export const CoincSummaryI3LvcPdf = defineRule({
  name: 'CoincSummaryI3LvcPdf',
  filename: 'summary_lvc-I3.pdf',
  inputs: [CoincSummaryI3LvcTex, CoincScatterI3LvcPdf],
  description: 'The summary as a PDF',
  generate: lazyGenerate(() => import('../summary/generate.js'), (m) => m.generateSummaryPdf),
});
