/**
 * How numbers are written for people, shared by every rendering of a result (summary PDF,
 * summary_lvc-I3.tex, IceCubeNeutrinoList.tex), so that the same value never reads two ways.
 */

/** A p-value: 3 significant digits down to 1e-3, then scientific; 0 is an upper bound, never 0. */
export function formatPValue(p: number | undefined | null, resolution?: number): string {
  if (p === undefined || p === null) return 'n/a (no neutrino in the time window)';
  // No background trial reached the observed value: the p-value is an upper bound.
  if (p === 0) return resolution === undefined ? '< 1/trials (beyond every background trial)' : `< ${formatPValue(resolution)} (beyond every background trial)`;
  return p >= 1e-3 ? String(Number(p.toPrecision(3))) : p.toExponential(2);
}

/** One neutrino's p-value in a table: `n/a` when the significance gives none. */
export function formatNeutrinoPValue(p: number | undefined | null): string {
  return p === undefined || p === null ? 'n/a' : formatPValue(p);
}

/** The unit every neutrino energy is shown in (IceCube's lists give GeV). */
export const ENERGY_UNIT = 'GeV';

/** A neutrino energy in GeV: whole GeV below 10 TeV, then scientific (`2.50e+5`). */
export function formatEnergyGeV(energyGeV: number): string {
  return energyGeV >= 1e4 ? energyGeV.toExponential(2) : energyGeV.toFixed(0);
}

const TEX_SPECIALS: Readonly<Record<string, string>> = {
  '\\': '\\textbackslash{}',
  '{': '\\{',
  '}': '\\}',
  $: '\\$',
  '&': '\\&',
  '#': '\\#',
  '%': '\\%',
  _: '\\_',
  '~': '\\textasciitilde{}',
  '^': '\\textasciicircum{}',
  // With the default OT1 font encoding < and > print as ¡ and ¿.
  '<': '\\textless{}',
  '>': '\\textgreater{}',
};

/** Escape text for LaTeX. */
export function texEscape(text: string): string {
  return text.replace(/[\\{}$&#%_~^<>]/g, (c) => TEX_SPECIALS[c] ?? c);
}
