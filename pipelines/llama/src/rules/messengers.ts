import { defineRule } from '@llama/core';
import { alwaysVeto } from '../vetoes.js';
import { lazyGenerate } from './lazy.js';
import { SkymapInfo } from './triggers.js';

/** Group C: other messengers (tables that need the significance live in significance.ts). */

export const IceCubeNeutrinoList = defineRule({
  name: 'IceCubeNeutrinoList',
  filename: 'icecube_neutrino_list.json',
  inputs: [SkymapInfo],
  pool: { name: 'icecube', concurrency: 2 },
  // 2: zenith/azimuth ↔ RA/Dec with 3.5.1's astropy transform (precession, nutation, aberration).
  version: '2',
  description: 'IceCube neutrinos within ±500 s of the GW time: {"triggers": [...], "complete": bool}',
  // I3Live retries (3.5.1: 10 × 30 s) fit in this; the engine's cooldown retries beyond it.
  timeoutSeconds: 120,
  generate: lazyGenerate(() => import('../icecube/rule.js'), (m) => m.generateIceCubeNeutrinoList),
});

export const IceCubeNeutrinoListTxt = defineRule({
  name: 'IceCubeNeutrinoListTxt',
  filename: 'icecube_neutrino_list.txt',
  inputs: [IceCubeNeutrinoList, SkymapInfo],
  description: 'Fixed-width neutrino table for GCN Circulars',
  generate: lazyGenerate(() => import('../icecube/tables.js'), (m) => m.generateNeutrinoTxt),
});

export const FermiGRBsJSON = defineRule({
  name: 'FermiGRBsJSON',
  filename: 'fermi_grbs.json',
  inputs: [SkymapInfo],
  description: 'Fermi GRBs within ±500 s of the GW time: [{time, ra, dec, sigma}]',
  generate: lazyGenerate(() => import('../fermi/index.js'), (m) => m.generateFermiGrbs),
});

export const ZtfTriggerList = defineRule({
  name: 'ZtfTriggerList',
  filename: 'ztf_trigger_list.json',
  inputs: [SkymapInfo],
  vetoes: [alwaysVeto],
  description: 'ZTF triggers; manual only (automatic generation writes a permanent veto)',
  generate: lazyGenerate(() => import('../fermi/ztf.js'), (m) => m.generateZtfTriggerList),
});
