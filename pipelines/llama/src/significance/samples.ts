import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { GenerationError } from '@llama/core';

/**
 * The two data files the 3.5.1 significance reads at run time (significance-351.md §5):
 * - the background neutrino sample (3.5.1's BACKGROUND_NEUTRINOS: reconstructed zenith and energy
 *   of IceCube background events), here in the IceCube public data release's text format
 *   `MJD log10(E/GeV) AngErr[deg] RA[deg] Dec[deg] Azimuth[deg] Zenith[deg]`;
 * - the GW background SNR list (3.5.1's GW_BG_RHOS; subthreshold only): one SNR per line.
 * Every output records the file used (name and sha256).
 */

export const ENV_BACKGROUND_NEUTRINOS = 'LLAMA_BACKGROUND_NEUTRINOS';
export const ENV_GW_BACKGROUND_SNR = 'LLAMA_GW_BACKGROUND_SNR';
export const BACKGROUND_NEUTRINOS_FILENAME = 'background-neutrinos.txt';
export const GW_BACKGROUND_SNR_FILENAME = 'gw-background-snr.txt';

/** A file shipped in pipelines/llama/data/ (this file is src/significance/ or dist/significance/). */
export function dataFileUrl(name: string): URL {
  return new URL(`../../data/${name}`, import.meta.url);
}

export interface SampleId {
  /** File name (basename) and its sha256: outputs and background tables name the sample. */
  readonly name: string;
  readonly sha256: string;
  readonly path: string;
}

export interface BackgroundNeutrinoSample extends SampleId {
  /** Reconstructed zenith (deg) and energy (GeV) of every event, in file order (3.5.1 thetabg, EGev). */
  readonly zenith: Float64Array;
  readonly energy: Float64Array;
  /** Angular error (deg), for drawing background neutrino lists. */
  readonly angErr: Float64Array;
}

export interface GwSnrSample extends SampleId {
  readonly snr: Float64Array;
}

type Env = Readonly<Record<string, string | undefined>>;

function resolve(env: Env, variable: string, fileName: string): { path: string; configured: boolean } {
  const value = env[variable];
  if (value !== undefined && value !== '') return { path: value.startsWith('file://') ? new URL(value).pathname : value, configured: true };
  return { path: dataFileUrl(fileName).pathname, configured: false };
}

function readBytes(path: string, what: string, variable: string, configured: boolean): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    const how = configured ? `(from ${variable})` : `(the default; set ${variable} to use another file)`;
    const code = (cause as NodeJS.ErrnoException).code;
    throw new GenerationError(`${path}: ${code === 'ENOENT' ? 'missing' : 'cannot read'} ${what} ${how}`, { cause });
  }
}

/** Parse the IceCube public data release text format (header lines start with '#'). */
export function parseBackgroundNeutrinos(text: string, source: string): { zenith: Float64Array; energy: Float64Array; angErr: Float64Array } {
  const zenith: number[] = [];
  const energy: number[] = [];
  const angErr: number[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const cols = line.split(/\s+/).map(Number);
    if (cols.length < 7 || cols.slice(0, 7).some((v) => !Number.isFinite(v))) {
      throw new GenerationError(`${source}: line ${i + 1}: expected 7 numbers (MJD log10(E/GeV) AngErr RA Dec Azimuth Zenith), got "${line.slice(0, 80)}"`);
    }
    const zen = cols[6]!;
    if (zen < 0 || zen > 180) throw new GenerationError(`${source}: line ${i + 1}: zenith ${zen} is outside [0, 180] degrees`);
    zenith.push(zen);
    energy.push(10 ** cols[1]!);
    angErr.push(cols[2]!);
  }
  if (zenith.length === 0) throw new GenerationError(`${source}: no background neutrinos in the file`);
  return { zenith: Float64Array.from(zenith), energy: Float64Array.from(energy), angErr: Float64Array.from(angErr) };
}

/** One SNR per line; blank lines and '#' comments are skipped. */
export function parseGwSnrList(text: string, source: string): Float64Array {
  const out: number[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/#.*/, '').trim();
    if (line === '') continue;
    const v = Number(line);
    if (!Number.isFinite(v)) throw new GenerationError(`${source}: line ${i + 1}: not a number: "${line.slice(0, 80)}"`);
    out.push(v);
  }
  if (out.length < 2) throw new GenerationError(`${source}: needs at least two SNR values`);
  return Float64Array.from(out);
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const neutrinoCache = new Map<string, BackgroundNeutrinoSample>();
const snrCache = new Map<string, GwSnrSample>();

/** The sample named by LLAMA_BACKGROUND_NEUTRINOS, else data/background-neutrinos.txt. */
export function loadBackgroundNeutrinos(env: Env): BackgroundNeutrinoSample {
  const { path, configured } = resolve(env, ENV_BACKGROUND_NEUTRINOS, BACKGROUND_NEUTRINOS_FILENAME);
  const bytes = readBytes(path, 'background neutrino sample', ENV_BACKGROUND_NEUTRINOS, configured);
  const hash = sha256(bytes);
  const key = `${path}\0${hash}`;
  let sample = neutrinoCache.get(key);
  if (sample === undefined) {
    sample = { name: basename(path), sha256: hash, path, ...parseBackgroundNeutrinos(bytes.toString('utf8'), path) };
    neutrinoCache.set(key, sample);
  }
  return sample;
}

/** The list named by LLAMA_GW_BACKGROUND_SNR, else data/gw-background-snr.txt. */
export function loadGwSnrList(env: Env): GwSnrSample {
  const { path, configured } = resolve(env, ENV_GW_BACKGROUND_SNR, GW_BACKGROUND_SNR_FILENAME);
  const bytes = readBytes(path, 'GW background SNR list', ENV_GW_BACKGROUND_SNR, configured);
  const hash = sha256(bytes);
  const key = `${path}\0${hash}`;
  let sample = snrCache.get(key);
  if (sample === undefined) {
    sample = { name: basename(path), sha256: hash, path, snr: parseGwSnrList(bytes.toString('utf8'), path) };
    snrCache.set(key, sample);
  }
  return sample;
}

/** A sample built in memory (tests, benchmarks). */
export function backgroundSampleFromArrays(zenith: readonly number[], energy: readonly number[], name = 'in-memory', angErr?: readonly number[]): BackgroundNeutrinoSample {
  const z = Float64Array.from(zenith);
  const e = Float64Array.from(energy);
  const bytes = Buffer.from(`${Array.from(z).join(',')};${Array.from(e).join(',')}`);
  return { name, sha256: sha256(bytes), path: name, zenith: z, energy: e, angErr: Float64Array.from(angErr ?? zenith.map(() => 1)) };
}
