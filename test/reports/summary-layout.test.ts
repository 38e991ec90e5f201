/**
 * Rendering tests of the summary (summary_lvc-I3.tex and .pdf, made by the rules as the engine
 * would): one page for up to 10 neutrinos with no text overlapping, the same p-value format and
 * energy unit in the TeX and the PDF, and no link without a target.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PDFDocument, rgb } from 'pdf-lib';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { describe, expect, it } from 'vitest';
import * as plots from '../../pipelines/llama/src/rules/plots.js';
import * as significanceRules from '../../pipelines/llama/src/rules/significance.js';
import { syntheticSkymap } from '../../pipelines/llama/src/plots/synthetic.js';
import { writeSkymapHdf5 } from '../../pipelines/llama/src/skymap/hdf5.js';
import { renderSummaryPdf } from '../../pipelines/llama/src/summary/pdf.js';
import { summaryFromTex } from '../../pipelines/llama/src/summary/tex.js';
import { contextFor, makeEvent, SKYMAP_INFO, type TempEvent } from './context.js';

/** The longest p-value text the summary writes (a bound beyond every background trial). */
const LONGEST_P = '< 1/trials (beyond every background trial)';
const GUI = { LLAMA_GUI_URL: 'https://llama.example.org/events' };

interface Summary {
  readonly event: TempEvent;
  readonly tex: string;
  readonly pdf: Buffer;
}

/** Make the sky plot, the neutrino table and the summary for `count` neutrinos with the rules. */
async function summaryFor(count: number, env: Record<string, string> = GUI, eventId = `S250101n${count}`): Promise<Summary> {
  const event = makeEvent(eventId);
  await writeSkymapHdf5(
    syntheticSkymap(5, [{ ra: 150, dec: 20, kappa: 200 }], { objectId: 'S250101ab', dateObs: '2025-01-01T10:00:00.000' }),
    join(event.eventDir, 'lvc_skymap.hdf5'),
  );
  const triggers = Array.from({ length: count }, (_, i) => ({
    mjd: 60676.4166 + i * 1e-4,
    ra: 140 + 2.5 * i,
    dec: 12 + i,
    sigma: 1.1 + i / 10,
    energy: 1200 * 10 ** (i / 3),
    zenith: 100,
    azimuth: 30,
    type: 'observation',
    // IceCube event numbers run to 8 digits.
    run: '140123',
    event: String(12345678 + i),
  }));
  event.write('skymap_info.json', JSON.stringify(SKYMAP_INFO));
  event.write('icecube_neutrino_list.json', JSON.stringify({ triggers, complete: false }));
  event.write(
    'significance_lvc-i3.json',
    JSON.stringify({
      outputs: {
        // Every other neutrino beyond every background trial: the longest p-value text.
        neutrino_gw_triggers: triggers.map((t, i) => ({ ra: t.ra, dec: t.dec, dt: -12.5 + i, odds_ratio: 3e-2, p_value: i % 2 === 1 ? 0 : 1.57e-5 })),
        neutrino_gw_combined: count === 0 ? null : { odds_ratio: 3e-2, p_value: 0 },
      },
    }),
  );
  const run = async (rule: (typeof plots)[keyof typeof plots]) => {
    const { ctx, outputPath } = contextFor(rule, event, { env });
    await rule.generate(ctx);
    const bytes = readFileSync(outputPath);
    writeFileSync(join(event.eventDir, rule.filename), bytes);
    return bytes;
  };
  await run(plots.CoincScatterI3LvcPdf);
  await run(significanceRules.IceCubeNeutrinoListTex);
  const tex = (await run(plots.CoincSummaryI3LvcTex)).toString('utf8');
  const pdf = await run(plots.CoincSummaryI3LvcPdf);
  return { event, tex, pdf };
}

interface TextBox {
  readonly page: number;
  readonly text: string;
  readonly left: number;
  readonly right: number;
  /** From the top of the page, pt. */
  readonly top: number;
  readonly bottom: number;
}

/** Every piece of text pdf.js finds, with its box (ascent 0.8, descent 0.2 of the font size). */
async function textBoxes(pdf: Uint8Array): Promise<{ pages: number; width: number; height: number; boxes: TextBox[] }> {
  const doc = await getDocument({ data: new Uint8Array(pdf), useSystemFonts: false, verbosity: 0 }).promise;
  const boxes: TextBox[] = [];
  let width = 0;
  let height = 0;
  try {
    for (let p = 1; p <= doc.numPages; p++) {
      const page = await doc.getPage(p);
      const [, , w, h] = page.view as [number, number, number, number];
      width = w;
      height = h;
      for (const item of (await page.getTextContent()).items) {
        if (!('str' in item) || item.str.trim() === '') continue;
        const baseline = h - item.transform[5];
        boxes.push({ page: p, text: item.str, left: item.transform[4], right: item.transform[4] + item.width, top: baseline - 0.8 * item.height, bottom: baseline + 0.2 * item.height });
      }
    }
    return { pages: doc.numPages, width, height, boxes };
  } finally {
    await doc.destroy();
  }
}

const overlaps = (a: TextBox, b: TextBox, slack = 0.3): boolean =>
  a.page === b.page && a.left < b.right - slack && b.left < a.right - slack && a.top < b.bottom - slack && b.top < a.bottom - slack;
