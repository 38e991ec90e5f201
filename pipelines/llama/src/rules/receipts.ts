import { defineRule, type Rule } from '@llama/core';
import { lazyGenerate } from './lazy.js';
import type { SlackOrganisation } from '../slack/config.js';
import { ICECUBE_UPLOAD_VETOES, UPLOAD_VETOES } from '../vetoes.js';
import { LVCGraceDbEventData, LvcDistancesJson } from './gw.js';
import {
  CoincScatterI3LvcPdf,
  CoincScatterI3LvcPng,
  CoincScatterZtfI3LvcPdf,
  CoincScatterZtfI3LvcPng,
  CoincScatterZtfLVCPdf,
  CoincScatterZtfLVCPng,
  CoincSummaryI3LvcPdf,
} from './plots.js';
import { CoincSignificanceI3Lvc, CoincSignificanceSubthresholdI3Lvc } from './significance.js';
import { LVAlertJSON, LvcGcnXml, LvcRetractionXml, SkymapInfo } from './triggers.js';

/** Group F: Slack upload receipts, `rct_slk_<org>_<uploaded filename>.json`. */

export type { SlackOrganisation };

function receipt(org: SlackOrganisation, uploaded: Rule): Rule {
  const orgName = org === 'lma' ? 'Lma' : 'I3';
  const name = `RctSlk${orgName}${uploaded.name}`;
  return defineRule({
    name,
    filename: `rct_slk_${org}_${uploaded.filename}.json`,
    // 3.5.1: DEPENDENCIES (UPLOAD, SkymapInfo), SkymapInfo added if absent.
    inputs: uploaded === SkymapInfo ? [SkymapInfo] : [uploaded, SkymapInfo],
    vetoes: org === 'i3' ? ICECUBE_UPLOAD_VETOES : UPLOAD_VETOES,
    // A retraction vetoes its event (VETOED=true); announcing the retraction must still happen.
    runsWhenEventVetoed: uploaded === LvcRetractionXml,
    pool: { name: 'slack', concurrency: 2 },
    // Room for bounded Retry-After waits and retries (slack/config.ts); aborting cancels them.
    timeoutSeconds: 300,
    description: `Receipt of the Slack upload of ${uploaded.filename} to the ${org === 'lma' ? 'LLAMA' : 'IceCube'} workspace`,
    generate: lazyGenerate(() => import('../slack/receipt.js'), (m) => m.slackReceiptGenerator(org, uploaded, SkymapInfo)),
  });
}

export const RctSlkLmaSkymapInfo = receipt('lma', SkymapInfo);
export const RctSlkLmaLvcGcnXml = receipt('lma', LvcGcnXml);
export const RctSlkLmaLvcRetractionXml = receipt('lma', LvcRetractionXml);
export const RctSlkLmaLVAlertJSON = receipt('lma', LVAlertJSON);
export const RctSlkLmaLVCGraceDbEventData = receipt('lma', LVCGraceDbEventData);
export const RctSlkLmaLvcDistancesJson = receipt('lma', LvcDistancesJson);
export const RctSlkLmaCoincSignificanceI3Lvc = receipt('lma', CoincSignificanceI3Lvc);
export const RctSlkLmaCoincSignificanceSubthresholdI3Lvc = receipt('lma', CoincSignificanceSubthresholdI3Lvc);
export const RctSlkLmaCoincScatterI3LvcPdf = receipt('lma', CoincScatterI3LvcPdf);
export const RctSlkLmaCoincScatterI3LvcPng = receipt('lma', CoincScatterI3LvcPng);
export const RctSlkLmaCoincScatterZtfLVCPdf = receipt('lma', CoincScatterZtfLVCPdf);
export const RctSlkLmaCoincScatterZtfLVCPng = receipt('lma', CoincScatterZtfLVCPng);
export const RctSlkLmaCoincScatterZtfI3LvcPdf = receipt('lma', CoincScatterZtfI3LvcPdf);
export const RctSlkLmaCoincScatterZtfI3LvcPng = receipt('lma', CoincScatterZtfI3LvcPng);
export const RctSlkLmaCoincSummaryI3LvcPdf = receipt('lma', CoincSummaryI3LvcPdf);
export const RctSlkI3CoincSummaryI3LvcPdf = receipt('i3', CoincSummaryI3LvcPdf);
