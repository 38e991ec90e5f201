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
const MARGIN = 56;
const TEXT_WIDTH = PAGE.width - 2 * MARGIN;
const INK = '#1a1a1a';
const LINK = '#0b57d0';

interface Placement {
  readonly page: number;
  readonly x: number;
  /** From the top of the page, pt. */
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** Lay out the text with pdfkit, leaving a box for the sky plot; return the box. */
function layoutSummary(doc: PDFKit.PDFDocument, content: SummaryContent, figureAspect: number): Placement {
  let page = 0;
  doc.on('pageAdded', () => {
    page++;
  });
  doc.font('Helvetica-Bold').fontSize(16).fillColor(INK);
  doc.text(content.title, MARGIN, MARGIN, { width: TEXT_WIDTH, align: 'center' });
  if (content.marker !== undefined) {
    doc.moveDown(0.3).font('Helvetica-Bold').fontSize(12).fillColor('#c00000');
    doc.text(content.marker, { width: TEXT_WIDTH, align: 'center' });
  }
  doc.moveDown(0.4).font('Helvetica').fontSize(11).fillColor(INK).text('LLAMA Group', { width: TEXT_WIDTH, align: 'center' });

  // The figure box: the sky plot's aspect ratio at full text width.
  const figureHeight = TEXT_WIDTH * figureAspect;
  const figureTop = doc.y + 14;
  const figure: Placement = { page, x: MARGIN, top: figureTop, width: TEXT_WIDTH, height: figureHeight };
  doc.y = figureTop + figureHeight + 6;
  doc.font('Helvetica-Bold').fontSize(9.5).text('Figure 1: ', MARGIN, doc.y, { continued: true, width: TEXT_WIDTH });
  doc.font('Helvetica').text(content.figureCaption, { width: TEXT_WIDTH });

  // Parameter table: label | value, ruled like the LaTeX tabular.
  doc.moveDown(1.2);
  const labelWidth = 135;
  const valueX = MARGIN + labelWidth + 10;
  const valueWidth = TEXT_WIDTH - labelWidth - 10;
  for (const [index, row] of content.parameters.entries()) {
    doc.font(index === 0 ? 'Helvetica-Bold' : 'Helvetica').fontSize(9.5);
    const height = Math.max(doc.heightOfString(row.label, { width: labelWidth }), doc.heightOfString(row.value, { width: valueWidth }));
    if (doc.y + height + 6 > PAGE.height - MARGIN) doc.addPage();
    const top = doc.y;
    doc.fillColor(INK).text(row.label, MARGIN, top, { width: labelWidth });
    doc.fillColor(row.url ? LINK : INK).text(row.value, valueX, top, { width: valueWidth, ...(row.url ? { link: row.value, underline: false } : {}) });
    const bottom = top + height + 3;
    doc.moveTo(MARGIN + labelWidth + 4, top - 2).lineTo(MARGIN + labelWidth + 4, bottom - 1).lineWidth(0.5).strokeColor('#888888').stroke();
    if (index < content.parameters.length - 1) {
      doc.moveTo(MARGIN, bottom).lineTo(MARGIN + TEXT_WIDTH, bottom).lineWidth(0.5).strokeColor('#888888').stroke();
    }
    doc.y = bottom + 3;
  }
  doc.moveDown(0.5).fillColor(INK).font('Helvetica-Bold').fontSize(9.5).text('Table 1: ', MARGIN, doc.y, { continued: true, width: TEXT_WIDTH });
  doc.font('Helvetica').text(content.parametersCaption, { width: TEXT_WIDTH });

  // Neutrino table.
  doc.moveDown(1.2);
  const widths = [18, 82, 50, 48, 48, 50, 52, 62, 73];
  const scale = TEXT_WIDTH / widths.reduce((a, b) => a + b, 0);
  const columns = widths.map((w) => w * scale);
  const drawRow = (cells: readonly string[], bold: boolean) => {
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(8.5).fillColor(INK);
    if (doc.y + 14 > PAGE.height - MARGIN) doc.addPage();
    const top = doc.y;
    let x = MARGIN;
    cells.forEach((cell, i) => {
      doc.text(cell, x + 2, top, { width: (columns[i] ?? 40) - 4, align: i === 1 ? 'left' : 'right', lineBreak: false });
      x += columns[i] ?? 40;
    });
    doc.y = top + 13;
  };
  drawRow(content.neutrinoColumns, true);
  doc.moveTo(MARGIN, doc.y - 2).lineTo(MARGIN + TEXT_WIDTH, doc.y - 2).lineWidth(0.5).strokeColor('#888888').stroke();
  for (const row of content.neutrinoRows) drawRow(row, false);
  if (content.neutrinoRows.length === 0) drawRow(['', 'none', '', '', '', '', '', '', ''], false);
  doc.moveDown(0.6).fillColor(INK).font('Helvetica-Bold').fontSize(9.5).text('Table 2: ', MARGIN, doc.y, { continued: true, width: TEXT_WIDTH });
  doc.font('Helvetica').text(content.neutrinoCaption, { width: TEXT_WIDTH });
  return figure;
}

/**
 * summary_lvc-I3.pdf without TeX: pdfkit lays out the text; pdf-lib then places the vector sky plot
 * (scatterplot_lvc-i3.pdf, a PDF page) into the figure box, as \includegraphics would.
 */
export async function renderSummaryPdf(content: SummaryContent, scatterPdf: Uint8Array, scatterPath: string): Promise<Buffer> {
  const doc = new PDFDocument({
    size: [PAGE.width, PAGE.height],
    margin: MARGIN,
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

