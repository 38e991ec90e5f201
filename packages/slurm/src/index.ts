export { SlurmClient, SlurmError, parseQueue, expandRanges, compressRanges, ACTIVE_STATES, type QueueEntry } from './client.js';
export { ArrayWatch, submitArray, readStatus, CPUS_TOKEN, DEFAULT_MAX_ARRAY_SIZE, type ArraySpec, type SubmittedArray, type SubmittedJob, type TaskState, type TaskPhase, type Progress } from './array.js';
export { SlurmBackend, cancelRunJobs, runJobName, slurmStateDir, STATE_DIR_NAME, type SlurmBackendOptions, type JobReport } from './backend.js';
export { withMkdirLock } from './lock.js';
