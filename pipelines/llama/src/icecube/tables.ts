import { readFile, writeFile } from 'node:fs/promises';
import { GenerationError, type GenerateContext } from '@llama/core';
import { eventGps, readSkymapInfo } from '../skymap-info.js';
import { ENERGY_UNIT, formatEnergyGeV, formatNeutrinoPValue, texEscape } from '../report-format.js';
import { mjdToGps } from '../time/gps.js';
import { PARTIAL_RESULT_MARKER, readNeutrinoList, type NeutrinoList } from './types.js';

/**
 * The 3.5.1 neutrino tables (llama/files/i3/txt.py, tex.py): a fixed-width ASCII table for GCN
 * Circulars (`dt[s] RA[deg] Dec[deg] E[TeV] Sigma[deg]`, 12 wide, a dashed rule, numbered rows),
 * the same with a `P Value` column (8 decimals), and a LaTeX table* for the summary, whose
 * energies (GeV) and p-values read exactly as in the summary PDF (report-format.ts).
 * While the neutrino list is incomplete, each table carries the 3.5.1 partial-result marker.
 */

const WIDTH = 12;

interface Row {
  readonly dt: number;
  readonly ra: number;
  readonly dec: number;
  readonly energyTeV: number;
  readonly energyGeV: number;
  readonly sigma: number;
}

function rows(list: NeutrinoList, gwGps: number): Row[] {
  return list.triggers.map((n) => ({
    dt: mjdToGps(n.mjd) - gwGps,
    ra: n.ra,
    dec: n.dec,
    energyTeV: n.energy / 1000,
    energyGeV: n.energy,
    sigma: n.sigma,
  }));
}

export function formatNeutrinoTxt(list: NeutrinoList, gwGps: number, pValues?: readonly (number | null)[], model?: string): string {
  const columns = ['dt[s]', 'RA[deg]', 'Dec[deg]', 'E[TeV]', 'Sigma[deg]', ...(pValues === undefined ? [] : ['P Value'])];
  const lines: string[] = [];
  if (!list.complete) lines.push(`# ${PARTIAL_RESULT_MARKER}`);
  if (model !== undefined) lines.push(`# p-values: neutrino model ${model}`);
  lines.push(`#${' '.repeat(3)}${columns.map((c) => c.padStart(WIDTH)).join('')}`);
  lines.push('-'.repeat(4 + WIDTH * columns.length));
  rows(list, gwGps).forEach((r, i) => {
    const cells = [r.dt, r.ra, r.dec, r.energyTeV, r.sigma].map((v) => v.toFixed(2).padStart(WIDTH));
    if (pValues !== undefined) {
      const p = pValues[i];
      cells.push((p === null || p === undefined ? 'n/a' : p.toFixed(8)).padStart(WIDTH));
    }
    lines.push(`${String(i + 1).padEnd(4)}${cells.join('')}`);
  });
  return `${lines.join('\n')}\n`;
}

export function formatNeutrinoTex(list: NeutrinoList, gwGps: number, graceid: string, pValues: readonly (number | null)[], model?: string): string {
  const body = rows(list, gwGps).map((r, i) => {
    const p = pValues[i];
    // The same formats and unit as the summary PDF's neutrino table (report-format.ts).
    const cells = [String(i + 1), r.dt.toFixed(2), r.ra.toFixed(2), r.dec.toFixed(2), formatEnergyGeV(r.energyGeV), r.sigma.toFixed(2), texEscape(formatNeutrinoPValue(p))];
    return `${cells.join(' & ')} \\\\`;
  });
  const partial = list.complete ? '' : ` \\textbf{${PARTIAL_RESULT_MARKER}.}`;
  const modelNote = model === undefined ? '' : ` Neutrino model: ${texEscape(model)}.`;
  return [
    '\\begin{table*}[h]',
    '\\centering',
    '\\begin{tabular}{ccccccc}',
    '\\hline',
    `No. & $t_\\nu - t_\\mathrm{GW}$ [s] & RA [deg] & Dec [deg] & E [${ENERGY_UNIT}] & $\\sigma$ [deg] & P-Value \\\\`,
    '\\hline',
    ...(body.length === 0 ? ['\\multicolumn{7}{c}{No IceCube neutrinos within $\\pm 500$ s.} \\\\'] : body),
    '\\hline',
    '\\end{tabular}',
    `\\caption{IceCube neutrinos within $\\pm 500$ s of ${texEscape(graceid)}, with the per-neutrino p-values of the joint GW+neutrino analysis.${modelNote}${partial}}`,
    '\\end{table*}',
    '',
  ].join('\n');
}

/** Per-neutrino p-values from `significance_lvc-i3.json`, matched to the list by position. */
export async function readPerNeutrinoPValues(path: string, list: NeutrinoList): Promise<(number | null)[]> {
  return (await readSignificancePValues(path, list)).pValues;
}

/** The p-values and the name of the neutrino model that made them. */
export async function readSignificancePValues(path: string, list: NeutrinoList): Promise<{ pValues: (number | null)[]; model: string | undefined }> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new GenerationError(`${path}: cannot read the significance file as JSON`, { cause });
  }
  const triggers = (raw as { outputs?: { neutrino_gw_triggers?: unknown } } | null)?.outputs?.neutrino_gw_triggers;
  if (!Array.isArray(triggers)) throw new GenerationError(`${path}: missing outputs.neutrino_gw_triggers`);
  if (triggers.length !== list.triggers.length) {
    throw new GenerationError(`${path}: has ${triggers.length} neutrinos but the neutrino list has ${list.triggers.length}; the significance is out of date`);
  }
  const pValues = triggers.map((t: unknown) => {
    const p = (t as { p_value?: unknown } | null)?.p_value;
    return typeof p === 'number' && Number.isFinite(p) ? p : null;
  });
  const model = (raw as { model?: unknown }).model;
  return { pValues, model: typeof model === 'string' ? model : undefined };
}

export async function generateNeutrinoTxt(ctx: GenerateContext): Promise<void> {
  const list = await readNeutrinoList(ctx.inputs['IceCubeNeutrinoList'] as string);
  const gwGps = eventGps(await readSkymapInfo(ctx.inputs['SkymapInfo'] as string));
  await writeFile(ctx.outputPath, formatNeutrinoTxt(list, gwGps));
}

export async function generateNeutrinoCoincTxt(ctx: GenerateContext): Promise<void> {
  const list = await readNeutrinoList(ctx.inputs['IceCubeNeutrinoList'] as string);
  const gwGps = eventGps(await readSkymapInfo(ctx.inputs['SkymapInfo'] as string));
  const { pValues, model } = await readSignificancePValues(ctx.inputs['CoincSignificanceI3Lvc'] as string, list);
  await writeFile(ctx.outputPath, formatNeutrinoTxt(list, gwGps, pValues, model));
}

export async function generateNeutrinoTex(ctx: GenerateContext): Promise<void> {
  const list = await readNeutrinoList(ctx.inputs['IceCubeNeutrinoList'] as string);
  const info = await readSkymapInfo(ctx.inputs['SkymapInfo'] as string);
  const { pValues, model } = await readSignificancePValues(ctx.inputs['CoincSignificanceI3Lvc'] as string, list);
  await writeFile(ctx.outputPath, formatNeutrinoTex(list, eventGps(info), info.graceid, pValues, model));
}
