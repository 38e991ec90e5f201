import type { Flags } from '../rule/types.js';
import type { ContentHash } from '../hash/hash.js';

/**
 * Rider files, compatible with LLAMA 3.5.1 (§1.6): `.FILENAME.metadata.json` keeps the 3.5.1 keys
 * and adds a `llama` section with the content hashes our freshness contract needs.
 */
export interface MetadataRider {
  readonly checksums: Readonly<Record<string, string>>;
  readonly dep_checksums: Readonly<Record<string, string>>;
  readonly dep_subset_checksums: Readonly<Record<string, string>>;
  readonly version: string;
  readonly manifest_filehandlers: string;
  readonly wall_time: number;
  readonly generation_uuid: string;
  readonly generation_time: string;
  readonly flags: Flags;
  readonly llama?: LlamaProvenance;
}

export interface LlamaProvenance {
  readonly schema: 1;
  readonly rule: string;
  readonly rule_version: string;
  /** xxh64 of the output as written. */
  readonly output: ContentHash;
  /** xxh64 of each input (by rule name) as the generation read it. */
  readonly inputs: Readonly<Record<string, ContentHash>>;
  /** Present while the output is a partial result that must be regenerated later. */
  readonly provisional?: { readonly reason: string; readonly retry_after: string };
}

/** What the planner needs from a metadata rider. */
export type RiderState =
  | { readonly kind: 'none' }
  | { readonly kind: 'invalid'; readonly problem: string }
  | { readonly kind: 'legacy' }
  | {
      readonly kind: 'ok';
      readonly ruleVersion: string;
      readonly output: ContentHash;
      readonly inputs: Readonly<Record<string, ContentHash>>;
      readonly provisional?: { readonly reason: string; readonly retryAfter: number };
    };

const HEX16 = /^[0-9a-f]{16}$/;

export function parseMetadataRider(text: string): RiderState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { kind: 'invalid', problem: 'not valid JSON (truncated?)' };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { kind: 'invalid', problem: 'not a JSON object' };
  const llama = (raw as { llama?: unknown }).llama;
  if (llama === undefined) {
    return 'checksums' in raw ? { kind: 'legacy' } : { kind: 'invalid', problem: 'neither a 3.5.1 nor a llama rider' };
  }
  const l = llama as Partial<LlamaProvenance>;
  if (typeof l.rule_version !== 'string' || typeof l.output !== 'string' || !HEX16.test(l.output) || l.inputs === null || typeof l.inputs !== 'object') {
    return { kind: 'invalid', problem: 'the llama section is malformed' };
  }
  for (const value of Object.values(l.inputs)) {
    if (typeof value !== 'string' || !HEX16.test(value)) return { kind: 'invalid', problem: 'an input hash is malformed' };
  }
  const provisional = l.provisional;
  if (provisional !== undefined) {
    const retryAfter = Date.parse(provisional.retry_after);
    if (Number.isNaN(retryAfter)) return { kind: 'invalid', problem: 'provisional.retry_after is not a time' };
    return { kind: 'ok', ruleVersion: l.rule_version, output: l.output, inputs: l.inputs, provisional: { reason: String(provisional.reason), retryAfter } };
  }
  return { kind: 'ok', ruleVersion: l.rule_version, output: l.output, inputs: l.inputs };
}

/**
 * `.FILENAME.cooldown.json`: `{"num_attempts": int, "last_attempt": "UTC ISO"}` as in 3.5.1
 * (num_attempts counts from 0: the first failure writes 0), plus keys 3.5.1 readers ignore:
 * `failures` (num_attempts + 1, the count an operator reads), `last_error` (the last failure's
 * message) and `last_error_time` (UTC ISO, when it happened).
 */
export interface CooldownRider {
  readonly numAttempts: number;
  /** Unix ms. */
  readonly lastAttempt: number;
  readonly lastError?: string;
  /** Unix ms. */
  readonly lastErrorTime?: number;
}

/** Longest error message kept in a cooldown rider (a command's stderr can be long). */
export const COOLDOWN_ERROR_MAX = 2000;

export function parseCooldown(text: string): CooldownRider | undefined {
  try {
    const raw = JSON.parse(text) as { num_attempts?: unknown; last_attempt?: unknown; last_error?: unknown; last_error_time?: unknown };
    const last = typeof raw.last_attempt === 'string' ? Date.parse(raw.last_attempt.endsWith('Z') || /[+-]\d\d:\d\d$/.test(raw.last_attempt) ? raw.last_attempt : `${raw.last_attempt}Z`) : NaN;
    if (typeof raw.num_attempts !== 'number' || !Number.isInteger(raw.num_attempts) || raw.num_attempts < 0 || Number.isNaN(last)) return undefined;
    const errorTime = typeof raw.last_error_time === 'string' ? Date.parse(raw.last_error_time) : NaN;
    return {
      numAttempts: raw.num_attempts,
      lastAttempt: last,
      ...(typeof raw.last_error === 'string' ? { lastError: raw.last_error } : {}),
      ...(Number.isNaN(errorTime) ? {} : { lastErrorTime: errorTime }),
    };
  } catch {
    return undefined;
  }
}

export function serializeCooldown(rider: CooldownRider): string {
  return `${JSON.stringify(
    {
      num_attempts: rider.numAttempts,
      last_attempt: new Date(rider.lastAttempt).toISOString(),
      failures: rider.numAttempts + 1,
      ...(rider.lastError === undefined ? {} : { last_error: rider.lastError.slice(0, COOLDOWN_ERROR_MAX) }),
      ...(rider.lastErrorTime === undefined ? {} : { last_error_time: new Date(rider.lastErrorTime).toISOString() }),
    },
    null,
    4,
  )}\n`;
}

/**
 * `.FILENAME.intent.json`. 3.5.1 wrote a bare expiry timestamp (Unix s); we write an object
 * that also names the owner so a dead owner's intent is recognised at once.
 */
export interface IntentRider {
  /** Unix ms. */
  readonly expiresAt: number;
  readonly pid?: number;
  readonly host?: string;
}

export function parseIntent(text: string): IntentRider | undefined {
  try {
    const raw = JSON.parse(text) as unknown;
    if (typeof raw === 'number' && Number.isFinite(raw)) return { expiresAt: raw * 1000 };
    if (raw !== null && typeof raw === 'object') {
      const o = raw as { expiry?: unknown; pid?: unknown; host?: unknown };
      if (typeof o.expiry !== 'number') return undefined;
      return {
        expiresAt: o.expiry * 1000,
        ...(typeof o.pid === 'number' ? { pid: o.pid } : {}),
        ...(typeof o.host === 'string' ? { host: o.host } : {}),
      };
    }
  } catch {
    // fall through
  }
  return undefined;
}

export function serializeIntent(intent: IntentRider): string {
  return JSON.stringify({ expiry: intent.expiresAt / 1000, pid: intent.pid, host: intent.host });
}

/** `.FILENAME.veto.json` (3.5.1 keys). */
export interface VetoRider {
  readonly manifest: readonly string[];
  readonly veto_uuid: string;
  readonly veto_time: string;
  readonly veto_message: string;
  readonly veto_function: string;
  readonly veto_function_doc: string;
}
