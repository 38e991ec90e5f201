import yargs from 'yargs';
import { afterEach, describe, expect, it } from 'vitest';
import { helpRequested, hideOptionsUnlessHelp, noteHelpRequest } from './help.js';

describe('help requests', () => {
  afterEach(() => noteHelpRequest(['--help']));

  it.each([['--help'], ['-h'], ['help'], ['-Fh'], ['-hF'], ['--help=true']])('%s asks for help', (arg) => {
    noteHelpRequest(['run', '/tmp/run/', arg]);
    expect(helpRequested()).toBe(true);
  });

  it.each([['-F'], ['--helpful'], ['/tmp/-h/'], ['-h5']])('%s does not', (arg) => {
    noteHelpRequest(['run', arg]);
    expect(helpRequested()).toBe(false);
  });

  const parser = (): ReturnType<typeof yargs> =>
    yargs([]).scriptName('llama').usage('llama run [options]\n\nA long paragraph about running.').option('jobs', { alias: 'j', type: 'number', describe: 'Generations at once' });

  it('lays out every option when help is asked for', async () => {
    noteHelpRequest(['run', '--help']);
    const help = await hideOptionsUnlessHelp(parser()).getHelp();
    expect(help).toContain('A long paragraph about running.');
    expect(help).toContain('-j, --jobs');
    expect(help).toContain('Generations at once');
  });

  it('lays out neither the options nor the usage text otherwise, but still parses them', async () => {
    noteHelpRequest(['run', '-j', '3']);
    const hidden = hideOptionsUnlessHelp(parser());
    const help = await hidden.getHelp();
    expect(help).not.toContain('A long paragraph');
    expect(help).not.toContain('--jobs');
    expect((await hidden.strict().parseAsync(['-j', '3'])).jobs).toBe(3);
  });
});
