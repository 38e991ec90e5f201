import { randomUUID } from 'node:crypto';
import { existsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { readEventFlags, versioningEnabled } from '../event/event.js';
import { riderPaths } from '../event/paths.js';
import type { MetadataRider } from '../event/riders.js';
import { initHashing, sha256, xxh64 } from '../hash/hash.js';
import type { EventRef, Rule } from '../rule/types.js';
import { writeFileAtomicSync } from '../util/fs.js';
import { commitAll, ensureGitRepo } from './git.js';
import { withEventLock } from './lock.js';

/**
 * Write an externally triggered file (a notice, an alert, SkymapInfo, …) into an event
 * directory the way a generation would: atomically, with a metadata rider, committed.
 * Callers validate the content first. With `commit: false` the write is left uncommitted, for a
 * caller that commits several writes at once (an ingest: one commit per notice).
 */
export async function writeTriggeredFile(
  event: EventRef,
  rule: Rule,
  content: string | Uint8Array,
  options: { message?: string; versioning?: boolean; engineVersion?: string; commit?: boolean } = {},
): Promise<void> {
  if (!existsSync(event.eventDir)) throw new ConfigError(`event directory ${event.eventDir} does not exist (create it with llama event init)`);
  await initHashing();
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  const flags = await readEventFlags(event.eventDir);
  const versioning = options.versioning ?? versioningEnabled();
  const paths = riderPaths(event.eventDir, rule.filename);
  const rider: MetadataRider = {
    checksums: { [rule.name]: sha256(bytes) },
    dep_checksums: {},
    dep_subset_checksums: {},
    version: options.engineVersion ?? '0.0.0',
    manifest_filehandlers: `(${rule.name},)`,
    wall_time: 0,
    generation_uuid: randomUUID(),
    generation_time: new Date().toISOString(),
    flags: flags.ok ? flags.value : {},
    llama: { schema: 1, rule: rule.name, rule_version: rule.version, output: xxh64(bytes), inputs: {} },
  };
  const commit = versioning && options.commit !== false;
  // An uncommitted write leaves the repository to the caller that commits (it may be creating it).
  if (commit) await ensureGitRepo(event.eventDir);
  await withEventLock(event.eventDir, async () => {
    try {
      unlinkSync(paths.metadata);
    } catch {
      // no previous rider
    }
    writeFileAtomicSync(join(event.eventDir, rule.filename), bytes);
    writeFileAtomicSync(paths.metadata, `${JSON.stringify(rider, null, 4)}\n`);
    if (commit) {
      await commitAll(event.eventDir, options.message ?? `Manually generated ${rule.name}.\n\n${rule.filename}\n`);
    }
  });
}
