import { statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Stat identities for change detection: (inode, size, mtimeMs, ctimeMs) of a path, written into a
 * Float64Array, four numbers per path.
 *
 * Why not plain `statSync`: on Node 20 it builds a `Stats` object with four `Date`s per call,
 * about 40 % of the cost of the ~44 000 stats of a no-op pass at N = 1 000 events (92 ms → 52 ms
 * measured on the project machine, plus the garbage). Node's own fs binding returns the raw
 * numbers. It is not a public API, so it is used only after checking, on this very Node, that it
 * answers exactly as `statSync` does for a directory, a file and a missing path, and that asking
 * for it prints no deprecation warning. Otherwise (another Node's binding, `--pending-deprecation`,
 * `LLAMA_FAST_STAT=off`) every call goes through `statSync`. Either way the numbers are the same
 * doubles, so digests made from `Stats` objects and from this function compare equal.
 */

/** Node's raw stat: a shared Float64Array [dev, mode, nlink, uid, gid, rdev, blksize, ino, size, blocks, atime s, ns, mtime s, ns, ctime s, ns, …]. */
type RawStat = (path: string, useBigint: false, request: undefined, throwIfNoEntry: false) => Float64Array | undefined;

const INO = 7;
const SIZE = 8;
const MTIME_S = 12;
const MTIME_NS = 13;
const CTIME_S = 14;
const CTIME_NS = 15;

let raw: RawStat | null | undefined;

/** Write the identity of a `Stats` into `out[at .. at + 3]`, in the order `statIdentity` uses. */
export function putIdentity(stat: Stats, out: Float64Array, at: number): void {
  out[at] = stat.ino;
  out[at + 1] = stat.size;
  out[at + 2] = stat.mtimeMs;
  out[at + 3] = stat.ctimeMs;
}

function viaStatSync(path: string, out: Float64Array, at: number): boolean {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat === undefined) return false;
  putIdentity(stat, out, at);
  return true;
}

function viaBinding(stat: RawStat, path: string, out: Float64Array, at: number): boolean {
  const v = stat(path, false, undefined, false);
  if (v === undefined) return false;
  out[at] = v[INO] as number;
  out[at + 1] = v[SIZE] as number;
  // The same expression as Node's own msFromTimeSpec, so the doubles are identical.
  out[at + 2] = (v[MTIME_S] as number) * 1e3 + (v[MTIME_NS] as number) / 1e6;
  out[at + 3] = (v[CTIME_S] as number) * 1e3 + (v[CTIME_NS] as number) / 1e6;
  return true;
}

function pendingDeprecation(): boolean {
  const flags = `${process.execArgv.join(' ')} ${process.env['NODE_OPTIONS'] ?? ''}`;
  return flags.includes('--pending-deprecation') || process.env['NODE_PENDING_DEPRECATION'] === '1';
}

/** The binding's stat if it is present, silent and agrees with statSync here; null otherwise. */
function probeBinding(): RawStat | null {
  if (process.env['LLAMA_FAST_STAT'] === 'off' || pendingDeprecation()) return null;
  const emitWarning = process.emitWarning;
  let warned = false;
  try {
    // A Node that makes the deprecation a runtime warning must not print it on every run.
    process.emitWarning = (() => {
      warned = true;
    }) as typeof process.emitWarning;
    const binding = (process as unknown as { binding?: (name: string) => Record<string, unknown> }).binding?.('fs');
    const stat = binding?.['stat'];
    if (warned || typeof stat !== 'function') return null;
    const candidate = stat.bind(binding) as RawStat;
    // Paths that do not change while we look: the node binary and its directory.
    const samples = [process.execPath, dirname(process.execPath), '/'];
    const expected = new Float64Array(4);
    const actual = new Float64Array(4);
    for (const path of samples) {
      const a = viaStatSync(path, expected, 0);
      const b = viaBinding(candidate, path, actual, 0);
      if (a !== b || expected.some((x, i) => !Object.is(x, actual[i]))) return null;
    }
    const missing = `/.llama-no-such-file-${process.pid}`;
    if (viaBinding(candidate, missing, actual, 0) || viaStatSync(missing, expected, 0)) return null;
    return candidate;
  } catch {
    return null;
  } finally {
    process.emitWarning = emitWarning;
  }
}

/**
 * Write the identity of `path` into `out[at .. at + 3]`; false when the path does not exist
 * (ENOENT). Other errors (ENOTDIR, EACCES, …) are thrown, as by `statSync`.
 */
export function statIdentity(path: string, out: Float64Array, at: number): boolean {
  if (raw === undefined) raw = probeBinding();
  // A NUL byte is rejected by statSync's validation, which the binding does not repeat.
  if (raw === null || path.includes('\0')) return viaStatSync(path, out, at);
  return viaBinding(raw, path, out, at);
}

/** Whether the fast path is in use (for tests and benchmarks). */
export function fastStatInUse(): boolean {
  if (raw === undefined) raw = probeBinding();
  return raw !== null;
}
