let helpWanted = true;

/** Remember whether this invocation asks for help (set by createParser before parsing). */
export function noteHelpRequest(argv: readonly string[]): void {
  helpWanted = argv.some((a) => a === '-h' || a === '--help' || a === 'help');
}

/**
 * Did the user ask for help? yargs lays out a command's whole help text on every run, so
 * builders keep their long texts (the 43 FileHandler names, the epilogue) for when it is shown.
 */
export function helpRequested(): boolean {
  return helpWanted;
}
