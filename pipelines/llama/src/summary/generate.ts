import { readFile, writeFile } from 'node:fs/promises';
import { GenerationError, type GenerateContext } from '@llama/core';
import { readNeutrinoList } from '../plots/messengers.js';
import { readSkymapInfo } from '../skymap-info.js';
import { summaryContent } from './content.js';
import { chooseSummaryEngine, compileSummaryWithPdflatex, renderSummaryPdf } from './pdf.js';
import { readSignificance } from './significance.js';
import { renderSummaryTex, summaryFromTex } from './tex.js';

function input(ctx: GenerateContext, name: string): string {
  const path = ctx.inputs[name];
  if (path === undefined) throw new GenerationError(`${ctx.rule}: input ${name} is missing`);
  return path;
}

/** CoincSummaryI3LvcTex: summary_lvc-I3.tex. */
export async function generateSummaryTex(ctx: GenerateContext): Promise<void> {
  const info = await readSkymapInfo(input(ctx, 'SkymapInfo'));
  const significance = await readSignificance(input(ctx, 'CoincSignificanceI3Lvc'));
  const neutrinos = await readNeutrinoList(input(ctx, 'IceCubeNeutrinoList'));
  const tablePath = input(ctx, 'IceCubeNeutrinoListTex');
  let neutrinoTableTex: string;
  try {
    neutrinoTableTex = await readFile(tablePath, 'utf8');
  } catch (cause) {
    throw new GenerationError(`cannot read the neutrino table ${tablePath}`, { cause });
  }
  if (/\\(documentclass|begin\{document\}|end\{document\})/.test(neutrinoTableTex)) {
    throw new GenerationError(`${tablePath}: expected a LaTeX table fragment, found a whole document`);
  }
  const content = summaryContent({ info, eventId: ctx.event.eventId, runDir: ctx.event.runDir, significance, neutrinos, env: ctx.env });
  await writeFile(ctx.outputPath, renderSummaryTex(content, neutrinoTableTex));
}

/** CoincSummaryI3LvcPdf: summary_lvc-I3.pdf, with pdfkit by default or pdflatex on request. */
export async function generateSummaryPdf(ctx: GenerateContext): Promise<void> {
  const texPath = input(ctx, 'CoincSummaryI3LvcTex');
  const scatterPath = input(ctx, 'CoincScatterI3LvcPdf');
  const engine = await chooseSummaryEngine(ctx.env);
  if (engine === 'pdflatex') {
    await writeFile(ctx.outputPath, await compileSummaryWithPdflatex(texPath, scatterPath, ctx.workDir, ctx.signal));
    return;
  }
  let tex: string;
  let scatter: Buffer;
  try {
    tex = await readFile(texPath, 'utf8');
    scatter = await readFile(scatterPath);
  } catch (cause) {
    throw new GenerationError(`cannot read the summary inputs ${texPath}, ${scatterPath}`, { cause });
  }
  const content = summaryFromTex(tex, texPath);
  await writeFile(ctx.outputPath, await renderSummaryPdf(content, scatter, scatterPath));
}
