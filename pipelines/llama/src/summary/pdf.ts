import { execFile } from 'node:child_process';
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GenerationError } from '@llama/core';
import PDFDocument from 'pdfkit';
import { PDFDocument as PdfLibDocument } from 'pdf-lib';
import { FIXED_PDF_DATE, pdfBuffer } from '../plots/render.js';
import type { SummaryContent } from './content.js';

const execFileAsync = promisify(execFile);

const PAGE = { width: 595.28, height: 841.89 }; // A4, pt
const MARGIN_X = 50;
const MARGIN_Y = 40;
const TEXT_WIDTH = PAGE.width - 2 * MARGIN_X;
const BOTTOM = PAGE.height - MARGIN_Y;
/** The sky plot never shrinks below this height; only a long neutrino table then runs on. */
const MIN_FIGURE_HEIGHT = 200;
const GAP = 10;
const INK = '#1a1a1a';
const LINK = '#0b57d0';
const RULE = '#888888';
const BODY_SIZE = 9;
const TABLE_SIZE = 8;

interface Placement {
  readonly page: number;
  readonly x: number;
  /** From the top of the page, pt. */
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** A piece of the page measured before it is drawn, so that the layout can be planned whole. */
interface Block {
  readonly height: number;
  draw(top: number): void;
}

type Font = 'Helvetica' | 'Helvetica-Bold';

function measure(doc: PDFKit.PDFDocument, text: string, font: Font, size: number, width: number): number {
  return doc.font(font).fontSize(size).heightOfString(text, { width });
}

function centred(doc: PDFKit.PDFDocument, text: string, font: Font, size: number, color: string): Block {
  return {
    height: measure(doc, text, font, size, TEXT_WIDTH),
    draw: (top) => void doc.font(font).fontSize(size).fillColor(color).text(text, MARGIN_X, top, { width: TEXT_WIDTH, align: 'center' }),
  };
}

/** "Figure 1: caption…": the bold label, then the caption from its end on (pdfkit's first-line indent). */
function caption(doc: PDFKit.PDFDocument, label: string, text: string): Block {
  const indent = doc.font('Helvetica-Bold').fontSize(BODY_SIZE).widthOfString(label);
  return {
    height: doc.font('Helvetica').fontSize(BODY_SIZE).heightOfString(text, { width: TEXT_WIDTH, indent }),
    draw: (top) => {
      doc.font('Helvetica-Bold').fontSize(BODY_SIZE).fillColor(INK).text(label, MARGIN_X, top, { lineBreak: false });
      doc.font('Helvetica').text(text, MARGIN_X, top, { width: TEXT_WIDTH, indent });
    },
  };
}

interface Cell {
  readonly text: string;
  readonly align: 'left' | 'right';
  readonly link?: boolean;
}

/**
 * One table row: every cell wraps within its column and the row is as tall as its tallest cell,
 * so a long value (a p-value bound, a URL) takes more lines, never the next row's place.
 */
function tableRow(doc: PDFKit.PDFDocument, cells: readonly Cell[], widths: readonly number[], font: Font, size: number, options: { rule: 'below' | 'none'; divider?: number }): Block {
  const pad = 1.5;
  const innerWidths = widths.map((w) => w - 2 * pad);
  const height = Math.max(...cells.map((cell, i) => measure(doc, cell.text, font, size, innerWidths[i]!))) + 2 * pad + 1;
  return {
    height,
    draw: (top) => {
      let x = MARGIN_X;
      cells.forEach((cell, i) => {
        doc.font(font).fontSize(size).fillColor(cell.link ? LINK : INK);
        doc.text(cell.text, x + pad, top + pad, { width: innerWidths[i]!, align: cell.align, ...(cell.link ? { link: cell.text, underline: false } : {}) });
        x += widths[i]!;
      });
      if (options.divider !== undefined) {
        doc.moveTo(MARGIN_X + options.divider, top).lineTo(MARGIN_X + options.divider, top + height).lineWidth(0.5).strokeColor(RULE).stroke();
      }
      if (options.rule === 'below') {
        doc.moveTo(MARGIN_X, top + height).lineTo(MARGIN_X + TEXT_WIDTH, top + height).lineWidth(0.5).strokeColor(RULE).stroke();
      }
    },
  };
}

/**
 * Neutrino table column widths (pt, scaled to the text width): the p-value column holds the
 * longest p-value text, "< 1/trials (beyond every background trial)", on one line at TABLE_SIZE.
 */
const NEUTRINO_WIDTHS = [14, 72, 34, 40, 40, 44, 38, 48, 165];

/**
 * Lay out the summary on one A4 page: the title, the sky plot, the parameter table and the
 * neutrino table with their captions. Every block is measured first and the sky plot gets the
 * height that is left (at most the full text width), so that up to 10 neutrinos fit on the page.
 * A longer neutrino table runs on to further pages, its header repeated and its caption kept with
 * its last row. Returns the sky plot's box.
 */
function layoutSummary(doc: PDFKit.PDFDocument, content: SummaryContent, figureAspect: number): Placement {
  const header: Block[] = [centred(doc, content.title, 'Helvetica-Bold', 15, INK)];
  if (content.marker !== undefined) header.push(centred(doc, content.marker, 'Helvetica-Bold', 11, '#c00000'));
  header.push(centred(doc, 'LLAMA Group', 'Helvetica', 10, INK));

  const figureCaption = caption(doc, 'Figure 1: ', content.figureCaption);
  const labelWidth = 130;
  const parameters = content.parameters.map((row, index) =>
    tableRow(
      doc,
      [
        { text: row.label, align: 'left' },
        { text: row.value, align: 'left', link: row.url === true },
      ],
      [labelWidth, TEXT_WIDTH - labelWidth],
      index === 0 ? 'Helvetica-Bold' : 'Helvetica',
      BODY_SIZE,
      { rule: index < content.parameters.length - 1 ? 'below' : 'none', divider: labelWidth },
    ),
  );
  const parametersCaption = caption(doc, 'Table 1: ', content.parametersCaption);
  const scale = TEXT_WIDTH / NEUTRINO_WIDTHS.reduce((a, b) => a + b, 0);
  const columns = NEUTRINO_WIDTHS.map((w) => w * scale);
  const neutrinoCells = (cells: readonly string[]): Cell[] => cells.map((text, i) => ({ text, align: i === 1 ? 'left' : 'right' }));
  const neutrinoHeader = tableRow(doc, neutrinoCells(content.neutrinoColumns), columns, 'Helvetica-Bold', TABLE_SIZE, { rule: 'below' });
  const rows = (content.neutrinoRows.length > 0 ? content.neutrinoRows : [['', 'none', '', '', '', '', '', '', '']]).map((cells) =>
    tableRow(doc, neutrinoCells(cells), columns, 'Helvetica', TABLE_SIZE, { rule: 'none' }),
  );
  const neutrinoCaption = caption(doc, 'Table 2: ', content.neutrinoCaption);

  const sum = (blocks: readonly Block[]) => blocks.reduce((total, block) => total + block.height, 0);
  const headerHeight = sum(header) + 4 * (header.length - 1);
  const textHeight =
    headerHeight + GAP + 6 + figureCaption.height + GAP + sum(parameters) + 4 + parametersCaption.height + GAP + neutrinoHeader.height + sum(rows) + 4 + neutrinoCaption.height;
  // 1 pt of slack: the sum of measured heights and the drawn positions differ by rounding only.
  const room = BOTTOM - MARGIN_Y - textHeight - 1;
  const figureHeight = Math.max(MIN_FIGURE_HEIGHT, Math.min(TEXT_WIDTH * figureAspect, room));
  const figureWidth = Math.min(TEXT_WIDTH, figureHeight / figureAspect);

  let page = 0;
  let y = MARGIN_Y;
  const place = (block: Block, gapAfter = 0) => {
    block.draw(y);
    y += block.height + gapAfter;
  };
  header.forEach((block) => place(block, 4));
  y += GAP - 4;
  const figure: Placement = { page, x: MARGIN_X + (TEXT_WIDTH - figureWidth) / 2, top: y, width: figureWidth, height: figureWidth * figureAspect };
  y += figure.height + 6;
  place(figureCaption, GAP);
  parameters.forEach((block) => place(block));
  y += 4;
  place(parametersCaption, GAP);
  place(neutrinoHeader);
  rows.forEach((row, index) => {
    // The caption stays with the last row; a row never straddles the page end.
    const needed = row.height + (index === rows.length - 1 ? 4 + neutrinoCaption.height : 0);
    if (y + needed > BOTTOM) {
      doc.addPage();
      page++;
      y = MARGIN_Y;
      place(neutrinoHeader);
    }
    place(row);
  });
  y += 4;
  place(neutrinoCaption);
  return figure;
}

/**
 * summary_lvc-I3.pdf without TeX: pdfkit lays out the text; pdf-lib then places the vector sky plot
 * (scatterplot_lvc-i3.pdf, a PDF page) into the figure box, as \includegraphics would.
 */
export async function renderSummaryPdf(content: SummaryContent, scatterPdf: Uint8Array, scatterPath: string): Promise<Buffer> {
  const doc = new PDFDocument({
    size: [PAGE.width, PAGE.height],
    // layoutSummary places every block itself: no bottom margin, so pdfkit never breaks a page on its own.
    margins: { top: MARGIN_Y, bottom: 0, left: MARGIN_X, right: MARGIN_X },
    compress: true,
    info: { Title: content.title, Author: 'LLAMA Group', Creator: 'llama', Producer: 'llama (pdfkit, pdf-lib)', CreationDate: FIXED_PDF_DATE },
  });
  let source: PdfLibDocument;
  try {
    source = await PdfLibDocument.load(scatterPdf, { updateMetadata: false });
  } catch (cause) {
    throw new GenerationError(`${scatterPath}: not a readable PDF`, { cause });
  }
  if (source.getPageCount() === 0) throw new GenerationError(`${scatterPath}: the sky plot PDF has no page`);
  const size = source.getPage(0).getSize();
  const figure = layoutSummary(doc, content, size.height / size.width);
  const base = await pdfBuffer(doc);

  const merged = await PdfLibDocument.load(base, { updateMetadata: false });
  const [embedded] = await merged.embedPdf(source, [0]);
  if (embedded === undefined) throw new GenerationError(`${scatterPath}: cannot embed the sky plot PDF in the summary`);
  const page = merged.getPage(figure.page);
  page.drawPage(embedded, { x: figure.x, y: PAGE.height - figure.top - figure.height, width: figure.width, height: figure.height });
  return Buffer.from(await merged.save({ useObjectStreams: false }));
}

/** Which renderer makes summary_lvc-I3.pdf: `LLAMA_SUMMARY_PDF_ENGINE` = pdfkit (default), pdflatex or auto. */
export type SummaryEngine = 'pdfkit' | 'pdflatex';

async function onPath(command: string): Promise<boolean> {
  try {
    await execFileAsync(command, ['--version'], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

export async function chooseSummaryEngine(env: Readonly<Record<string, string | undefined>>): Promise<SummaryEngine> {
  const choice = (env['LLAMA_SUMMARY_PDF_ENGINE'] ?? 'pdfkit').trim().toLowerCase() || 'pdfkit';
  if (choice === 'pdfkit') return 'pdfkit';
  if (choice === 'pdflatex') return 'pdflatex';
  if (choice === 'auto') return (await onPath('pdflatex')) ? 'pdflatex' : 'pdfkit';
  throw new GenerationError(`LLAMA_SUMMARY_PDF_ENGINE must be pdfkit, pdflatex or auto, got ${JSON.stringify(choice)}`);
}

/** 3.5.1's way: run pdflatex on the .tex next to the scatter PDF, in a private work directory. */
export async function compileSummaryWithPdflatex(
  texPath: string,
  scatterPath: string,
  workDir: string,
  signal: AbortSignal,
): Promise<Buffer> {
  try {
    await copyFile(texPath, join(workDir, 'summary_lvc-I3.tex'));
    await copyFile(scatterPath, join(workDir, 'scatterplot_lvc-i3.pdf'));
  } catch (cause) {
    throw new GenerationError(`cannot read the summary inputs ${texPath}, ${scatterPath}`, { cause });
  }
  try {
    await execFileAsync('pdflatex', ['-interaction=nonstopmode', '-halt-on-error', 'summary_lvc-I3.tex'], {
      cwd: workDir,
      signal,
      maxBuffer: 32 * 1024 * 1024,
      env: { ...process.env, SOURCE_DATE_EPOCH: String(FIXED_PDF_DATE.getTime() / 1000), FORCE_SOURCE_DATE: '1' },
    });
  } catch (error) {
    const e = error as { code?: string | number; stdout?: string };
    if (e.code === 'ENOENT') throw new GenerationError('LLAMA_SUMMARY_PDF_ENGINE=pdflatex but pdflatex is not on PATH');
    const tail = (e.stdout ?? '').split('\n').filter((l) => l.startsWith('!') || l.startsWith('l.')).slice(0, 4).join(' ');
    throw new GenerationError(`pdflatex failed on ${texPath}${tail ? `: ${tail}` : ''}`, { cause: error });
  }
  return readFile(join(workDir, 'summary_lvc-I3.pdf'));
}

