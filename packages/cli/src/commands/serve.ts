import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { HashCache, initHashing, versioningEnabled, type EventRef } from '@llama/core';
import { PIPELINE_NAMES } from '@llama/pipelines/names';
import { defaultRunDir, stateDir } from '../paths.js';
import { parseRunTarget } from '../run-target.js';
import { choosePipeline } from '../select-pipeline.js';
import { pValueReader } from '../significance.js';

interface ServeArgs {
  runs?: string[];
  port: number;
  bind: string;
  auth?: string;
  allowedHost?: string[];
  pipeline?: string;
  rules?: string;
}

/** The events page's columns: the LLAMA rules by what they make. */
export function llamaRuleGroup(rule: string): string {
  if (rule.startsWith('RctSlk')) return 'receipts';
  if (/Significance/.test(rule)) return 'significance';
  if (/^IceCube|^Coinc.*Txt$|Neutrino/.test(rule)) return 'neutrinos';
  if (/^Coinc|Scatter|Summary|Png$|Pdf$/.test(rule)) return 'plots & summary';
  return 'GW & triggers';
}

export const serveCommand: CommandModule<object, ServeArgs> = {
  command: 'serve [runs..]',
  describe: 'Serve live web pages of runs, events and files (with actions) on 127.0.0.1',
  builder: (y) =>
    y
      .positional('runs', { type: 'string', array: true, describe: `Runs to serve, as for llama run (/run/dir/ or /run/dir/event*glob) (default: ${join(defaultRunDir(), '*')})` })
      .option('port', { type: 'number', default: 8080, describe: 'TCP port (0: any free port).' })
      .option('bind', { type: 'string', default: '127.0.0.1', describe: 'Address to listen on; anything but loopback requires --auth.' })
      .option('auth', { type: 'string', describe: 'A file (mode 0600) holding a token, or user:password, that every request must present (HTTP basic auth, or Bearer TOKEN).' })
      .option('allowed-host', { type: 'string', array: true, describe: 'Host names besides 127.0.0.1/localhost to answer without --auth (e.g. a reverse proxy).' })
      .option('pipeline', { alias: 'p', type: 'string', choices: [...PIPELINE_NAMES], describe: 'The pipeline whose rules are shown (default DEFAULT_PIPELINE).' })
      .option('rules', { type: 'string', describe: 'Use the command rules of a JSON rule description instead of the LLAMA pipelines.' })
      .check((argv) => (Number.isInteger(argv['port']) && (argv['port'] as number) >= 0 && (argv['port'] as number) < 65536 ? true : '--port must be an integer from 0 to 65535'))
      .example('$0 serve', 'serve the default run on http://127.0.0.1:8080/')
      .example('$0 serve /runs/o4/ --bind 0.0.0.0 --auth ~/.llama-web-token', 'serve beyond this machine, with a login') as Argv<ServeArgs>,
  handler: async (args) => {
    const { pipeline } = await choosePipeline({ pipeline: args.pipeline, rules: args.rules });
    const targets = (args.runs !== undefined && args.runs.length > 0 ? args.runs : [undefined]).map((r) => parseRunTarget(r, defaultRunDir()));
    // The web package (and its layout library) loads only for this command.
    const web = await import('@llama/web');
    const auth = args.auth === undefined ? undefined : web.loadAuthFile(args.auth);
    await initHashing();
    const cacheRoot = join(stateDir(targets.map((t) => t.runDir)), 'hashes');
    const cache = HashCache.load(cacheRoot);
    const pValue = pValueReader(pipeline);
    const passThrough = [...(args.pipeline === undefined ? [] : ['-p', args.pipeline]), ...(args.rules === undefined ? [] : ['--rules', args.rules])];
    /** `llama run EVENTDIR -o -F [-f RULE] --force`: the same command an operator would type. */
    const regenerate = (event: EventRef, rule: string | undefined): Promise<{ code: number; output: string }> =>
      new Promise((resolve, reject) => {
        const argv = [process.argv[1] as string, 'run', event.eventDir, '-o', '-F', '--downselect', '', ...passThrough, ...(rule === undefined ? ['--force'] : ['-f', rule, '--force'])];
        const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
        let output = '';
        child.stdout.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-8000)));
        child.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-8000)));
        child.on('error', reject);
        child.on('exit', (code, signal) => resolve({ code: code ?? (signal === null ? 1 : 128), output }));
      });
    const server = await web.serve({
      runs: targets.map((t) => ({ dir: t.runDir, glob: t.glob })),
      pipeline,
      cache,
      host: args.bind,
      port: args.port,
      ...(auth === undefined ? {} : { auth }),
      ...(args.allowedHost === undefined ? {} : { allowedHosts: args.allowedHost }),
      ...(pValue === undefined ? {} : { pValue }),
      ...(args.rules === undefined ? { groupOf: llamaRuleGroup } : {}),
      regenerate,
      versioning: versioningEnabled(),
      log: (line) => process.stderr.write(`llama serve: ${line}\n`),
    });
    process.stdout.write(`llama serve: listening on ${server.url} (pid ${process.pid})\n  summaries and Slack receipts link here with LLAMA_GUI_URL=${server.url}\n`);
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        resolve();
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
    await server.close();
    try {
      cache.save();
    } catch {
      // a read-only cache directory only costs speed next time
    }
    process.exitCode = 0;
  },
};
