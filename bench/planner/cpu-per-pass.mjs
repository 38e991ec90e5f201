#!/usr/bin/env node
// CPU time of repeated no-op passes in one process over an existing built run (a daemon's
// steady state). Usage: node bench/planner/cpu-per-pass.mjs RUNDIR [passes]
const core = await import('@llama/core');
const { shapedPipeline } = await import('./planner.mjs');
const runDir = process.argv[2];
const passes = Number(process.argv[3] ?? 5);
const pipeline = shapedPipeline();
const cache = new core.HashCache();
const events = core.discoverEvents(runDir);
for (let i = 0; i < passes; i++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let ran = 0;
  await core.runPass({ pipeline, events, cache, scheduler: new core.Scheduler(4), emit: (e) => { if (e.type === 'step-succeeded') ran++; }, versioning: false, durable: false });
  const c = process.cpuUsage(c0);
  console.log(`pass ${i}: wall ${(performance.now() - t0).toFixed(0)} ms, cpu ${((c.user + c.system) / 1000).toFixed(0)} ms, ran ${ran}, events ${events.length}`);
}
