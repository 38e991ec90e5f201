import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

/**
 * Wakes the daemon when files land: one non-recursive watcher on the run directory (new
 * events) and one per selected event directory. Falls back to polling only, silently, when the
 * platform refuses watchers (e.g. the inotify limit); the caller polls every 2 s regardless.
 */
export class ChangeWatcher {
  readonly #watchers = new Map<string, FSWatcher>();
  readonly #changed = new Set<string>();
  #runChanged = false;
  #wake: (() => void) | undefined;
  #failed = false;

  get available(): boolean {
    return !this.#failed;
  }

  /** Watch exactly these event directories (and their run directories). */
  update(runDirs: readonly string[], eventDirs: readonly string[]): void {
    if (this.#failed) return;
    const wanted = new Set([...runDirs.map((r) => `run:${r}`), ...eventDirs.map((e) => `event:${e}`)]);
    for (const [key, watcher] of this.#watchers) {
      if (!wanted.has(key)) {
        watcher.close();
        this.#watchers.delete(key);
      }
    }
    for (const key of wanted) {
      if (this.#watchers.has(key)) continue;
      const isRun = key.startsWith('run:');
      const dir = key.slice(isRun ? 4 : 6);
      try {
        const watcher = watch(dir, { persistent: false }, (_type, name) => {
          const file = name?.toString() ?? '';
          // Our own scratch space and transient riders do not make anything stale.
          if (file.startsWith('.tmp.d') || file.endsWith('.intent.json')) return;
          if (isRun) this.#runChanged = true;
          else this.#changed.add(dir);
          this.#wake?.();
        });
        watcher.on('error', () => {
          watcher.close();
          this.#watchers.delete(key);
        });
        this.#watchers.set(key, watcher);
      } catch {
        this.#failed = true;
        this.close();
        return;
      }
    }
  }

  /** Wait for a change or the timeout; returns the event directories that changed (empty on timeout). */
  async wait(timeoutMs: number, signal: AbortSignal): Promise<{ events: string[]; runChanged: boolean }> {
    if (this.#changed.size === 0 && !this.#runChanged && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          this.#wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        signal.addEventListener('abort', done, { once: true });
        // Debounce: let a burst of writes (file + rider) arrive before the pass starts.
        this.#wake = () => {
          this.#wake = undefined;
          setTimeout(done, 5);
        };
      });
    }
    const events = [...this.#changed];
    const runChanged = this.#runChanged;
    this.#changed.clear();
    this.#runChanged = false;
    return { events, runChanged };
  }

  close(): void {
    for (const watcher of this.#watchers.values()) watcher.close();
    this.#watchers.clear();
  }
}

export function eventDirOf(runDir: string, eventId: string): string {
  return join(runDir, eventId);
}
