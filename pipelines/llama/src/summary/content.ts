import { GenerationError } from '@llama/core';
import type { Neutrino, NeutrinoList } from '../plots/messengers.js';
import type { SkymapInfoData } from '../skymap-info.js';
import { gpsToMjd, isoToGps, mjdToGps } from '../time/gps.js';
import { ENERGY_UNIT, formatEnergyGeV, formatNeutrinoPValue, formatPValue } from '../report-format.js';
import { gracedbEventUrl, gracedbSkymapUrl, llamaEventUrl } from './links.js';
import type { NeutrinoSignificance, Significance } from './significance.js';

export { formatEnergyGeV, formatPValue } from '../report-format.js';

export const PARTIAL_MARKER = 'PARTIAL RESULT: MORE ICECUBE EVENTS INCOMING';
export const SCATTER_PDF = 'scatterplot_lvc-i3.pdf';

export interface ParameterRow {
  readonly label: string;
  readonly value: string;
  /** The value is a link. */
  readonly url?: boolean;
}

/** What the summary says, shared by the LaTeX and the pdfkit renderings. */
export interface SummaryContent {
  readonly schema: 1;
  readonly graceid: string;
  readonly eventId: string;
  readonly title: string;
  /** The completeness marker under the title; undefined once the neutrino list is complete. */
  readonly marker: string | undefined;
  readonly figureFile: string;
  readonly figureCaption: string;
  readonly parameters: readonly ParameterRow[];
  readonly parametersCaption: string;
  readonly neutrinoColumns: readonly string[];
  readonly neutrinoRows: readonly (readonly string[])[];
  readonly neutrinoCaption: string;
}

function humanInterval(seconds: number): string {
  const year = 365.25 * 86400;
  const units: [number, string][] = [[year, 'yr'], [86400, 'd'], [3600, 'h'], [60, 'min'], [1, 's']];
  for (const [size, name] of units) {
    if (seconds >= size) return `${Number((seconds / size).toPrecision(3))} ${name}`;
  }
  return `${Number(seconds.toPrecision(3))} s`;
}

export function formatFar(farHz: number): string {
  if (farHz <= 0) return '0 Hz';
  return `${farHz.toExponential(2)} Hz (one per ${humanInterval(1 / farHz)})`;
}

/** `2025-01-01T10:00:00.000` → `2025-01-01 10:00:00.000 UTC`. */
export function formatUtc(iso: string): string {
  const trimmed = iso.replace(/Z$/, '').replace('T', ' ');
  return `${trimmed} UTC`;
}

/**
 * The significance entry of a neutrino, matched by direction (the list order may differ), else
 * the entry at the same position with the same time and σ: 3.5.1's significance reports RA/Dec
 * recomputed from (mjd, zenith, azimuth), which differ from the list's.
 */
function matchSignificance(neutrino: Neutrino, entries: readonly NeutrinoSignificance[], index: number, dt: number): NeutrinoSignificance | undefined {
  const byDirection = entries.find((entry) => Math.abs(entry.ra - neutrino.ra) < 1e-6 && Math.abs(entry.dec - neutrino.dec) < 1e-6);
  if (byDirection !== undefined) return byDirection;
  const entry = entries[index];
  const same = entry !== undefined && entry.dt !== undefined && Math.abs(entry.dt - dt) < 1e-3 && (entry.sigma === undefined || entry.sigma === neutrino.sigma);
  return same ? entry : undefined;
}

export interface SummaryInputs {
  readonly info: SkymapInfoData;
  readonly eventId: string;
  readonly runDir: string;
  readonly significance: Significance;
  readonly neutrinos: NeutrinoList;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export function summaryContent(inputs: SummaryInputs): SummaryContent {
  const { info, eventId, runDir, significance, neutrinos, env } = inputs;
  let eventGps: number;
  try {
    eventGps = isoToGps(info.event_time_iso);
  } catch (cause) {
    throw new GenerationError(`skymap_info.json: event_time_iso ${JSON.stringify(info.event_time_iso)} is not a time`, { cause });
  }
  // A link row only where the link has a target (no GraceDB page for a file:// mirror's events,
  // no LLAMA page without LLAMA_GUI_URL): a dead or placeholder link misleads whoever clicks it.
  const link = (label: string, url: string | undefined): ParameterRow[] => (url === undefined ? [] : [{ label, value: url, url: true }]);
  const parameters: ParameterRow[] = [
    { label: 'LLAMA p-value', value: formatPValue(significance.combinedPValue, significance.combinedPValueResolution) },
    { label: 'GW FAR', value: formatFar(info.far) },
    { label: 'GW pipeline', value: info.pipeline },
    { label: 'Alert type', value: info.alert_type },
    { label: 'GW event time (UTC)', value: formatUtc(info.event_time_iso) },
    { label: 'GW event time (MJD)', value: gpsToMjd(eventGps).toFixed(6) },
    { label: 'GW event time (GPS)', value: eventGps.toFixed(3) },
    { label: 'Notice time (UTC)', value: formatUtc(info.notice_time_iso) },
    { label: 'GraceID', value: info.graceid },
    ...link('GraceDB page', gracedbEventUrl(info.graceid, env)),
    { label: 'Skymap filename', value: info.skymap_filename },
    ...link('Skymap download URL', gracedbSkymapUrl(info.graceid, info.skymap_filename, env)),
    { label: 'LLAMA event ID', value: eventId },
    ...link('LLAMA event page', llamaEventUrl(runDir, eventId, env)),
  ];
  const neutrinoRows = neutrinos.triggers.map((neutrino, index) => {
    const result = matchSignificance(neutrino, significance.neutrinos, index, mjdToGps(neutrino.mjd) - eventGps);
    const dt = result?.dt ?? mjdToGps(neutrino.mjd) - eventGps;
    const id = neutrino.run !== undefined || neutrino.event !== undefined ? `${neutrino.run ?? '?'}:${neutrino.event ?? '?'}` : 'n/a';
    return [
      String(index + 1),
      id,
      dt.toFixed(2),
      neutrino.ra.toFixed(2),
      neutrino.dec.toFixed(2),
      neutrino.sigma.toFixed(2),
      formatEnergyGeV(neutrino.energy),
      result?.oddsRatio === undefined ? 'n/a' : result.oddsRatio.toExponential(2),
      formatNeutrinoPValue(result?.pValue),
    ];
  });
  const count = neutrinos.triggers.length;
  return {
    schema: 1,
    graceid: info.graceid,
    eventId,
    title: `Joint GW+Neutrino Analysis Summary for ${info.graceid}`,
    marker: neutrinos.complete ? undefined : PARTIAL_MARKER,
    figureFile: SCATTER_PDF,
    figureCaption:
      `Joint GW + high-energy neutrino skymap. Used skymap ${info.skymap_filename}. ` +
      'Neutrino numbers on the skymap correspond to row numbers in the neutrino table.',
    parameters,
    parametersCaption: 'The final p-value of the LLAMA analysis is noted at the top of the table. GW event parameters are shown below.',
    neutrinoColumns: ['#', 'Run:Event', 'dt [s]', 'RA [deg]', 'Dec [deg]', 'Unc. [deg]', `E [${ENERGY_UNIT}]`, 'Odds ratio', 'p-value'],
    neutrinoRows,
    neutrinoCaption:
      count === 0
        ? `No IceCube neutrino within the time window${neutrinos.complete ? '' : ' so far'}.`
        : `IceCube neutrinos (${count}) within the time window; dt is the neutrino time minus the GW event time, Unc. the 1-sigma angular uncertainty.`,
  };
}
