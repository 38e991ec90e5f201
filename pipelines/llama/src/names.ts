/**
 * The 43 DEFAULT_PIPELINE rule names in the order of the 3.5.1 `llama run` help, without
 * loading any rule: the CLI lists them in its help and checks `-f`/`+f` against them cheaply.
 * pipelines.test.ts checks this list against DEFAULT_PIPELINE.
 */
export const DEFAULT_PIPELINE_NAMES = [
  'SkymapInfo', 'RctSlkLmaCoincSummaryI3LvcPdf', 'LvcGcnXml', 'IceCubeNeutrinoListTex', 'LVAlertAdvok',
  'LvcSkymapFits', 'RctSlkLmaCoincScatterZtfLVCPdf', 'CoincSignificanceSubthresholdI3Lvc', 'CoincScatterI3LvcPdf',
  'RctSlkLmaLvcRetractionXml', 'PAstro', 'CoincSummaryI3LvcPdf', 'RctSlkLmaCoincScatterZtfI3LvcPng', 'ZtfTriggerList',
  'RctSlkLmaLvcDistancesJson', 'LVCGraceDbEventData', 'RctSlkI3CoincSummaryI3LvcPdf', 'IceCubeNeutrinoListCoincTxt',
  'LvcRetractionXml', 'RctSlkLmaCoincSignificanceSubthresholdI3Lvc', 'IceCubeNeutrinoList', 'IceCubeNeutrinoListTxt',
  'RctSlkLmaLVAlertJSON', 'FermiGRBsJSON', 'RctSlkLmaLvcGcnXml', 'RctSlkLmaCoincScatterZtfLVCPng', 'CoincSummaryI3LvcTex',
  'CoincSignificanceI3Lvc', 'RctSlkLmaCoincScatterI3LvcPng', 'CoincScatterZtfI3LvcPdf', 'RctSlkLmaCoincScatterZtfI3LvcPdf',
  'CoincScatterI3LvcPng', 'CoincScatterZtfLVCPdf', 'LvcDistancesJson', 'LvcSkymapHdf5', 'CoincScatterZtfLVCPng',
  'RctSlkLmaSkymapInfo', 'CoincScatterZtfI3LvcPng', 'RctSlkLmaCoincSignificanceI3Lvc', 'RctSlkLmaCoincScatterI3LvcPdf',
  'Advok', 'RctSlkLmaLVCGraceDbEventData', 'LVAlertJSON',
] as const;

export const PIPELINE_NAMES = ['DEFAULT_PIPELINE', 'SUBTHRESHOLD_PIPELINE', 'LLAMA2_REVIEW_PIPELINE'] as const;
