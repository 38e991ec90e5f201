import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { GraceDbBackend, GraceDbLogEntry, ObjectKind } from './client.js';
import { GraceDbError, GraceDbNotFoundError } from './errors.js';
import { splitFileVersion } from './ids.js';

/**
 * A GraceDB mirror on disk, read through a `file://` base URL (offline replays, the bundled
 * example). Layout (see pipelines/llama/README.md):
 *
 *   superevents/<SID>/superevent.json     GET superevents/<SID>/
 *   superevents/<SID>/logs.json           GET superevents/<SID>/logs/ (optional)
 *   superevents/<SID>/files/<name>,<v>    GET superevents/<SID>/files/<name>,<v>
 *   superevents/<SID>/files/<name>        GET …/files/<name> (optional; else the highest <v>)
 *   events/<GID>/event.json, logs.json, files/…   the same for events
 *
 * Without logs.json the log is synthesised: one entry per versioned file, in version order.
 */

const OBJECT_FILE: Record<ObjectKind, string> = { superevents: 'superevent.json', events: 'event.json' };

interface MirrorFile {
  readonly name: string;
  readonly version: number | undefined;
  readonly entry: string;
}

export function createMirrorBackend(baseUrl: string): GraceDbBackend {
  const root = fileURLToPath(baseUrl);
  const objectDir = (kind: ObjectKind, id: string): string => join(root, kind, id);
  const url = (kind: ObjectKind, id: string, tail: string): string => `${baseUrl}${kind}/${id}/${tail}`;

  async function read(path: string, requested: string): Promise<Uint8Array> {
    try {
      return new Uint8Array(await readFile(path));
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        throw new GraceDbNotFoundError(`the GraceDB mirror has no ${requested} (missing ${path})`, { url: requested, cause });
      }
      throw new GraceDbError(`cannot read ${path} for ${requested}`, { url: requested, cause });
    }
  }

  function parse(bytes: Uint8Array, path: string): unknown {
    try {
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch (cause) {
      throw new GraceDbError(`the GraceDB mirror file ${path} is not valid JSON`, { url: pathToFileURL(path).href, cause });
    }
  }

  async function listFiles(kind: ObjectKind, id: string): Promise<MirrorFile[]> {
    const dir = join(objectDir(kind, id), 'files');
    let entries: string[];
    try {
      entries = await readdir(dir);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        // An object without a files/ directory has no files; a missing object is a 404.
        await read(join(objectDir(kind, id), OBJECT_FILE[kind]), url(kind, id, ''));
        return [];
      }
      throw new GraceDbError(`cannot list ${dir}`, { url: url(kind, id, 'files/'), cause });
    }
    const files: MirrorFile[] = [];
    for (const entry of entries.sort()) {
      if (entry.startsWith('.')) continue;
      try {
        files.push({ ...splitFileVersion(entry), entry });
      } catch {
        files.push({ name: entry, version: undefined, entry });
      }
    }
    return files;
  }

  /** The on-disk entry serving `name[,version]`. */
  function resolve(files: readonly MirrorFile[], spec: string): MirrorFile | undefined {
    const exact = files.find((f) => f.entry === spec);
    if (exact !== undefined) return exact;
    const { name, version } = splitFileVersion(spec);
    if (version !== undefined) return undefined;
    const versions = files.filter((f) => f.name === name && f.version !== undefined);
    return versions.sort((a, b) => (a.version ?? 0) - (b.version ?? 0)).at(-1);
  }

  return {
    url,
    async json(kind, id, resource) {
      const dir = objectDir(kind, id);
      if (resource === 'object') {
        const path = join(dir, OBJECT_FILE[kind]);
        return parse(await read(path, url(kind, id, '')), path);
      }
      if (resource === 'logs') {
        const path = join(dir, 'logs.json');
        try {
          return parse(await read(path, url(kind, id, 'logs/')), path);
        } catch (error) {
          if (!(error instanceof GraceDbNotFoundError)) throw error;
        }
        const versioned = (await listFiles(kind, id)).filter((f) => f.version !== undefined);
        versioned.sort((a, b) => (a.version ?? 0) - (b.version ?? 0) || a.name.localeCompare(b.name));
        const log: GraceDbLogEntry[] = versioned.map((f, i) => ({
          N: i + 1,
          comment: `mirror file ${f.entry}`,
          filename: f.name,
          file_version: f.version ?? null,
        }));
        return { log };
      }
      const files = await listFiles(kind, id);
      const listing: Record<string, string> = {};
      for (const f of files) listing[f.entry] = url(kind, id, `files/${f.entry}`);
      for (const f of files) {
        if (f.version !== undefined && listing[f.name] === undefined) {
          const newest = resolve(files, f.name);
          if (newest !== undefined) listing[f.name] = url(kind, id, `files/${newest.entry}`);
        }
      }
      return listing;
    },
    async file(kind, id, fileSpec) {
      const requested = url(kind, id, `files/${fileSpec}`);
      const files = await listFiles(kind, id);
      const found = resolve(files, fileSpec);
      if (found === undefined) {
        throw new GraceDbNotFoundError(`the GraceDB mirror has no ${requested}`, { url: requested });
      }
      return read(join(objectDir(kind, id), 'files', found.entry), requested);
    },
  };
}
