/** Failures of the GraceDB adapter. Each names the URL it was fetching. */

export class GraceDbError extends Error {
  override readonly name: string = 'GraceDbError';
  readonly url: string;
  /** HTTP status, when the server answered. */
  readonly status: number | undefined;
  constructor(message: string, options: { url: string; status?: number; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.url = options.url;
    this.status = options.status;
  }
}

/** 404 (or a missing file in a file:// mirror): the object does not exist (yet). */
export class GraceDbNotFoundError extends GraceDbError {
  override readonly name = 'GraceDbNotFoundError';
}
