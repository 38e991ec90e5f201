import { randomUUID } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  constants,
  fdatasync,
  fstatSync,
  openSync,
  copyFileSync,
  linkSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { GenerationError, describeError } from '../errors.js';
import { TMP_DIRNAME, riderPaths } from '../event/paths.js';
import {
  parseCooldown,
  parseIntent,
  parseMetadataRider,
  serializeCooldown,
  serializeIntent,
  type MetadataRider,
  type VetoRider,
} from '../event/riders.js';
import { sha256, xxh64, type ContentHash, type HashCache } from '../hash/hash.js';
import { cooldownSeconds } from '../rule/cooldown.js';
import type { RunReason } from '../plan/types.js';
import { commandExitError, helperCanRun } from '../rule/json-rules.js';
import type { EventRef, Flags, GenerateContext, Rule, RuleLogger, ShellCommand } from '../rule/types.js';
import type { CommandRun, CommandRunner } from './command-runner.js';
import { fileKey, hostName, openInTmpDir, processAlive, retryOnMissingDir, sameFile, tmpName, writeAllSync, writeFileAtomicSync, type FileKey } from '../util/fs.js';
import type { Emit } from './events.js';
import { commitAll } from './git.js';
import { releaseLockHolders, removeDeadOwnersLock, withEventLock } from './lock.js';

export interface GenerationSettings {
  readonly cache: HashCache;
  readonly emit: Emit;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly now: () => number;
  /** Aborted when the process shuts down. */
  readonly shutdown?: AbortSignal;
  readonly versioning: boolean;
  /** fsync outputs and riders before renaming them into place. */
  readonly durable: boolean;
  /** Engine version recorded in riders (3.5.1 `version`). */
  readonly engineVersion: string;
  /**
   * Runs the part of a generation that needs a concurrency slot (claim, input snapshot, the
   * rule's own work). Flushing the output to disk and checking it in happen outside it, so a
   * slot goes to the next job while the disk catches up. Default: no bound.
   */
  readonly slot?: <T>(task: () => Promise<T>) => Promise<T>;
  /** The process's scratch files in the event's `.tmp.d/`, shared by its generations (default: one per generation). */
  readonly scratch?: EventScratch;
  /** When true at the moment a slot is granted, the job does not start (status `stopped`). */
  readonly stopping?: () => boolean;
  /** Runs command rules' commands in helper shells, prepared ahead (default: through `generate`, in a slot). */
  readonly commands?: CommandSettings;
  /**
   * This rule's inputs whose bytes are not what their rider says was generated (edited or damaged
   * since): named with a failure, which they may explain.
   */
  readonly editedInputs?: readonly EditedInput[];
}

export interface EditedInput {
  readonly rule: string;
  readonly filename: string;
}

