import PDFDocument from 'pdfkit';
import { CanvasPainter, PdfPainter } from './painter.js';
import { drawSkyPlot, plotTitle, prepareSkyPlot, type SkyPlotModel } from './sky-plot.js';

/** PNG pixels per figure unit: 800 × 520 units → 2000 × 1300 px. */
export const PNG_SCALE = 2.5;

export async function renderSkyPlotPng(model: SkyPlotModel): Promise<Buffer> {
  const prepared = prepareSkyPlot(model);
  const painter = new CanvasPainter(prepared.layout.width, prepared.layout.height, PNG_SCALE);
  drawSkyPlot(painter, prepared);
  return painter.png();
}

/** Collect a pdfkit document into one buffer. */
export function pdfBuffer(doc: PDFKit.PDFDocument): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.end();
  });
}

/**
 * A fixed creation date keeps the bytes identical when the inputs are, so that an unchanged plot
 * stops the rebuild cascade (early cutoff).
 */
export const FIXED_PDF_DATE = new Date('2000-01-01T00:00:00Z');

export async function renderSkyPlotPdf(model: SkyPlotModel): Promise<Buffer> {
  const prepared = prepareSkyPlot(model);
  const { width, height } = prepared.layout;
  const doc = new PDFDocument({
    size: [width, height],
    margin: 0,
    autoFirstPage: true,
    compress: true,
    info: { Title: plotTitle(model), Author: 'LLAMA', Creator: 'llama', Producer: 'llama (pdfkit)', CreationDate: FIXED_PDF_DATE },
  });
  drawSkyPlot(new PdfPainter(doc, width, height), prepared);
  return pdfBuffer(doc);
}
