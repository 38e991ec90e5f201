// Rewrites icecube-default-model.json from the parametrisation in
// src/significance/default-model.ts. Run after `npx tsc -b`:
//   node pipelines/llama/data/make-default-model.mjs
import { writeFileSync } from 'node:fs';
import { buildDefaultModel } from '../dist/significance/default-model.js';

const target = new URL('./icecube-default-model.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(buildDefaultModel())}\n`);
console.log(`wrote ${target.pathname}`);
