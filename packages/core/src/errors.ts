/** Expected failures are values; exceptions are for bugs and for crossing the rule boundary. */

export type Result<T, E> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const err = <E>(error: E): { ok: false; error: E } => ({ ok: false, error });

/** One problem found while validating something as a whole (a rule set, a flags file, …). */
export interface Diagnostic {
  readonly code: string;
  readonly message: string;
  /** What the problem is about: a rule name, a file path, a flag. */
  readonly subject?: string;
}

/** A usage or configuration error the CLI maps to exit code 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code: string;
  readonly diagnostics: readonly Diagnostic[];
  constructor(message: string, options: { code?: string; diagnostics?: readonly Diagnostic[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? 'config';
    this.diagnostics = options.diagnostics ?? [];
  }
}

/**
 * A generation failed for an expected reason (bad input, unreachable service, …). Rules throw it
 * with a message that names the file and the cause; the engine adds the event and records a
 * cooldown.
 */
export class GenerationError extends Error {
  override readonly name = 'GenerationError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Thrown by rules whose science is not implemented yet: a clear failure, never a placeholder. */
export class NotImplementedError extends GenerationError {
  constructor(what: string) {
    super(`${what} is not yet implemented in this version of llama`);
  }
}

/** Render any thrown value as one line, following `cause` chains. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if (current instanceof Error) {
      parts.push(current.message);
      current = (current as { cause?: unknown }).cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.filter((p, i) => i === 0 || !parts[0]?.includes(p)).join(': ');
}

export function unreachable(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}
