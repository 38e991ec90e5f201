/**
 * A real Kafka-protocol broker for the listener tests: librdkafka's mock cluster inside Debian's
 * kcat (`kcat -X test.mock.num.brokers=1 …`), on 127.0.0.1, started per test and stopped by pid.
 * Messages are produced with kcat too (zstd-compressed, as GCN's producers do).
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function kcatMissing(): string | undefined {
  try {
    execFileSync('kcat', ['-V'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'kcat is not installed (Debian package kcat; .ci/run installs it): the llama listen tests need its mock Kafka cluster';
  }
}

export interface MockBroker {
  readonly address: string;
  readonly pid: number;
  /** SIGSTOP: the broker stops answering (connections hang), keeping its state and port. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  stop(): Promise<void>;
}

export async function startBroker(): Promise<MockBroker> {
  const child: ChildProcess = spawn('kcat', ['-X', 'test.mock.num.brokers=1', '-b', 'dummy:9092', '-C', '-t', 'keepalive', '-o', 'end', '-q'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const address = await new Promise<string>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`the kcat mock cluster did not report its address: ${text}`)), 10_000);
    child.stderr?.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /replaced with (\d+\.\d+\.\d+\.\d+:\d+)/.exec(text);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    child.on('error', reject);
  });
  const pid = child.pid as number;
  return {
    address,
    pid,
    pause: () => process.kill(pid, 'SIGSTOP'),
    resume: () => process.kill(pid, 'SIGCONT'),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGTERM');
      await exited;
    },
  };
}

/** Produce one message (the whole of `value`) with kcat, zstd-compressed. */
export async function produce(address: string, topic: string, value: string | Uint8Array, options: { partition?: number } = {}): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'llama-produce-'));
  const file = join(dir, 'message');
  writeFileSync(file, value);
  try {
    await new Promise<void>((resolve, reject) => {
      // A file operand is sent as one message, newlines and all; GCN's alerts exceed kcat's
      // default 1 MB limit.
      const args = ['-b', address, '-P', '-t', topic, '-z', 'zstd', '-X', 'message.max.bytes=8000000', ...(options.partition === undefined ? [] : ['-p', String(options.partition)]), file];
      execFile('kcat', args, (error, _stdout, stderr) => (error === null ? resolve() : reject(new Error(`kcat produce failed: ${stderr}`))));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
