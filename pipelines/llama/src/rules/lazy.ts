import type { GenerateContext } from '@llama/core';

type Generate = (ctx: GenerateContext) => Promise<void>;

/**
 * A generate function whose module is imported on first use. Rule definitions are loaded by
 * every `llama` command (for -f choices, plans, dry runs); the science behind them (HDF5, canvas,
 * PDF, Slack clients) is loaded only by a pass that actually generates something.
 */
export function lazyGenerate<M>(load: () => Promise<M>, pick: (module: M) => Generate): Generate {
  let generate: Promise<Generate> | undefined;
  return async (ctx) => {
    generate ??= load().then(pick);
    return (await generate)(ctx);
  };
}
