import { mkdirSync, realpathSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Logger as WinstonLogger } from 'winston';

export type Verbosity = 'debug' | 'info' | 'warning' | 'error' | 'critical' | 'none';
export const VERBOSITIES: readonly Verbosity[] = ['debug', 'info', 'warning', 'error', 'critical', 'none'];

type Level = 'debug' | 'info' | 'warning' | 'error' | 'critical';
const LEVELS: Record<Level, number> = { critical: 0, error: 1, warning: 2, info: 3, debug: 4 };

export interface LogRecord {
  readonly level: Level;
  readonly message: string;
  readonly event?: string;
  readonly rule?: string;
}

/** Does this path name /dev/null (directly or through links)? Then file logging is off. */
export function isDevNull(path: string): boolean {
  try {
    return realpathSync(resolve(path)) === '/dev/null';
  } catch {
    return resolve(path) === '/dev/null';
  }
}

/** Log time stamps: UTC, to the second, marked `Z` (what an operator reads is UTC and says so). */
export function utcStamp(ms: number = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** One log line, as stderr and the log files show it. */
export function formatLogLine(level: string, stamp: string, pid: number, event: unknown, rule: unknown, message: string): string {
  const where = [event, rule].filter((x) => typeof x === 'string' && x !== '').join(' ');
  return `|${level.toUpperCase()}|${stamp}|pid:${pid}|${where}| ${message}`;
}

/** Something drawn on the terminal below the log (a progress line): cleared before a log line is written, redrawn after. */
export interface TerminalOverlay {
  clear(): void;
  redraw(): void;
}

export interface LogTargets {
  /** Stderr threshold (3.5.1 -v); `none` silences stderr. */
  readonly verbosity: Verbosity;
  /** Files that always receive DEBUG: the archival log, and a daemon's own log. */
  readonly files: readonly string[];
}

/**
 * The CLI's log: UTC timestamp, level, pid, event and rule on every line. Stderr is written at
 * once, in order with the progress line (`overlay`); the files go through winston, loaded on the
 * first record for a file so a pass that has nothing to say stays fast.
 */
export class CliLog {
  readonly #targets: LogTargets;
  #winston: Promise<WinstonLogger> | undefined;
  #pending: Promise<unknown> = Promise.resolve();
  #overlay: TerminalOverlay | undefined;

  constructor(targets: LogTargets) {
    this.#targets = { verbosity: targets.verbosity, files: targets.files.filter((f) => !isDevNull(f)) };
  }

  get enabled(): boolean {
    return this.#targets.verbosity !== 'none' || this.#targets.files.length > 0;
  }

  wouldLog(level: Level): boolean {
    return this.#targets.files.length > 0 || (this.#targets.verbosity !== 'none' && LEVELS[level] <= LEVELS[this.#targets.verbosity as Level]);
  }

  /** Clear `overlay` before each stderr line and redraw it after. */
  setOverlay(overlay: TerminalOverlay | undefined): void {
    this.#overlay = overlay;
  }

  log(record: LogRecord): void {
    if (!this.wouldLog(record.level)) return;
    const stamp = utcStamp();
    const verbosity = this.#targets.verbosity;
    if (verbosity !== 'none' && LEVELS[record.level] <= LEVELS[verbosity]) {
      const line = `${formatLogLine(record.level, stamp, process.pid, record.event, record.rule, record.message)}\n`;
      this.#overlay?.clear();
      process.stderr.write(line);
      this.#overlay?.redraw();
    }
    if (this.#targets.files.length === 0) return;
    this.#winston ??= this.#create();
    this.#pending = this.#winston.then((w) => {
      w.log(record.level, record.message, { event: record.event, rule: record.rule, stamp });
    });
  }

  debug(message: string, event?: string, rule?: string): void {
    this.log({ level: 'debug', message, ...(event === undefined ? {} : { event }), ...(rule === undefined ? {} : { rule }) });
  }
  info(message: string, event?: string, rule?: string): void {
    this.log({ level: 'info', message, ...(event === undefined ? {} : { event }), ...(rule === undefined ? {} : { rule }) });
  }
  warning(message: string, event?: string, rule?: string): void {
    this.log({ level: 'warning', message, ...(event === undefined ? {} : { event }), ...(rule === undefined ? {} : { rule }) });
  }
  error(message: string, event?: string, rule?: string): void {
    this.log({ level: 'error', message, ...(event === undefined ? {} : { event }), ...(rule === undefined ? {} : { rule }) });
  }

  async #create(): Promise<WinstonLogger> {
    const winston = (await import('winston')).default;
    const { format, transports } = winston;
    // The stamp is taken when the record is made (UTC), not when winston gets to it.
    const base = format.printf((info) => formatLogLine(String(info.level), String(info['stamp']), process.pid, info['event'], info['rule'], String(info.message)));
    const list: InstanceType<typeof transports.Stream>[] = [];
    for (const file of this.#targets.files) {
      mkdirSync(dirname(file), { recursive: true });
      list.push(new transports.File({ filename: file, level: 'debug', format: base }));
    }
    return winston.createLogger({ levels: LEVELS, level: 'debug', transports: list });
  }

  /** Wait until every record is written (call before exiting). */
  async flush(): Promise<void> {
    await this.#pending;
    const logger = await this.#winston;
    if (logger === undefined) return;
    await new Promise<void>((done) => {
      let open = logger.transports.length;
      if (open === 0) return done();
      logger.on('finish', () => done());
      logger.end();
      setTimeout(done, 2000).unref();
      void open;
      open = 0;
    });
  }
}
