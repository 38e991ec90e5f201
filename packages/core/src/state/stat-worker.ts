/** The worker side of `ParallelStat`: takes its share of each batch it is sent. */
import { parentPort } from 'node:worker_threads';
import { workOn, type StatBatch } from './stat-batch.js';

parentPort?.on('message', (batch: StatBatch) => workOn(batch));