const same = (a: TextBox, b: TextBox): boolean => a.page === b.page && a.text === b.text && Math.abs(a.left - b.left) < 0.01 && Math.abs(a.top - b.top) < 0.01;

describe('summary_lvc-I3.pdf layout', () => {
  it.each([0, 1, 3, 10])('is one page with nothing overlapping for %i neutrinos', async (count) => {
    const { event, tex, pdf } = await summaryFor(count);
    const rendered = await textBoxes(pdf);
    expect(rendered.pages).toBe(1);

    // The summary's own text: the same summary rendered around a blank page of the sky plot's size.
    const scatter = await PDFDocument.load(readFileSync(join(event.eventDir, 'scatterplot_lvc-i3.pdf')));
    const blank = await PDFDocument.create();
    const { width, height } = scatter.getPage(0).getSize();
    // A white dot: pdf-lib embeds no page without contents.
    blank.addPage([width, height]).drawRectangle({ x: 0, y: 0, width: 1, height: 1, color: rgb(1, 1, 1) });
    const own = (await textBoxes(await renderSummaryPdf(summaryFromTex(tex, 'summary.tex'), await blank.save(), 'blank.pdf'))).boxes;
    const plot = rendered.boxes.filter((box) => !own.some((mine) => same(mine, box)));
    expect(own.length).toBeGreaterThan(30);
    expect(plot.some((box) => box.text.includes('GW skymap and IceCube neutrinos'))).toBe(true);

    for (const [i, a] of own.entries()) {
      for (const b of own.slice(i + 1)) expect(overlaps(a, b), `"${a.text}" overlaps "${b.text}"`).toBe(false);
    }
    for (const box of rendered.boxes) {
      expect(box.left >= 0 && box.right <= rendered.width && box.top >= 0 && box.bottom <= rendered.height, `"${box.text}" leaves the page`).toBe(true);
    }
    // The sky plot sits between the title block and its caption, clear of every line of text.
    const titleBottom = Math.max(...own.filter((box) => box.text === 'LLAMA Group').map((box) => box.bottom));
    const captionTop = Math.min(...own.filter((box) => box.text.startsWith('Figure 1')).map((box) => box.top));
    for (const box of plot) expect(box.top >= titleBottom && box.bottom <= captionTop, `sky plot text "${box.text}" outside its box`).toBe(true);

    const texts = own.map((box) => box.text);
    expect(texts).toContain('Table 2:');
    if (count > 0) {
      expect(texts).toContain(LONGEST_P);
      expect(texts).toContain(String(count));
      expect(texts).toContain(`140123:${12345678 + count - 1}`);
    }
  }, 60_000);
});

describe('the summary TeX and PDF say the same', () => {
  it('writes p-values and energies in one format and one unit (GeV) in both', async () => {
    const { tex, pdf } = await summaryFor(3, GUI, 'S250101fmt');
    const text = (await textBoxes(pdf)).boxes.map((box) => box.text);
    // Neutrino 1: 1200 GeV, p = 1.57e-5; neutrino 2: 2585 GeV, beyond every trial; neutrino 3: 5570 GeV.
    expect(tex).toMatch(/\\begin\{tabular\}[\s\S]*E \[GeV\]/);
    expect(tex).not.toContain('TeV');
    expect(tex).toMatch(/^1 & [^\n]* & 1200 & [^\n]* & 1\.57e-5 \\\\$/m);
    expect(tex).toMatch(/^2 & [^\n]* & 2585 & [^\n]* & \\textless\{\} 1\/trials \(beyond every background trial\) \\\\$/m);
    expect(tex).not.toContain('0.0000');
    expect(text).toContain('E [GeV]');
    for (const cell of ['1200', '2585', '5570', '1.57e-5', LONGEST_P]) expect(text, cell).toContain(cell);
  }, 60_000);

  it('omits the GraceDB links of events read from a file:// mirror and the LLAMA link without LLAMA_GUI_URL', async () => {
    const { tex, pdf } = await summaryFor(1, { LLAMA_GRACEDB_URL: 'file:///srv/gracedb-mirror/api/' }, 'MS250101mirror');
    const text = (await textBoxes(pdf)).boxes.map((box) => box.text).join('\n');
    for (const absent of ['gracedb.ligo.org', 'GraceDB page', 'Skymap download URL', 'LLAMA event page', 'not configured', 'LLAMA_GUI_URL']) {
      expect(text, absent).not.toContain(absent);
      expect(tex, absent).not.toContain(absent);
    }
    expect(text).toContain('bayestar.multiorder.fits,1');
  }, 60_000);

  it('links the GraceDB pages and the LLAMA event page when they have a target', async () => {
    const { tex, pdf } = await summaryFor(1, GUI, 'S250101link');
    const text = (await textBoxes(pdf)).boxes.map((box) => box.text).join('\n');
    expect(text).toContain('https://gracedb.ligo.org/superevents/S250101ab/view/');
    expect(text).toMatch(/https:\/\/llama\.example\.org\/events\/llama-reports-\w+\/S250101link/);
    expect(tex).toContain('\\url{https://llama.example.org/events/');
  }, 60_000);
});
