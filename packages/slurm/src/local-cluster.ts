import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A real single-node Slurm (slurm-wlm 22.05 + munge) for the tests and benchmarks
 * (test/helpers/slurm.ts, bench/slurm.mjs): munged, slurmctld and slurmd
 * as root with their keys, state, sockets and logs under one temporary directory, on free ports,
 * stopped by pid. No cgroups, no accounting; the scheduler runs on every submission
 * (batch_sched_delay=0, sched_min_interval=0) so that a job starts within about a second.
 */

const BINARIES = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scancel'];

/** Why a Slurm cluster cannot be started here (missing binaries, not root), or undefined. */
export function slurmUnavailable(): string | undefined {
  const missing = BINARIES.filter((b) => !['/usr/sbin', '/usr/bin', '/sbin', '/bin'].some((d) => existsSync(join(d, b))));
  if (missing.length > 0) return `Slurm tests skipped: ${missing.join(', ')} not found (install the Debian packages slurm-wlm and munge)`;
  if (process.getuid?.() !== 0) return 'Slurm tests skipped: the single-node cluster runs its daemons as root (SlurmUser=root)';
  return undefined;
}

export interface SlurmCluster {
  readonly dir: string;
  /** Environment for Slurm clients (sbatch, squeue, scancel) and for llama: SLURM_CONF. */
  readonly env: Record<string, string>;
  readonly nodeName: string;
  readonly cpus: number;
  /** The array/job ids and states Slurm lists right now (squeue -r). */
  queue(): { id: string; state: string; name: string }[];
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** NodeName, CPUs and RealMemory as slurmd sees this machine (the node must be named as the host is). */
function nodeFacts(): { name: string; cpus: number; memory: number } {
  const line = execFileSync('slurmd', ['-C'], { encoding: 'utf8' }).split('\n')[0] ?? '';
  const field = (key: string): string | undefined => new RegExp(`${key}=(\\S+)`).exec(line)?.[1];
  return { name: field('NodeName') ?? 'localhost', cpus: Number(field('CPUs') ?? '1'), memory: Number(field('RealMemory') ?? '1000') };
}

function stopPid(child: ChildProcess | undefined): Promise<void> {
  if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function spawnDaemon(command: string, args: string[], env: NodeJS.ProcessEnv, log: string): ChildProcess {
  const out = join(log);
  writeFileSync(out, '');
  const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (d: Buffer) => writeFileSync(out, d, { flag: 'a' }));
  return child;
}

/** Start munged, slurmctld and slurmd; resolves when the node is idle and takes jobs. */
export async function startSlurm(options: { maxArraySize?: number } = {}): Promise<SlurmCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'llama-slurm-'));
  chmodSync(dir, 0o755);
  const mungeDir = join(dir, 'munge');
  mkdirSync(mungeDir, { mode: 0o755 });
  chmodSync(mungeDir, 0o755); // munged refuses a socket directory others may write to
  const key = join(mungeDir, 'munge.key');
  writeFileSync(key, randomBytes(1024), { mode: 0o400 });
  const socket = join(mungeDir, 'munge.socket.2');
  const node = nodeFacts();
  const [ctldPort, dPort] = [await freePort(), await freePort()];
  for (const sub of ['state', 'spool']) mkdirSync(join(dir, sub));
  const conf = join(dir, 'slurm.conf');
  writeFileSync(
    conf,
    [
      'ClusterName=llamatest',
      `SlurmctldHost=${node.name}`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${dPort}`,
      'SlurmUser=root',
      'SlurmdUser=root',
      'AuthType=auth/munge',
      'CredType=cred/munge',
      `AuthInfo=socket=${socket}`,
      `StateSaveLocation=${join(dir, 'state')}`,
      `SlurmdSpoolDir=${join(dir, 'spool')}`,
      `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
      `SlurmctldLogFile=${join(dir, 'slurmctld.log')}`,
      `SlurmdLogFile=${join(dir, 'slurmd.log')}`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      'SchedulerType=sched/builtin',
      'SchedulerParameters=batch_sched_delay=0,sched_min_interval=0',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_CPU',
      'ReturnToService=2',
      'MpiDefault=none',
      'KillWait=5',
      'MinJobAge=60',
      `MaxArraySize=${options.maxArraySize ?? 1001}`,
      `PlugStackConfig=${join(dir, 'plugstack.conf')}`,
      `NodeName=${node.name} CPUs=${node.cpus} RealMemory=${Math.max(100, node.memory - 500)} State=UNKNOWN`,
      `PartitionName=debug Nodes=${node.name} Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO`,
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'plugstack.conf'), '');
  const env = { ...process.env, SLURM_CONF: conf };
  const children: ChildProcess[] = [];
  const cluster: SlurmCluster = {
    dir,
    env: { SLURM_CONF: conf },
    nodeName: node.name,
    cpus: node.cpus,
    queue() {
      const out = execFileSync('squeue', ['-h', '-r', '-o', '%i|%T|%j'], { env, encoding: 'utf8' });
      return out
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => {
          const [id = '', state = '', name = ''] = l.trim().split('|');
          return { id, state, name };
        });
    },
    async stop() {
      // Jobs first: a slurmstepd outlives its slurmd, and would wait for its controller forever.
      try {
        execFileSync('scancel', ['--user=root'], { env, stdio: 'ignore' });
        await waitFor(() => cluster.queue().every((j) => j.state !== 'RUNNING' && j.state !== 'COMPLETING' && j.state !== 'PENDING'), 15_000, 'jobs did not end');
      } catch {
        // the controller is gone or the jobs hang: the daemons are stopped anyway
      }
      for (const child of [...children].reverse()) await stopPid(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    children.push(
      spawnDaemon('munged', ['-F', '-f', `--socket=${socket}`, `--key-file=${key}`, `--pid-file=${join(mungeDir, 'munged.pid')}`, `--log-file=${join(mungeDir, 'munged.log')}`, `--seed-file=${join(mungeDir, 'munged.seed')}`], env, join(dir, 'munged.err')),
    );
    await waitFor(() => existsSync(socket), 5000, 'munged did not create its socket');
    children.push(spawnDaemon('slurmctld', ['-D', '-c', '-i', '-f', conf], env, join(dir, 'slurmctld.err')));
    children.push(spawnDaemon('slurmd', ['-D', '-f', conf, '-N', node.name], env, join(dir, 'slurmd.err')));
    await waitFor(
      () => {
        try {
          const state = execFileSync('sinfo', ['-h', '-N', '-o', '%T'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
          return state === 'idle';
        } catch {
          return false;
        }
      },
      20_000,
      'the Slurm node did not become idle',
    );
  } catch (error) {
    const logs = ['slurmctld.log', 'slurmd.log', 'slurmctld.err', 'slurmd.err', 'munged.err']
      .map((f) => join(dir, f))
      .filter((f) => existsSync(f))
      .map((f) => `--- ${f}\n${readFileSync(f, 'utf8').split('\n').slice(-15).join('\n')}`)
      .join('\n');
    await cluster.stop();
    throw new Error(`${(error as Error).message}\n${logs}`);
  }
  return cluster;
}

async function waitFor(condition: () => boolean, timeoutMs: number, message: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(message);
    await sleep(50);
  }
}
