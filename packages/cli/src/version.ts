import { readFileSync } from 'node:fs';

/** The installed llama version (from the CLI package.json). */
export function llamaVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
