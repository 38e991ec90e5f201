/** The GW+neutrino significance exactly as LLAMA 3.5.1 computes it: public surface. */
export { drawBackgroundNeutrinos, mergeBackgroundRows, runBackgroundChunk } from './background.js';
export type { BackgroundChunkOptions, BackgroundRow, MergeOptions, SimulatedSkymap } from './background.js';
export { PreparedBackground, primaryDensity, secondaryDensity, subthresholdDensities } from './density.js';
export { cleanOdds, computeOpaOdds, integralOne, integralTwo, METHOD_351, METHOD_PAIRFIX, OPA_METHODS, timeOverlap } from './odds.js';
export type { GwTerms, NeutrinoOdds, OpaMethod, OpaNeutrino, OpaResult } from './odds.js';
export { DEFAULT_SEARCH_PARAMETERS, instrumentKey, instrumentList, mostLikelyPopulation, searchParameters, searchParametersRecord } from './parameters.js';
export type { Population, SearchParameters } from './parameters.js';
export { encodeBackgroundTable, BACKGROUND_TABLE_FILENAME, BACKGROUND_TABLE_FORMAT, ENV_BACKGROUND_TABLE, backgroundKey, loadBackgroundTable, parseBackgroundTable, pValue, selectBackground } from './pvalue.js';
export type { BackgroundEntry, BackgroundTable, SearchType } from './pvalue.js';
export { ENV_SIGNIFICANCE_METHOD, listNeutrinos, methodFromEnv, significanceDocument, significanceGenerator } from './rule.js';
export type { SignificanceData, SignificanceInputs } from './rule.js';
export { ENV_BACKGROUND_NEUTRINOS, ENV_GW_BACKGROUND_SNR, backgroundSampleFromArrays, loadBackgroundNeutrinos, loadGwSnrList, parseBackgroundNeutrinos, parseGwSnrList } from './samples.js';
export type { BackgroundNeutrinoSample, GwSnrSample } from './samples.js';
export { aeff, aeffByBin, psfGaussian, SkySums } from './sky.js';
export type { SkySource } from './sky.js';
export { computeSubthresholdOdds, METHOD_SUBTHRESHOLD_351, pEmpGw, poissonPmf } from './subthreshold.js';
export { fisherMixtureSkymap, randomGwSkymap } from './synthetic.js';
export { Rng } from './numeric.js';
/** Neutrino directions as 3.5.1 computed them (ICRS ↔ IceCube zenith/azimuth). */
export { icrsToZenithAzimuth, zenithAzimuthToIcrs } from '../coords/index.js';
