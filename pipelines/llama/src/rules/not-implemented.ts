import { NotImplementedError, type GenerateContext } from '@llama/core';

/** A generate function for a handler whose science has not landed: fails clearly, writes nothing. */
export function notYetImplemented(name: string): (ctx: GenerateContext) => Promise<void> {
  return async () => {
    throw new NotImplementedError(`generating ${name}`);
  };
}
