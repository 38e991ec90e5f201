import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readFile } from 'node:fs/promises';
import type { ingest as Ingest } from '@llama/pipelines';
import { validTopic } from './archive.js';
import { ingestBytes, topicKind, type Handled, type TopicKind } from './handle.js';

/**
 * `llama listen --replay`: archived or recorded messages through the same ingest path (tests,
 * re-analysis, a missed night). Directories are read recursively, in the order the messages
 * were archived; files named on the command line keep their order. Nothing is archived again.
 */
export function replayFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const path of paths) {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat === undefined) throw new Error(`${path}: no such file or directory`);
    if (!stat.isDirectory()) {
      out.push(path);
      continue;
    }
    const found: { file: string; mtime: number }[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const file = join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (entry.isFile() && entry.name.endsWith('.json') && !entry.name.endsWith('.partial')) found.push({ file, mtime: statSync(file).mtimeMs });
      }
    };
    walk(path);
    found.sort((a, b) => a.mtime - b.mtime || a.file.localeCompare(b.file));
    out.push(...found.map((f) => f.file));
  }
  return out;
}

/** The kind of a recorded message: from its archive place (`<topic>/<partition>/<offset>.json`), else its content. */
export function replayKind(file: string, bytes: Uint8Array): Exclude<TopicKind, 'heartbeat'> {
  const topic = basename(dirname(dirname(file)));
  if (/^\d+$/.test(basename(dirname(file))) && validTopic(topic)) {
    const kind = topicKind(topic);
    if (kind !== 'heartbeat') return kind;
  }
  const head = new TextDecoder().decode(bytes.subarray(0, 2048));
  return /lvk_nu_track_search|"IceCube LVK/i.test(head) ? 'icecube-lvk' : 'alert';
}

export async function replay(files: readonly string[], ctx: { ingest: typeof Ingest; options: Ingest.IngestOptions }, report: (handled: Handled) => void): Promise<number> {
  let failed = 0;
  for (const file of files) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(file));
    } catch (error) {
      failed++;
      report({ status: 'failed', lines: [`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`] });
      continue;
    }
    const handled = await ingestBytes(replayKind(file, bytes), bytes, file, ctx);
    if (handled.status === 'failed') failed++;
    report(handled);
  }
  return failed;
}
