import type { EngineEvent } from '@llama/core';
import type { CliLog } from '../logging.js';
import { describeRun, describeSkip } from './describe.js';

/** Turn engine events into log lines (3.5.1 levels: generation at INFO, failures at WARNING). */
export function logEngineEvent(log: CliLog, e: EngineEvent): void {
  switch (e.type) {
    case 'pass-started':
      log.debug(`pass over ${e.events} event${e.events === 1 ? '' : 's'}`);
      break;
    case 'event-planned': {
      const run = e.plan.steps.filter((s) => s.action === 'run').length;
      if (run > 0) log.debug(`${run} step${run === 1 ? '' : 's'} to run`, e.plan.event.eventId);
      break;
    }
    case 'event-error':
      log.error(`event skipped: ${e.diagnostics.map((d) => d.message).join('; ')}`, e.event.eventId);
      break;
    case 'warning':
      log.warning(e.message, e.event?.eventId, e.rule);
      break;
    case 'step-started':
      log.info(`generating (${describeRun(e.reason)})`, e.event.eventId, e.rule);
      break;
    case 'step-succeeded':
      log.info(
        `done in ${(e.durationMs / 1000).toFixed(2)} s${e.changed ? '' : ', bytes unchanged (dependents stay fresh)'}${e.provisional === undefined ? '' : `; partial result: ${e.provisional}`}`,
        e.event.eventId,
        e.rule,
      );
      break;
    case 'step-failed':
      log.warning(
        `FAILED: ${e.error}${e.cooldownSeconds === undefined ? '' : `; next attempt in ${e.cooldownSeconds} s or later`}`,
        e.event.eventId,
        e.rule,
      );
      break;
    case 'step-skipped':
      log.debug(`skipped: ${describeSkip(e.reason)}`, e.event.eventId, e.rule);
      break;
    case 'step-cutoff':
      log.info('up to date: its rebuilt inputs did not change (early cutoff)', e.event.eventId, e.rule);
      break;
    case 'step-vetoed':
      log.info(`permanently vetoed (${e.veto}): ${e.message}`, e.event.eventId, e.rule);
      break;
    case 'log': {
      const level = e.level === 'warn' ? 'warning' : e.level;
      log.log({ level, message: e.message, event: e.event.eventId, rule: e.rule });
      break;
    }
    case 'pass-finished': {
      const s = e.summary;
      const busy = s.succeeded + s.failed + s.vetoed + s.cutoff + s.eventErrors > 0;
      const text = `pass done in ${(s.durationMs / 1000).toFixed(2)} s: ${s.events} events, ${s.succeeded} generated, ${s.failed} failed, ${s.cutoff} cut off, ${s.vetoed} vetoed, ${s.eventErrors} event errors`;
      if (busy) log.info(text);
      else log.debug(text);
      break;
    }
  }
}

/** A one-line progress display on a terminal: events done / total and what is running. */
export class ProgressLine {
  readonly #stream: NodeJS.WriteStream;
  readonly #running = new Map<string, string>();
  #total = 0;
  #done = new Set<string>();
  #pending = new Map<string, number>();
  #shown = false;

  constructor(stream: NodeJS.WriteStream) {
    this.#stream = stream;
  }

  static forStderr(): ProgressLine | undefined {
    return process.stderr.isTTY === true ? new ProgressLine(process.stderr) : undefined;
  }

  onEvent(e: EngineEvent): void {
    switch (e.type) {
      case 'pass-started':
        this.#total = e.events;
        this.#done.clear();
        this.#pending.clear();
        break;
      case 'event-planned': {
        const n = e.plan.steps.filter((s) => s.action === 'run' || s.action === 'veto').length;
        if (n === 0) this.#done.add(e.plan.event.eventDir);
        else this.#pending.set(e.plan.event.eventDir, n);
        break;
      }
      case 'step-started':
        this.#running.set(`${e.event.eventDir}:${e.rule}`, `${e.rule}(${e.event.eventId})`);
        break;
      case 'step-succeeded':
      case 'step-failed':
      case 'step-skipped':
      case 'step-cutoff':
      case 'step-vetoed': {
        this.#running.delete(`${e.event.eventDir}:${e.rule}`);
        const left = (this.#pending.get(e.event.eventDir) ?? 1) - 1;
        if (left <= 0) {
          this.#pending.delete(e.event.eventDir);
          this.#done.add(e.event.eventDir);
        } else this.#pending.set(e.event.eventDir, left);
        break;
      }
      case 'pass-finished':
        this.clear();
        return;
      default:
        return;
    }
    if (this.#running.size === 0 && !this.#shown) return;
    const running = [...this.#running.values()].slice(0, 4).join(', ');
    const more = this.#running.size > 4 ? ` +${this.#running.size - 4}` : '';
    const text = `llama: ${this.#done.size}/${this.#total} events done; running: ${running || '-'}${more}`;
    this.#stream.write(`\r\x1b[K${text.slice(0, (this.#stream.columns ?? 100) - 1)}`);
    this.#shown = true;
  }

  clear(): void {
    if (this.#shown) this.#stream.write('\r\x1b[K');
    this.#shown = false;
  }
}
