import { mkdirSync, mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRunTarget } from './run-target.js';

// The examples of the 3.5.1 `llama run -h` epilogue, with the current directory /some/directory.
const root = realpathSync(mkdtempSync(join(tmpdir(), 'llama-target-')));
const some = join(root, 'some');
const directory = join(some, 'directory');
mkdirSync(directory, { recursive: true });
const defaultRun = join(root, 'out', 'current_run');

const parse = (arg: string | undefined) => parseRunTarget(arg, defaultRun, directory);

describe('the run argument (3.5.1 help examples)', () => {
  it('defaults to the default run directory and *', () => expect(parse(undefined)).toEqual({ runDir: defaultRun, glob: '*' }));
  it('"." is the current event directory', () => expect(parse('.')).toEqual({ runDir: some, glob: 'directory' }));
  it('/some/directory is the same event', () => expect(parse(directory)).toEqual({ runDir: some, glob: 'directory' }));
  it('./ is every event of the current directory', () => expect(parse('./')).toEqual({ runDir: directory, glob: '*' }));
  it("./'*' is the same", () => expect(parse('./*')).toEqual({ runDir: directory, glob: '*' }));
  it('/some/directory/ is the same', () => expect(parse(`${directory}/`)).toEqual({ runDir: directory, glob: '*' }));
  it("/some/directory/'*' is the same", () => expect(parse(`${directory}/*`)).toEqual({ runDir: directory, glob: '*' }));
  it('/directory keeps the default run directory', () => expect(parse('/directory')).toEqual({ runDir: defaultRun, glob: 'directory' }));
  it('<default run>/directory is the same', () => expect(parse(`${defaultRun}/directory`)).toEqual({ runDir: defaultRun, glob: 'directory' }));
  it("'/event*glob' is a glob in the default run", () => expect(parse('/S19*')).toEqual({ runDir: defaultRun, glob: 'S19*' }));
  it('./. is the current directory matching eventid "."', () => expect(parse('./.')).toEqual({ runDir: directory, glob: '.' }));
  it('//glob means the root directory as the run', () => expect(parse('//S1')).toEqual({ runDir: '/', glob: 'S1' }));
  it('a bare name is expanded relative to the current directory', () => expect(parse('S190425z')).toEqual({ runDir: directory, glob: 'S190425z' }));
  it('/tmp/llamatest (no trailing slash) is the event llamatest of /tmp', () => expect(parse('/tmp/llamatest')).toEqual({ runDir: realpathSync('/tmp'), glob: 'llamatest' }));
});
