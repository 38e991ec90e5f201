import { readdirSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

export interface Change {
  readonly run: string;
  /** The event whose directory changed; undefined when the run directory itself changed (events came or went). */
  readonly event?: string;
}

/**
 * File-system notifications for the live pages: one watcher on each run directory (events
 * appearing) and one on each event directory (outputs, riders, FLAGS.json: a generation starts
 * with its intent rider and ends with a rename). Changes are debounced per event.
 */
export class RunWatcher {
  readonly #watchers = new Map<string, FSWatcher>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  #closed = false;
  /** Watchers the platform refused (e.g. the inotify limit): those events update on reload only. */
  refused = 0;

  constructor(
    private readonly runs: readonly { readonly name: string; readonly dir: string }[],
    private readonly onChange: (change: Change) => void,
    private readonly debounceMs = 100,
  ) {
    for (const run of runs) {
      this.#watch(`run\0${run.name}`, run.dir, () => {
        this.#scan(run);
        this.#emit({ run: run.name });
      });
      this.#scan(run);
    }
  }

  #watch(key: string, dir: string, fire: (file: string) => void): void {
    if (this.#closed || this.#watchers.has(key)) return;
    try {
      const watcher = watch(dir, { persistent: false }, (_type, name) => fire(name?.toString() ?? ''));
      watcher.on('error', () => {
        watcher.close();
        this.#watchers.delete(key);
      });
      this.#watchers.set(key, watcher);
    } catch {
      this.refused++;
    }
  }

  /** Watch every event directory of the run not watched yet; forget those that are gone. */
  #scan(run: { readonly name: string; readonly dir: string }): void {
    let names: string[];
    try {
      names = readdirSync(run.dir, { withFileTypes: true })
        .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
        .map((d) => d.name);
    } catch {
      return;
    }
    const present = new Set(names.map((n) => `event\0${run.name}\0${n}`));
    for (const [key, watcher] of this.#watchers) {
      if (key.startsWith(`event\0${run.name}\0`) && !present.has(key)) {
        watcher.close();
        this.#watchers.delete(key);
      }
    }
    for (const name of names) {
      this.#watch(`event\0${run.name}\0${name}`, join(run.dir, name), (file) => {
        // The engine's scratch space changes constantly and says nothing about the state.
        if (file.startsWith('.tmp.d') || file === '.git') return;
        this.#emit({ run: run.name, event: name });
      });
    }
  }

  #emit(change: Change): void {
    const key = `${change.run}\0${change.event ?? ''}`;
    if (this.#timers.has(key)) return;
    this.#timers.set(
      key,
      setTimeout(() => {
        this.#timers.delete(key);
        if (!this.#closed) this.onChange(change);
      }, this.debounceMs),
    );
  }

  close(): void {
    this.#closed = true;
    for (const w of this.#watchers.values()) w.close();
    this.#watchers.clear();
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }
}
