import { execFileSync } from 'node:child_process';
import { REPO } from './helpers/llama.js';

/** The black-box tests spawn the built CLI: make sure the build is current. */
export default function setup(): void {
  execFileSync(process.execPath, [`${REPO}/node_modules/typescript/bin/tsc`, '-b'], { cwd: REPO, stdio: 'inherit' });
}