/** A path inside a generation's work directory (`…/.tmp.d/work-PID-XXXXXX/`), gone once it ends. */
const SCRATCH_PATH = /([^\s'"`:()[\]]*\/)?\.tmp\.d\/[A-Za-z_][A-Za-z0-9_]*-\d+-[A-Za-z0-9]{6}\//g;

/**
 * Name the event directory's files in a message instead of the work directory's snapshots of
 * them (inputs are links to the event's files of the same name; the output goes there too), so
 * that a path an operator reads exists.
 */
export function eventPaths(message: string, eventDir: string): string {
  return message.replace(SCRATCH_PATH, (_match, prefix: string | undefined) => (prefix === undefined ? `${eventDir}/` : prefix));
}

export interface CommandSettings {
  readonly runner: CommandRunner;
  /** Bounds the commands being prepared or waiting to start (`Scheduler.prepare`). */
  readonly prepare: <T>(task: () => Promise<T>) => Promise<T>;
  /**
   * How long a prepared command may wait to start: the longest deadline of the command it may
   * wait behind (ms). Its intent is written to last that much longer.
   */
  readonly maxWaitMs: number;
}

/**
 * The scratch files a pass reuses across its generations and events: empty work directories and
 * spare intent files, moved by rename into the `.tmp.d/` of the event that needs them. A
 * generation then neither makes nor deletes a file: besides the system calls, on ext4 without a
 * journal every new inode is searched for past all recently deleted ones, so the churn of
 * short-lived files (per job, and per event) made every later file creation slower, including
 * the outputs and riders that must be created. Names carry the pid, so a crashed process's ones
 * are swept by the next pass (`sweepTmpDir`). `close` (at the end of the pass) removes them all,
 * with the event-lock holders.
 */
export class ScratchPool {
  readonly #freeDirs: string[] = [];
  readonly #allDirs = new Set<string>();
  readonly #spares: { path: string; size: number }[] = [];
  /** The `.tmp.d/` of every event this pool served: removed at `close` when left empty. */
  readonly #tmpDirs = new Set<string>();

  /** Note an event's `.tmp.d/` as used by this pass. */
  useTmpDir(tmpDir: string): void {
    this.#tmpDirs.add(tmpDir);
  }

  /** An empty work directory in `tmpDir` (an event's `.tmp.d/`): a free one moved there, or a new one. */
  takeWorkDir(tmpDir: string): string {
    for (let free = this.#freeDirs.pop(); free !== undefined; free = this.#freeDirs.pop()) {
      if (dirname(free) === tmpDir) return free;
      const moved = join(tmpDir, basename(free));
      if (moveInto(free, moved)) {
        this.#allDirs.delete(free);
        this.#allDirs.add(moved);
        return moved;
      }
      rmSync(free, { recursive: true, force: true }); // another file system, or gone
      this.#allDirs.delete(free);
    }
    let dir: string;
    try {
      dir = mkdtempSync(join(tmpDir, `work-${process.pid}-`));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      // No .tmp.d yet, or another process's sweep removed it while it was empty (sweepScratch).
      dir = retryOnMissingDir(tmpDir, () => mkdtempSync(join(tmpDir, `work-${process.pid}-`)));
    }
    this.#allDirs.add(dir);
    return dir;
  }

  /**
   * Empty a work directory and keep it for the next generation; or remove it, when the work that
   * used it may still be running (aborted, being killed): a late write must not land in the work
   * directory of another generation.
   */
  giveWorkDir(dir: string, reusable = true): void {
    if (!reusable) {
      rmSync(dir, { recursive: true, force: true });
      this.#allDirs.delete(dir);
      return;
    }
    try {
      for (const name of readdirSync(dir)) removeEntry(join(dir, name));
      this.#freeDirs.push(dir);
    } catch {
      rmSync(dir, { recursive: true, force: true });
      this.#allDirs.delete(dir);
    }
  }

  takeSpare(): { path: string; size: number } | undefined {
    return this.#spares.pop();
  }

  keepSpare(path: string, size: number): void {
    this.#spares.push({ path, size });
  }

  close(): void {
    for (const dir of this.#allDirs) rmSync(dir, { recursive: true, force: true });
    this.#allDirs.clear();
    this.#freeDirs.length = 0;
    for (const spare of this.#spares) rmSync(spare.path, { force: true });
    this.#spares.length = 0;
    releaseLockHolders();
    // An empty `.tmp.d/` goes too: the next snapshot then sees in the event directory's listing,
    // at no cost, that there is nothing to sweep (see `sweepScratch`).
    for (const tmpDir of this.#tmpDirs) {
      try {
        rmdirSync(tmpDir);
      } catch {
        // not empty (another process works there; or a dead one's scratch, swept by the next pass), or gone
      }
    }
    this.#tmpDirs.clear();
  }
}

/** Rename `from` to `to`, making `to`'s directory when it is missing; false when it cannot be moved. */
function moveInto(from: string, to: string): boolean {
  try {
    renameSync(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !existsSync(from)) return false;
  }
  try {
    mkdirSync(dirname(to), { recursive: true });
    renameSync(from, to);
    return true;
  } catch {
    return false;
  }
}

/** One event's view of the pass's scratch files: work directories and intents in its `.tmp.d/`. */
export class EventScratch {
  readonly #root: string;
  readonly #pool: ScratchPool;
  constructor(eventDir: string, pool: ScratchPool) {
    this.#root = join(eventDir, TMP_DIRNAME);
    this.#pool = pool;
    pool.useTmpDir(this.#root);
  }
  takeWorkDir(): string {
    return this.#pool.takeWorkDir(this.#root);
  }
  giveWorkDir(dir: string, reusable = true): void {
    this.#pool.giveWorkDir(dir, reusable);
  }
  /**
   * Put `content` at `path` so that readers see all of it or nothing, in a spare file when there
   * is one; returns the identity of the file put there (to recognise it later without reading it).
   * A spare is overwritten from the start and padded with spaces to its old length (JSON allows
   * trailing whitespace), never truncated: on ext4 a file truncated to zero and written again is
   * flushed to disk when closed (auto_da_alloc), ~0.1 ms each.
   */
  writeIntent(path: string, content: string): FileKey {
    const spare = this.#pool.takeSpare();
    if (spare !== undefined) {
      let fd: number | undefined;
      try {
        fd = openSync(spare.path, constants.O_WRONLY);
      } catch {
        // removed by hand: make a new one
      }
      if (fd !== undefined) {
        const placed = this.#place(fd, spare.path, path, content.padEnd(spare.size), false);
        if (placed !== undefined) return placed;
        this.#pool.keepSpare(spare.path, Math.max(spare.size, Buffer.byteLength(content))); // another file system
      }
    }
    const { path: tmp, fd } = openInTmpDir(this.#root, tmpName('intent'), 'wx');
    return this.#place(fd, tmp, path, content, true) as FileKey;
  }
  /** Write, close and rename into place; undefined (file kept) when the rename crosses file systems. */
  #place(fd: number, tmp: string, path: string, text: string, removeOnError: boolean): FileKey | undefined {
    const bytes = Buffer.from(text);
    try {
      let identity: FileKey;
      try {
        writeAllSync(fd, bytes);
        identity = fileKey(fstatSync(fd));
      } finally {
        closeSync(fd);
      }
      try {
        renameSync(tmp, path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EXDEV' && !removeOnError) return undefined;
        throw error;
      }
      return identity;
    } catch (error) {
      rmSync(tmp, { force: true });
      throw error;
    }
  }
  /**
   * Take the intent away from `path`, keeping its file as a spare; `size` is the file's size when
   * the caller knows it (the identity `writeIntent` returned), else it is asked for.
   */
  retireIntent(path: string, size?: number): void {
    const spare = join(this.#root, tmpName('intent'));
    try {
      renameSync(path, spare);
      this.#pool.keepSpare(spare, size ?? statSync(spare).size);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

/** Remove one entry of a work directory: usually a file (an input's link), rarely a tree. */
function removeEntry(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code !== 'EISDIR' && code !== 'EPERM') throw error;
    rmSync(path, { recursive: true, force: true });
  }
}

export type GenerationOutcome =
  | { readonly status: 'succeeded'; readonly hash: ContentHash; readonly changed: boolean }
  /** Another process replaced the output after this pass planned it: nothing to do. */
  | { readonly status: 'superseded'; readonly hash: ContentHash | undefined }
  | { readonly status: 'failed'; readonly error: string }
  | { readonly status: 'intent-held'; readonly until: number; readonly pid?: number }
  /** Not started: the process is shutting down. */
  | { readonly status: 'stopped' };

function unlinkQuiet(path: string): void {
  // Usually absent (a cold build): asking first is cheaper than the exception of an ENOENT.
  if (!existsSync(path)) return;
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function makeLogger(emit: Emit, event: EventRef, rule: string): RuleLogger {
  const at = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, fields?: Record<string, unknown>) =>
    emit({ type: 'log', level, event, rule, message: eventPaths(message, event.eventDir), ...(fields === undefined ? {} : { fields }) });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** The generations to abort when a shutdown signal fires: one listener per signal, not one per job. */
const followers = new WeakMap<AbortSignal, Set<AbortController>>();

/** Abort `job` when `shutdown` fires; returns the function that stops following it. */
function followShutdown(shutdown: AbortSignal, job: AbortController): () => void {
  if (shutdown.aborted) {
    job.abort(shutdown.reason);
    return () => undefined;
  }
  let jobs = followers.get(shutdown);
  if (jobs === undefined) {
    const following = new Set<AbortController>();
    jobs = following;
    followers.set(shutdown, following);
    shutdown.addEventListener(
      'abort',
      () => {
        for (const each of following) each.abort(shutdown.reason);
        following.clear();
      },
      { once: true },
    );
  }
  jobs.add(job);
  const set = jobs;
  return () => {
    set.delete(job);
  };
}

/** Resolves never; rejects when the signal aborts (so a generate that ignores the signal still stops being awaited). */
function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/**
 * Generate one rule's output for one event, crash-safely:
 * claim (intent, under the event lock) → snapshot inputs into `.tmp.d` → generate with a
 * deadline → check in under the lock (drop the old rider, rename the output into place,
 * write the new rider, commit, drop the intent). A crash at any point leaves the old state or
 * the new one; an intent without a rider tells the next pass to redo the work.
 */
export async function generateRule(
  event: EventRef,
  rule: Rule,
  flags: Flags,
  reason: RunReason,
  previousHash: ContentHash | undefined,
  settings: GenerationSettings,
): Promise<GenerationOutcome> {
  const { emit, now } = settings;
  const paths = riderPaths(event.eventDir, rule.filename);
  /** When the rule's work started (its slot granted, its command started): wall times and deadlines count from there. */
  let started = now();
  const me = { pid: process.pid, host: hostName() };

  const slot = settings.slot ?? (<T>(task: () => Promise<T>): Promise<T> => task());
  const ownPool = settings.scratch === undefined ? new ScratchPool() : undefined;
  const scratch = settings.scratch ?? new EventScratch(event.eventDir, ownPool as ScratchPool);
  let workDir: string | undefined;
  /** The output, open from when it is read until it is checked in (flushed and stat'ed through it). */
  let producedFd: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  // One controller, aborted by the deadline or by the process shutting down (cheaper per job
  // than composing two signals with AbortSignal.any).
  const abort = new AbortController();
  let timedOut = false;
  let unfollow = (): void => undefined;
  /** How far check-in got: after `renamed` and before `recorded` the intent must stay as a marker. */
  let stage: 'claiming' | 'generating' | 'checking-in' | 'renamed' | 'recorded' = 'claiming';
  /** The rule's work (its command, or its `generate`) may still be running in `workDir`. */
  const work = { inFlight: false };
  const releaseWorkDir = (): void => {
    if (workDir === undefined) return;
    scratch.giveWorkDir(workDir, !work.inFlight);
    workDir = undefined;
  };
  try {
    /** Claim the output and snapshot the inputs: what every generation does before its work. */
    const prepare = async (waitMs = 0): Promise<GenerationOutcome | Prepared> => {
      if (settings.stopping?.() === true) return { status: 'stopped' } satisfies GenerationOutcome;
      started = now();
      let claim: Claim;
      try {
        claim = await claimOutput(event, rule, previousHash, settings, scratch, me, waitMs);
      } catch (error) {
        // Could not even claim the file (a full disk, an unwritable event directory): a failure of
        // this rule, reported with its cause; nothing was written.
        const message = eventPaths(`could not start: ${describeError(error)}`, event.eventDir);
        emit({ type: 'step-failed', event, rule: rule.name, reason, error: message, durationMs: now() - started });
        return { status: 'failed', error: message } satisfies GenerationOutcome;
      }
      if (claim.held) return { status: 'intent-held', until: claim.until, ...(claim.pid === undefined ? {} : { pid: claim.pid }) } satisfies GenerationOutcome;
      if (claim.superseded !== undefined) return { status: 'superseded', hash: claim.superseded.hash } satisfies GenerationOutcome;
      stage = 'generating';
      if (settings.shutdown !== undefined) unfollow = followShutdown(settings.shutdown, abort);
      const dir = scratch.takeWorkDir();
      workDir = dir;
      // A failed job's scratch files go before its slot does: they may be what filled the disk.
      try {
        const inputs: Record<string, string> = {};
        const inputHashes: Record<string, ContentHash> = {};
        const inputSha: Record<string, string> = {};
        for (const input of rule.inputs) {
          const source = join(event.eventDir, input.filename);
          const target = join(dir, input.filename);
          let hashes: { hash: ContentHash; sha: string };
          try {
            hashes = snapshotAndHash(source, target, settings.cache);
          } catch (error) {
            throw new GenerationError(`input ${input.filename} cannot be read`, { cause: error });
          }
          inputs[input.name] = target;
          inputHashes[input.name] = hashes.hash;
          inputSha[input.name] = hashes.sha;
        }
        return { status: 'prepared', workDir: dir, inputs, inputHashes, inputSha, intent: claim.intent };
      } catch (error) {
        releaseWorkDir();
        throw error;
      }
    };
    /** The work is starting: its deadline counts from now. */
    const begin = (): void => {
      started = now();
      emit({ type: 'step-started', event, rule: rule.name, reason });
      timer = setTimeout(() => {
        timedOut = true;
        abort.abort(new GenerationError(`timed out after ${rule.timeoutSeconds} s`));
      }, rule.timeoutSeconds * 1000);
    };
    /** The work is done: read what it wrote. */
    const collect = (prepared: Prepared, provisional: Provisional | undefined): Made => {
      clearTimeout(timer);
      const produced = join(prepared.workDir, rule.filename);
      const { fd, bytes } = openProduced(produced, rule.filename);
      producedFd = fd;
      return { status: 'made', prepared, produced, bytes, provisional };
    };

    const commands = settings.commands;
    const vars = rule.command?.vars(event);
    const made: GenerationOutcome | Made =
      commands !== undefined && rule.command !== undefined && vars !== undefined && rule.pool === undefined && helperCanRun(rule.command, vars, event.eventDir, settings.env)
        ? await runCommand(rule.command, vars, commands, prepare, begin, collect, abort.signal, event, releaseWorkDir, work)
        : await slot(async () => {
            const prepared = await prepare();
            if (prepared.status !== 'prepared') return prepared;
            begin();
            const signal = abort.signal;
            try {
              let provisional: Provisional | undefined;
              const ctx: GenerateContext = {
                rule: rule.name,
                event,
                flags,
                inputs: prepared.inputs,
                outputPath: join(prepared.workDir, rule.filename),
                workDir: prepared.workDir,
                signal,
                log: makeLogger(emit, event, rule.name),
                env: settings.env,
                now: () => new Date(now()),
                setProvisional: (why, retryAfterSeconds) => {
                  provisional = { reason: why, retryAfterSeconds };
                },
              };
              work.inFlight = true;
              const generating = rule.generate(ctx);
              const settled = (): void => {
                work.inFlight = false;
              };
              generating.then(settled, settled);
              await Promise.race([generating, rejectOnAbort(signal)]);
              return collect(prepared, provisional);
            } catch (error) {
              releaseWorkDir();
              throw error;
            }
          });
    if (made.status !== 'made') return made;
    const { produced, bytes, provisional } = made;
    const { inputHashes, inputSha, intent: ourIntent } = made.prepared;
    const hash = xxh64(bytes);
    const sha = sha256(bytes);
    const finished = now();
    const rider: MetadataRider = {
      checksums: { [rule.name]: sha },
      dep_checksums: inputSha,
      dep_subset_checksums: inputSha,
      version: settings.engineVersion,
      manifest_filehandlers: `(${rule.name},)`,
      wall_time: (finished - started) / 1000,
      generation_uuid: randomUUID(),
      generation_time: new Date(finished).toISOString(),
      flags,
      llama: {
        schema: 1,
        rule: rule.name,
        rule_version: rule.version,
        output: hash,
        inputs: inputHashes,
        ...(provisional === undefined
          ? {}
          : { provisional: { reason: provisional.reason, retry_after: new Date(finished + provisional.retryAfterSeconds * 1000).toISOString() } }),
      },
    };
    const finalPath = join(event.eventDir, rule.filename);
    // Flush the new bytes before the rename makes them the output, outside the event lock and the
    // concurrency slot: other jobs need not wait for the disk, and flushes that overlap share the
    // file system's journal commits. Riders are not fsynced: a rider lost to a power cut only
    // makes the next pass redo that output.
    if (settings.durable) await flushFile(producedFd as number);
    await withEventLock(event.eventDir, async () => {
      stage = 'checking-in';
      // Still our intent file (not removed, nor replaced by a process that judged it stale)?
      const intent = statSync(paths.intent, { throwIfNoEntry: false });
      if (intent === undefined || !sameFile(intent, ourIntent)) {
        throw new GenerationError('the intent file was removed or taken over while generating; result discarded');
      }
      // Drop the old rider first: no rider may ever describe bytes that are not on disk.
      unlinkQuiet(paths.metadata);
      renameSync(produced, finalPath);
      stage = 'renamed';
      const riderText = `${JSON.stringify(rider, null, 4)}\n`;
      const riderFile = writeFileAtomicSync(paths.metadata, riderText, { durable: false });
      stage = 'recorded';
      settings.cache.vouch(paths.metadata, riderFile, { parsed: parseMetadataRider(riderText) });
      unlinkQuiet(paths.cooldown);
      if (settings.versioning) {
        try {
          await commitAll(event.eventDir, `Done regenerating ${rule.name}. Files added from manifest:\n\n${rule.filename}\n`);
        } catch (commitError) {
          // The output and its rider are consistent; the next commit sweeps them in.
          emit({ type: 'warning', event, rule: rule.name, message: `git commit failed (the next commit will include this output): ${describeError(commitError)}` });
        }
      }
      scratch.retireIntent(paths.intent, ourIntent.size);
    });
    // The rename changed the output's ctime: its stat key for the caches is the one after.
    const checkedIn = fstatSync(producedFd as number);
    settings.cache.record(finalPath, checkedIn, hash);
    settings.cache.vouch(finalPath, checkedIn, { hash, sha });
    const changed = hash !== previousHash;
    emit({
      type: 'step-succeeded',
      event,
      rule: rule.name,
      reason,
      hash,
      changed,
      durationMs: finished - started,
      ...(provisional === undefined ? {} : { provisional: provisional.reason }),
    });
    return { status: 'succeeded', hash, changed };
  } catch (error) {
    const shutdown = settings.shutdown?.aborted === true && !timedOut;
    const message = eventPaths(describeError(error), event.eventDir);
    let wait: number | undefined;
    try {
      wait = await withEventLock(event.eventDir, () => {
        const intent = existsSync(paths.intent) ? parseIntent(readFileSync(paths.intent, 'utf8')) : undefined;
        // A replaced but unrecorded output keeps its intent: the next pass sees "interrupted" and redoes it.
        if (intent?.pid === me.pid && stage !== 'renamed') scratch.retireIntent(paths.intent);
        if (shutdown) return undefined;
        const previous = existsSync(paths.cooldown) ? parseCooldown(readFileSync(paths.cooldown, 'utf8')) : undefined;
        const numAttempts = previous === undefined ? 0 : previous.numAttempts + 1;
        const at = now();
        writeFileAtomicSync(paths.cooldown, serializeCooldown({ numAttempts, lastAttempt: at, lastError: message, lastErrorTime: at }), { durable: false });
        return cooldownSeconds(rule.cooldown, numAttempts);
      });
    } catch (lockError) {
      emit({ type: 'warning', event, rule: rule.name, message: `could not record the failure: ${describeError(lockError)}` });
    }
    emit({
      type: 'step-failed',
      event,
      rule: rule.name,
      reason,
      error: message,
      durationMs: now() - started,
      ...(wait === undefined ? {} : { cooldownSeconds: wait }),
      ...(settings.editedInputs === undefined || settings.editedInputs.length === 0 ? {} : { editedInputs: settings.editedInputs }),
    });
    return { status: 'failed', error: message };
  } finally {
    if (producedFd !== undefined) closeSync(producedFd);
    clearTimeout(timer);
    unfollow();
    // Leftovers of a crash are swept by the next pass.
    releaseWorkDir();
    ownPool?.close();
  }
}

type Provisional = { reason: string; retryAfterSeconds: number };

/** A claimed output with its inputs snapshotted in its work directory. */
interface Prepared {
  readonly status: 'prepared';
  readonly workDir: string;
  readonly inputs: Record<string, string>;
  readonly inputHashes: Record<string, ContentHash>;
  readonly inputSha: Record<string, string>;
  readonly intent: FileKey;
}

/** The rule's work done: its output read, still open (`producedFd`). */
interface Made {
  readonly status: 'made';
  readonly prepared: Prepared;
  readonly produced: string;
  readonly bytes: Buffer;
  readonly provisional: Provisional | undefined;
}

/**
 * A command rule's generation: prepared (claim, inputs) among the commands allowed ahead, handed
 * to the command runner, which starts it as soon as a slot frees (see `CommandRunner`); the
 * deadline counts from its start.
 */
async function runCommand(
  command: ShellCommand,
  vars: Record<string, string>,
  commands: CommandSettings,
  prepare: (waitMs: number) => Promise<GenerationOutcome | Prepared>,
  begin: () => void,
  collect: (prepared: Prepared, provisional: undefined) => Made,
  signal: AbortSignal,
  event: EventRef,
  releaseWorkDir: () => void,
  work: { inFlight: boolean },
): Promise<GenerationOutcome | Made> {
  let run: CommandRun | undefined;
  const onAbort = (): void => run?.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const prepared = await commands.prepare(async () => {
      const ready = await prepare(commands.maxWaitMs);
      if (ready.status !== 'prepared') return ready;
      try {
        if (signal.aborted) throw signal.reason;
        run = commands.runner.submit(ready.workDir, vars, command.text);
        // From now on the command may start at any moment, until its end is reported.
        work.inFlight = true;
        const settled = (): void => {
          work.inFlight = false;
        };
        run.done.then(settled, settled);
        await Promise.race([run.started, rejectOnAbort(signal)]);
      } catch (error) {
        releaseWorkDir();
        throw error;
      }
      return ready;
    });
    if (prepared.status !== 'prepared') return prepared;
    const started = run as CommandRun;
    begin();
    try {
      let code: number;
      try {
        code = await Promise.race([started.done, rejectOnAbort(signal)]);
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        throw new GenerationError(`${command.where(event)}: ${describeError(error)}`, { cause: error });
      }
      if (code !== 0) throw commandExitError(command.where(event), code, started.stderr.lines());
      return collect(prepared, undefined);
    } catch (error) {
      releaseWorkDir();
      throw error;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

type Claim =
  | { held: true; until: number; pid: number | undefined }
  | { held: false; superseded: { hash: ContentHash | undefined } }
  | { held: false; superseded?: undefined; intent: FileKey };

/**
 * Under the event lock: give way to a live intent of another run; notice that another process
 * made the output since the plan (superseded); otherwise write this run's intent.
 */
async function claimOutput(
  event: EventRef,
  rule: Rule,
  previousHash: ContentHash | undefined,
  settings: GenerationSettings,
  scratch: EventScratch,
  me: { readonly pid: number; readonly host: string },
  waitMs: number,
): Promise<Claim> {
  const { now } = settings;
  const paths = riderPaths(event.eventDir, rule.filename);
  return withEventLock(event.eventDir, (): Claim => {
    if (existsSync(paths.intent)) {
      const other = parseIntent(readFileSync(paths.intent, 'utf8'));
      const otherAlive = other?.pid === undefined || other.host !== me.host ? true : other.pid === me.pid ? false : processAlive(other.pid);
      if (other !== undefined && other.expiresAt > now() && otherAlive && other.pid !== me.pid) {
        return { held: true, until: other.expiresAt, pid: other.pid };
      }
    }
    // The plan was made from a snapshot: if the output changed since (another process made it),
    // there is nothing left to do.
    const finalPath = join(event.eventDir, rule.filename);
    const stat = statSync(finalPath, { throwIfNoEntry: false });
    const currentHash = stat?.isFile() === true ? settings.cache.hash(finalPath, stat) : undefined;
    if (currentHash !== previousHash) return { held: false, superseded: { hash: currentHash } };
    // The intent outlives the job's deadline, counted from its start, which may come `waitMs` later.
    const intent = scratch.writeIntent(paths.intent, serializeIntent({ expiresAt: now() + waitMs + rule.timeoutSeconds * 1000, ...me }));
    return { held: false, intent };
  });
}

/**
 * Freeze an input for one generation: a hard link to the file's current inode, which the engine
 * never writes in place (a new version is a new inode, renamed over the name), so the rule reads
 * the version that was current at its start whatever happens to the event meanwhile, at the cost
 * of a directory entry instead of a copy of a possibly large file. Where links are impossible, a
 * read-only copy.
 */
function snapshotInput(source: string, target: string): void {
  try {
    linkSync(source, target);
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      unlinkSync(target);
      return snapshotInput(source, target);
    }
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EMLINK') throw error;
  }
  copyFileSync(source, target);
  chmodSync(target, 0o444);
}

/** fdatasync the new bytes (a read-only descriptor is enough on Linux), in the thread pool. */
function flushFile(fd: number): Promise<void> {
  return new Promise<void>((resolvePromise, reject) => fdatasync(fd, (error) => (error === null ? resolvePromise() : reject(error))));
}

/**
 * Open the output a rule wrote and read it: the descriptor stays open for the flush and for the
 * stat after check-in (one open instead of three path lookups).
 */
function openProduced(path: string, filename: string): { fd: number; bytes: Buffer } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new GenerationError(`the rule finished without writing ${filename}`);
    throw error;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new GenerationError(`the rule finished without writing ${filename} (it is not a regular file)`);
    const bytes = Buffer.allocUnsafe(stat.size);
    let filled = 0;
    while (filled < bytes.length) {
      const got = readSync(fd, bytes, filled, bytes.length - filled, filled);
      if (got === 0) break;
      filled += got;
    }
    return { fd, bytes: filled === bytes.length ? bytes : bytes.subarray(0, filled) };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/**
 * Snapshot an input (`snapshotInput`) and hash what the rule will read: the snapshot, not the
 * path (which may be replaced meanwhile). An output this pass checked in is not read again when
 * the snapshot is still that file (`HashCache.vouched`): its hashes are known.
 */
function snapshotAndHash(source: string, target: string, cache: HashCache): { hash: ContentHash; sha: string } {
  snapshotInput(source, target);
  const known = cache.vouched(source, statSync(target));
  if (known?.hash !== undefined && known.sha !== undefined) return { hash: known.hash, sha: known.sha };
  const bytes = readFileSync(target);
  return { hash: xxh64(bytes), sha: sha256(bytes) };
}

/**
 * Remove what dead processes left in `.tmp.d/` (work directories `<Rule or work>-<pid>-XXXXXX`,
 * temp files `<name>.<pid>.<hex>.tmp`, an `EVENTLOCK` they held). Only entries whose pid is gone
 * are touched.
 */
export function sweepTmpDir(eventDir: string): string[] {
  const tmpRoot = join(eventDir, TMP_DIRNAME);
  let names: string[];
  try {
    names = readdirSync(tmpRoot);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (name === 'EVENTLOCK') {
      if (removeDeadOwnersLock(eventDir)) removed.push(name);
      continue;
    }
    const pid = /^[A-Za-z_][A-Za-z0-9_]*-(\d+)-[A-Za-z0-9]{6}$/.exec(name)?.[1] ?? /\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name)?.[1];
    if (pid === undefined || Number(pid) === process.pid || processAlive(Number(pid))) continue;
    rmSync(join(tmpRoot, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * Sweep the scratch dead processes left in an event's `.tmp.d/` (see `sweepTmpDir`), then remove
 * `.tmp.d/` itself when nothing is left in it, so that the next snapshot sees at no cost (in the
 * event directory's listing it reads anyway) that there is nothing to sweep. A process that needs
 * `.tmp.d/` again makes it again (`openInTmpDir`, `ScratchPool.takeWorkDir`, the event lock).
 */
export function sweepScratch(eventDir: string): { readonly removed: readonly string[]; readonly emptied: boolean } {
  const removed = sweepTmpDir(eventDir);
  try {
    rmdirSync(join(eventDir, TMP_DIRNAME));
    return { removed, emptied: true };
  } catch {
    return { removed, emptied: false }; // not empty (a live process works there), or gone
  }
}

/** Write a permanent veto rider (3.5.1 `.FILENAME.veto.json`) and commit it. */
export async function writePermanentVeto(
  event: EventRef,
  rule: Rule,
  veto: string,
  message: string,
  settings: GenerationSettings,
): Promise<void> {
  const paths = riderPaths(event.eventDir, rule.filename);
  const rider: VetoRider = {
    manifest: [rule.filename],
    veto_uuid: randomUUID(),
    veto_time: new Date(settings.now()).toISOString(),
    veto_message: message,
    veto_function: veto,
    veto_function_doc: message,
  };
  await withEventLock(event.eventDir, async () => {
    writeFileAtomicSync(paths.veto, `${JSON.stringify(rider, null, 4)}\n`, { durable: settings.durable });
    if (settings.versioning) await commitAll(event.eventDir, `Veto activated on ${rule.name}: ${message}.\n\n.${rule.filename}.veto.json\n`);
  });
  settings.emit({ type: 'step-vetoed', event, rule: rule.name, veto, message });
}
