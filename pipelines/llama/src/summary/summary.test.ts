import { describe, expect, it } from 'vitest';
import { GenerationError } from '@llama/core';
import { formatFar, formatPValue, formatUtc, summaryContent, PARTIAL_MARKER } from './content.js';
import { gracedbEventUrl, gracedbSkymapUrl, llamaEventUrl } from './links.js';
import { parseSignificance } from './significance.js';
import { renderSummaryTex, summaryFromTex, texEscape } from './tex.js';

const INFO = {
  event_time_iso: '2025-01-01T10:00:00.000',
  graceid: 'S250101ab',
  far: 1e-8,
  notice_time_iso: '2025-01-01T10:01:30.000',
  pipeline: 'PYCBC',
  skymap_filename: 'bayestar.multiorder.fits,2',
  alert_type: 'gcn-initial',
};

describe('summary formatting', () => {
  it('escapes LaTeX specials', () => {
    expect(texEscape('a_b & 50% #1 {x} ~ ^ $ \\')).toBe('a\\_b \\& 50\\% \\#1 \\{x\\} \\textasciitilde{} \\textasciicircum{} \\$ \\textbackslash{}');
    expect(texEscape('p < 1e-4, x > 0')).toBe('p \\textless{} 1e-4, x \\textgreater{} 0');
  });

  it('formats p-values, FARs and times for people', () => {
    expect(formatPValue(0.0123456)).toBe('0.0123');
    expect(formatPValue(2.5e-5)).toBe('2.50e-5');
    expect(formatPValue(undefined)).toMatch(/n\/a/);
    expect(formatPValue(0, 1e-4)).toBe('< 1.00e-4 (beyond every background trial)');
    expect(formatPValue(0)).toMatch(/^< 1\/trials/);
    expect(formatFar(1 / (365.25 * 86400))).toBe('3.17e-8 Hz (one per 1 yr)');
    expect(formatFar(1 / 3600)).toMatch(/one per 1 h\)$/);
    expect(formatUtc('2025-01-01T10:00:00.000Z')).toBe('2025-01-01 10:00:00.000 UTC');
  });

  it('links superevents and events to their GraceDB pages, and the GUI only when configured', () => {
    expect(gracedbEventUrl('S250101ab', {})).toBe('https://gracedb.ligo.org/superevents/S250101ab/view/');
    expect(gracedbEventUrl('MS250101ab', {})).toBe('https://gracedb.ligo.org/superevents/MS250101ab/view/');
    expect(gracedbEventUrl('G123456', { LLAMA_GRACEDB_WEB_URL: 'https://gracedb-playground.ligo.org' })).toBe('https://gracedb-playground.ligo.org/events/G123456/view/');
    expect(gracedbSkymapUrl('S1', 'bayestar.fits.gz,0', {})).toBe('https://gracedb.ligo.org/apiweb/superevents/S1/files/bayestar.fits.gz,0');
    // A file:// mirror has no web pages; an API elsewhere has its pages beside it.
    expect(gracedbEventUrl('MS250101ab', { LLAMA_GRACEDB_URL: 'file:///srv/mirror/api/' })).toBeUndefined();
    expect(gracedbSkymapUrl('MS250101ab', 'bayestar.fits.gz,0', { LLAMA_GRACEDB_URL: 'file:///srv/mirror/' })).toBeUndefined();
    expect(gracedbEventUrl('S1', { LLAMA_GRACEDB_URL: 'https://gracedb-test.ligo.org/api' })).toBe('https://gracedb-test.ligo.org/superevents/S1/view/');
    expect(gracedbEventUrl('S1', { LLAMA_GRACEDB_URL: 'file:///srv/mirror/', LLAMA_GRACEDB_WEB_URL: 'https://gracedb.ligo.org' })).toBe('https://gracedb.ligo.org/superevents/S1/view/');
    expect(llamaEventUrl('/srv/llama/current_run', 'S1', {})).toBeUndefined();
    expect(llamaEventUrl('/srv/llama/current_run', 'S1', { LLAMA_DOMAIN: 'llama.example.org' })).toBe('https://llama.example.org/current_run/S1');
  });
});

describe('significance input', () => {
  it('accepts a null combined result (no neutrinos)', () => {
    const parsed = parseSignificance({ outputs: { neutrino_gw_triggers: [], neutrino_gw_combined: null } }, 'sig.json');
    expect(parsed.combinedPValue).toBeUndefined();
    expect(parsed.neutrinos).toEqual([]);
  });

  it('names the file and every problem', () => {
    expect(() => parseSignificance({}, 'sig.json')).toThrow(/sig\.json: the significance file has no "outputs" object/);
    expect(() => parseSignificance({ outputs: { neutrino_gw_triggers: [{ ra: 'x' }], neutrino_gw_combined: { p_value: 'low' } } }, 'sig.json')).toThrow(
      GenerationError,
    );
    expect(() => parseSignificance({ outputs: { neutrino_gw_triggers: [{ ra: 'x' }] } }, 'sig.json')).toThrow(/neutrino_gw_triggers\[0\] needs numeric "ra" and "dec"/);
  });
});

describe('the .tex carries its own content for the PDF', () => {
  const content = summaryContent({
    info: INFO,
    eventId: 'S250101ab',
    runDir: '/srv/run',
    significance: { combinedPValue: 0.5, combinedOddsRatio: 1e-3, neutrinos: [{ ra: 10, dec: 20, dt: 3, pValue: 0.5, oddsRatio: 1e-3 }] },
    neutrinos: { triggers: [{ mjd: 60676.41670, ra: 10, dec: 20, sigma: 1.5, energy: 2e5, run: '1', event: '2' }], complete: false },
    env: {},
  });

  it('round-trips through the TeX comment block, even with line terminators in values', () => {
    const odd = { ...content, figureCaption: `${content.figureCaption} \u2028 % 100% _x_` };
    const tex = renderSummaryTex(odd, '\\begin{table}\\end{table}');
    expect(summaryFromTex(tex, 'summary.tex')).toEqual(odd);
  });

  it('puts the marker in the title while neutrinos are incomplete', () => {
    expect(content.marker).toBe(PARTIAL_MARKER);
    expect(renderSummaryTex(content, '')).toContain(`\\title{Joint GW+Neutrino Analysis Summary for S250101ab \\\\ ${PARTIAL_MARKER}}`);
  });

  it('lists each neutrino with the significance matched by direction', () => {
    expect(content.neutrinoRows).toEqual([['1', '1:2', '3.00', '10.00', '20.00', '1.50', '2.00e+5', '1.00e-3', '0.5']]);
  });

  it('rejects a data block edited into invalid JSON', () => {
    const tex = renderSummaryTex(content, '').replace('"schema":1', '"schema":1,,');
    expect(() => summaryFromTex(tex, 'summary.tex')).toThrow(/summary\.tex: the summary data block is not valid JSON/);
  });
});
