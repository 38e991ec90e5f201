/** The GW+neutrino significance (Bartos et al. 2019 as LLAMA 3.5.1 ran it): public surface. */
export { buildBackgroundTable, runBackgroundTrials, drawBackgroundNeutrinos } from './background.js';
export type { BackgroundTableOptions, BackgroundRunOptions } from './background.js';
export { buildDefaultModel, DEFAULT_MODEL_NAME } from './default-model.js';
export { loadNeutrinoModel, loadDefaultModelFile, NeutrinoModel, ENV_AEFF_TABLE, ENV_BACKGROUND_EVENTS, dataFileUrl } from './model.js';
export type { NeutrinoModelFile } from './model.js';
export { computeOdds, PreparedSkymap, psfIntegral, timeTerm } from './odds.js';
export type { SignificanceNeutrino, SignificanceResult, NeutrinoTerms } from './odds.js';
export { searchParameters, mostLikelyPopulation, instrumentKey, DEFAULT_SEARCH_PARAMETERS } from './parameters.js';
export type { Population, SearchParameters } from './parameters.js';
export { BACKGROUND_TABLE_FILENAME, ENV_BACKGROUND_TABLE, backgroundKey, loadBackgroundTable, parseBackgroundTable, pValue } from './pvalue.js';
export type { BackgroundEntry, BackgroundTable } from './pvalue.js';
export { significanceDocument, significanceGenerator } from './rule.js';
export { fisherMixtureSkymap, randomGwSkymap } from './synthetic.js';
