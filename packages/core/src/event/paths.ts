import { join } from 'node:path';

/** Event-level names shared with LLAMA 3.5.1. */
export const TMP_DIRNAME = '.tmp.d';
export const GITIGNORE_LINES = ['.tmp.d', '.webcache/*', '.*.intent.json', '.*.cooldown.json'];

/** The rider files of one output (3.5.1 names: `.FILENAME.<kind>`). */
export function riderPaths(eventDir: string, filename: string) {
  return {
    metadata: join(eventDir, `.${filename}.metadata.json`),
    cooldown: join(eventDir, `.${filename}.cooldown.json`),
    intent: join(eventDir, `.${filename}.intent.json`),
    veto: join(eventDir, `.${filename}.veto.json`),
    lock: join(eventDir, `.${filename}.lock`),
  };
}

export function riderNames(filename: string) {
  return {
    metadata: `.${filename}.metadata.json`,
    cooldown: `.${filename}.cooldown.json`,
    intent: `.${filename}.intent.json`,
    veto: `.${filename}.veto.json`,
    lock: `.${filename}.lock`,
  };
}
