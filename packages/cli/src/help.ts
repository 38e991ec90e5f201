import type { Argv } from 'yargs';

let helpWanted = true;

/** Does this argument ask yargs for help: -h, --help, `help`, or a short-flag group such as -Fh? */
function asksForHelp(arg: string): boolean {
  return arg === 'help' || arg === '--help' || arg.startsWith('--help=') || /^-[A-Za-z]*h[A-Za-z]*$/.test(arg);
}

/** Remember whether this invocation asks for help (set by createParser before parsing). */
export function noteHelpRequest(argv: readonly string[]): void {
  helpWanted = argv.some(asksForHelp);
}

/**
 * Did the user ask for help? yargs lays out a command's whole help text on every run, so
 * builders keep their long texts (the 43 FileHandler names, the epilogue) for when it is shown.
 */
export function helpRequested(): boolean {
  return helpWanted;
}

/** yargs instance API missing from @types/yargs 17: the declared options; usage(null) disables the usage text. */
interface UntypedYargs<T> {
  getOptions(): { key: Record<string, unknown> };
  usage(message: null): Argv<T>;
}

/**
 * Before a command's handler runs, yargs renders its help text (kept for a later showHelp,
 * which llama never calls): with 25 options that is ~40 ms of text wrapping on every
 * `llama run`. Hidden options are still parsed and validated but not laid out, so hide them
 * all, drop the usage paragraph and wrap nothing, unless help is shown.
 */
export function hideOptionsUnlessHelp<T>(yargs: Argv<T>): Argv<T> {
  if (helpRequested()) return yargs;
  const untyped = yargs as unknown as UntypedYargs<T>;
  let hidden = untyped.usage(null).wrap(null);
  for (const key of Object.keys(untyped.getOptions().key)) hidden = hidden.hide(key);
  return hidden;
}
