// The single-node Slurm the tests start (munged, slurmctld, slurmd under a temporary directory,
// stopped by pid) lives in @llama/slurm so that bench/slurm.mjs can start the same one.
export { slurmUnavailable, startSlurm, type SlurmCluster } from '@llama/slurm/local-cluster';
