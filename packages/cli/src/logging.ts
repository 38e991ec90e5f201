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

export interface LogTargets {
  /** Stderr threshold (3.5.1 -v); `none` silences stderr. */
  readonly verbosity: Verbosity;
  /** Files that always receive DEBUG: the archival log, and a daemon's own log. */
  readonly files: readonly string[];
}

/**
 * The CLI's log: timestamp, level, pid, event and rule on every line, through winston. Winston
 * is loaded on the first record so a pass that has nothing to say stays fast.
 */
export class CliLog {
  readonly #targets: LogTargets;
  #winston: Promise<WinstonLogger> | undefined;
  #pending: Promise<unknown> = Promise.resolve();

  constructor(targets: LogTargets) {
    this.#targets = { verbosity: targets.verbosity, files: targets.files.filter((f) => !isDevNull(f)) };
  }

  get enabled(): boolean {
    return this.#targets.verbosity !== 'none' || this.#targets.files.length > 0;
  }

  wouldLog(level: Level): boolean {
    return this.#targets.files.length > 0 || (this.#targets.verbosity !== 'none' && LEVELS[level] <= LEVELS[this.#targets.verbosity as Level]);
  }

  log(record: LogRecord): void {
    if (!this.wouldLog(record.level)) return;
    this.#winston ??= this.#create();
    this.#pending = this.#winston.then((w) => {
      w.log(record.level, record.message, { event: record.event, rule: record.rule });
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
    const line = format.printf((info) => {
      const where = [info['event'], info['rule']].filter((x) => typeof x === 'string' && x !== '').join(' ');
      return `|${String(info.level).toUpperCase()}|${String(info['timestamp'])}|pid:${process.pid}|${where}| ${String(info.message)}`;
    });
    const base = format.combine(format.timestamp({ format: 'YYYY-MM-DD HH:mm:ss' }), line);
    const list: InstanceType<typeof transports.Stream>[] = [];
    if (this.#targets.verbosity !== 'none') {
      list.push(new transports.Console({ level: this.#targets.verbosity, stderrLevels: Object.keys(LEVELS), format: base }));
    }
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
