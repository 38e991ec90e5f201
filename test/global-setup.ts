import { execFileSync } from 'node:child_process';
import { REPO } from './helpers/llama.js';

/** The black-box tests spawn the built CLI: make sure the build (and the `llama run` bundle) is current. */
export default function setup(): void {
  execFileSync(process.execPath, [`${REPO}/node_modules/typescript/bin/tsc`, '-b'], { cwd: REPO, stdio: 'inherit' });
  execFileSync(process.execPath, [`${REPO}/scripts/bundle.mjs`, '--if-stale'], { cwd: REPO, stdio: 'inherit' });
}
