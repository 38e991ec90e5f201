import { defineRule } from '@llama/core';
import { alwaysVeto } from '../vetoes.js';
import { notYetImplemented } from './not-implemented.js';
import { SkymapInfo } from './triggers.js';

/** Group C: other messengers (tables that need the significance live in significance.ts). */

export const IceCubeNeutrinoList = defineRule({
  name: 'IceCubeNeutrinoList',
  filename: 'icecube_neutrino_list.json',
  inputs: [SkymapInfo],
  pool: { name: 'icecube', concurrency: 2 },
  description: 'IceCube neutrinos within ±500 s of the GW time: {"triggers": [...], "complete": bool}',
  generate: notYetImplemented('IceCubeNeutrinoList'),
});

export const IceCubeNeutrinoListTxt = defineRule({
  name: 'IceCubeNeutrinoListTxt',
  filename: 'icecube_neutrino_list.txt',
  inputs: [IceCubeNeutrinoList, SkymapInfo],
  description: 'Fixed-width neutrino table for GCN Circulars',
  generate: notYetImplemented('IceCubeNeutrinoListTxt'),
});

export const FermiGRBsJSON = defineRule({
  name: 'FermiGRBsJSON',
  filename: 'fermi_grbs.json',
  inputs: [SkymapInfo],
  description: 'Fermi GRBs within ±500 s of the GW time: [{time, ra, dec, sigma}]',
  generate: notYetImplemented('FermiGRBsJSON'),
});

export const ZtfTriggerList = defineRule({
  name: 'ZtfTriggerList',
  filename: 'ztf_trigger_list.json',
  inputs: [SkymapInfo],
  vetoes: [alwaysVeto],
  description: 'ZTF triggers; manual only (automatic generation writes a permanent veto)',
  generate: notYetImplemented('ZtfTriggerList'),
});
