// The reason texts live in core now: `llama status` and `llama serve` print the same words.
export { describeFresh, describeRun, describeSkip, describeStep } from '@llama/core';
