import { GenerationError } from '@llama/core';
import { texEscape } from '../report-format.js';
import type { SummaryContent } from './content.js';

export { texEscape } from '../report-format.js';

/** Inside \url{…} only %, # and unbalanced braces need care. */
function texUrl(url: string): string {
  return `\\url{${url.replace(/[%#{}\\]/g, (c) => `\\${c}`)}}`;
}

/**
 * The machine-readable copy of the content, kept in TeX comments so that the pdfkit rendering of
 * summary_lvc-I3.pdf (whose input is this file) shows exactly what the LaTeX says.
 */
const DATA_BEGIN = '% LLAMA-SUMMARY-DATA-BEGIN (machine-readable copy of this summary; do not edit)';
const DATA_END = '% LLAMA-SUMMARY-DATA-END';

/** Render summary_lvc-I3.tex (3.5.1 LATEX_SUMMARY, llama/files/coinc_plots.py). */
export function renderSummaryTex(content: SummaryContent, neutrinoTableTex: string): string {
  const rows = content.parameters
    .map((row) => `${texEscape(row.label).padEnd(24)} & ${row.url ? texUrl(row.value) : texEscape(row.value)} \\\\`)
    .join('\n\\hline\n');
  const title = content.marker === undefined ? texEscape(content.title) : `${texEscape(content.title)} \\\\ ${texEscape(content.marker)}`;
  const data = JSON.stringify(content)
    .replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`)
    .match(/.{1,100}/g)
    ?.map((chunk) => `% ${chunk}`)
    .join('\n');
  return `\\documentclass{article}
\\usepackage[utf8]{inputenc}
\\usepackage{geometry}

\\title{${title}}
\\author{LLAMA Group}
\\date{${texEscape(content.parameters.find((row) => row.label === 'GW event time (UTC)')?.value ?? '')}}

\\usepackage{graphicx}

\\usepackage{hyperref}
\\hypersetup{
    colorlinks=true,
    linkcolor=blue,
    filecolor=magenta,
    urlcolor=cyan,
}

\\begin{document}

\\maketitle

\\begin{figure}[h!]
\\centering
\\includegraphics[width=\\textwidth]{${content.figureFile}}
\\caption{
    ${texEscape(content.figureCaption)}
}
\\label{fig:coinc-scatterplot}
\\end{figure}

\\begin{table*}
\\centering
\\small
\\begin{tabular}{ l|l }
${rows}
\\end{tabular}
\\caption{
    ${texEscape(content.parametersCaption)}
}
\\label{table:parameters}
\\end{table*}

${neutrinoTableTex.trim()}

\\end{document}
${DATA_BEGIN}
${data ?? '% {}'}
${DATA_END}
`;
}

/** Recover the content from a summary written by renderSummaryTex. */
export function summaryFromTex(tex: string, path: string): SummaryContent {
  const begin = tex.indexOf(DATA_BEGIN);
  const end = tex.indexOf(DATA_END);
  if (begin < 0 || end < begin) {
    throw new GenerationError(`${path}: no LLAMA summary data block (was this file written by llama?)`);
  }
  const json = tex
    .slice(begin + DATA_BEGIN.length, end)
    .split('\n')
    .map((line) => line.replace(/^% /, ''))
    .join('');
  let content: unknown;
  try {
    content = JSON.parse(json);
  } catch (cause) {
    throw new GenerationError(`${path}: the summary data block is not valid JSON (edited by hand?)`, { cause });
  }
  const c = content as Partial<SummaryContent>;
  if (c.schema !== 1 || typeof c.title !== 'string' || !Array.isArray(c.parameters) || !Array.isArray(c.neutrinoRows) || !Array.isArray(c.neutrinoColumns)) {
    throw new GenerationError(`${path}: the summary data block lacks title, parameters or neutrino table`);
  }
  return content as SummaryContent;
}
