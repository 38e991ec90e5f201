import { Graph, alg } from '@dagrejs/graphlib';
import { err, ok, type Diagnostic, type Result } from '../errors.js';
import type { Rule } from './types.js';

/**
 * A pipeline (3.5.1 `Pipeline`) is a validated, named set of rules in a deterministic
 * topological order. Inputs outside the pipeline are allowed only for selections (`-f X`
 * without its ancestors): those inputs are then read from disk but never generated.
 */
export interface Pipeline {
  readonly name: string;
  readonly rules: ReadonlyMap<string, Rule>;
  /** Rule names, inputs before the rules that use them; ties broken by name. */
  readonly order: readonly string[];
}

export interface PipelineOptions {
  /** Reject inputs that are not rules of this pipeline (true for the named pipelines). */
  readonly closed?: boolean;
}

function dependencyGraph(rules: Iterable<Rule>): Graph {
  const graph = new Graph({ directed: true });
  for (const rule of rules) {
    graph.setNode(rule.name);
    for (const input of rule.inputs) graph.setEdge(input.name, rule.name);
  }
  return graph;
}

/** Validate rules as a whole; report every problem at once. */
export function validateRules(rules: readonly Rule[], options: PipelineOptions = {}): Diagnostic[] {
  const problems: Diagnostic[] = [];
  const byName = new Map<string, Rule>();
  const byFile = new Map<string, string>();
  for (const rule of rules) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(rule.name)) {
      problems.push({ code: 'bad-name', subject: rule.name, message: `rule name "${rule.name}" must be an identifier` });
    }
    if (rule.filename === '' || rule.filename.includes('/') || rule.filename.startsWith('.') || rule.filename === 'FLAGS.json') {
      problems.push({ code: 'bad-filename', subject: rule.name, message: `rule ${rule.name}: filename "${rule.filename}" must be a plain, non-hidden basename other than FLAGS.json` });
    }
    const seen = byName.get(rule.name);
    if (seen !== undefined && seen !== rule) {
      problems.push({ code: 'duplicate-name', subject: rule.name, message: `two different rules are named ${rule.name}` });
    } else {
      byName.set(rule.name, rule);
    }
    const fileOwner = byFile.get(rule.filename);
    if (fileOwner !== undefined && fileOwner !== rule.name) {
      problems.push({ code: 'duplicate-filename', subject: rule.name, message: `rules ${fileOwner} and ${rule.name} both write ${rule.filename}` });
    }
    byFile.set(rule.filename, rule.name);
    if (rule.externallyTriggered && rule.inputs.length > 0) {
      problems.push({ code: 'external-with-inputs', subject: rule.name, message: `rule ${rule.name} is externally triggered but has inputs (${rule.inputs.map((i) => i.name).join(', ')})` });
    }
    if (!(rule.timeoutSeconds > 0)) {
      problems.push({ code: 'bad-timeout', subject: rule.name, message: `rule ${rule.name}: timeout must be positive` });
    }
    const inputNames = new Set<string>();
    for (const input of rule.inputs) {
      if (inputNames.has(input.name)) {
        problems.push({ code: 'duplicate-input', subject: rule.name, message: `rule ${rule.name} lists input ${input.name} twice` });
      }
      inputNames.add(input.name);
    }
  }
  if (options.closed === true) {
    for (const rule of rules) {
      for (const input of rule.inputs) {
        if (byName.get(input.name) !== input) {
          problems.push({ code: 'unknown-input', subject: rule.name, message: `rule ${rule.name} uses input ${input.name}, which is not in the pipeline` });
        }
      }
    }
  }
  const graph = dependencyGraph(byName.values());
  for (const cycle of alg.findCycles(graph)) {
    const path = orderCycle(graph, cycle);
    problems.push({ code: 'cycle', subject: path[0], message: `dependency cycle: ${[...path, path[0]].join(' -> ')}` });
  }
  return problems;
}

/** findCycles returns a node set; walk it to print the cycle as a path. */
function orderCycle(graph: Graph, nodes: string[]): string[] {
  const members = new Set(nodes);
  const start = [...nodes].sort()[0] as string;
  const path = [start];
  let current = start;
  while (path.length < nodes.length) {
    const next = (graph.successors(current) ?? []).filter((n) => members.has(n) && !path.includes(n)).sort()[0];
    if (next === undefined) break;
    path.push(next);
    current = next;
  }
  return path;
}

/** Deterministic topological order (Kahn's algorithm, ready rules taken by name). */
function topologicalOrder(rules: ReadonlyMap<string, Rule>): string[] {
  const pending = new Map<string, number>();
  const users = new Map<string, string[]>();
  for (const rule of rules.values()) {
    const internal = rule.inputs.filter((i) => rules.has(i.name));
    pending.set(rule.name, internal.length);
    for (const input of internal) users.set(input.name, [...(users.get(input.name) ?? []), rule.name]);
  }
  const ready = [...pending].filter(([, n]) => n === 0).map(([name]) => name).sort();
  const order: string[] = [];
  while (ready.length > 0) {
    const name = ready.shift() as string;
    order.push(name);
    const released: string[] = [];
    for (const user of users.get(name) ?? []) {
      const left = (pending.get(user) ?? 0) - 1;
      pending.set(user, left);
      if (left === 0) released.push(user);
    }
    ready.push(...released);
    ready.sort();
  }
  return order;
}

export function createPipeline(name: string, rules: readonly Rule[], options: PipelineOptions = {}): Result<Pipeline, Diagnostic[]> {
  const problems = validateRules(rules, options);
  if (problems.length > 0) return err(problems);
  const map = new Map<string, Rule>();
  for (const rule of rules) map.set(rule.name, rule);
  return ok(Object.freeze({ name, rules: map, order: Object.freeze(topologicalOrder(map)) }));
}

/** createPipeline for rule sets known to be valid; throws with every problem listed otherwise. */
export function definePipeline(name: string, rules: readonly Rule[], options: PipelineOptions = { closed: true }): Pipeline {
  const result = createPipeline(name, rules, options);
  if (!result.ok) {
    throw new Error(`pipeline ${name} is invalid:\n${result.error.map((d) => `  - ${d.message}`).join('\n')}`);
  }
  return result.value;
}

function rebuild(name: string, rules: Iterable<Rule>): Pipeline {
  // Subsets of a valid pipeline stay valid (no new names, files or edges), so this cannot fail.
  return definePipeline(name, [...rules], { closed: false });
}

/** Rules of both pipelines (3.5.1 `+`). */
export function unionPipelines(name: string, ...pipelines: readonly Pipeline[]): Pipeline {
  const rules = new Map<string, Rule>();
  for (const p of pipelines) for (const [n, r] of p.rules) rules.set(n, r);
  const result = createPipeline(name, [...rules.values()]);
  if (!result.ok) throw new Error(`cannot combine pipelines: ${result.error.map((d) => d.message).join('; ')}`);
  return result.value;
}

/** Rules of `a` that are not in `b` (3.5.1 `-`). */
export function differencePipelines(name: string, a: Pipeline, b: Pipeline): Pipeline {
  return rebuild(name, [...a.rules.values()].filter((r) => !b.rules.has(r.name)));
}

/** Every ancestor of the named rules (not including them). */
export function ancestorsOf(rules: Iterable<Rule>): Rule[] {
  const found = new Map<string, Rule>();
  const stack = [...rules].flatMap((r) => r.inputs);
  while (stack.length > 0) {
    const rule = stack.pop() as Rule;
    if (found.has(rule.name)) continue;
    found.set(rule.name, rule);
    stack.push(...rule.inputs);
  }
  return [...found.values()];
}

function lookup(pipeline: Pipeline, names: readonly string[]): Rule[] {
  const missing = names.filter((n) => !pipeline.rules.has(n));
  if (missing.length > 0) throw new Error(`not in ${pipeline.name}: ${missing.join(', ')}`);
  return names.map((n) => pipeline.rules.get(n) as Rule);
}

/** `-f A B`: exactly these rules; their other inputs are read from disk, never generated. */
export function selectRules(pipeline: Pipeline, names: readonly string[], name = 'custom'): Pipeline {
  return rebuild(name, lookup(pipeline, names));
}

/** `+f A B`: these rules and all their ancestors (3.5.1 `subgraph`). */
export function selectWithAncestors(pipeline: Pipeline, names: readonly string[], name = 'custom'): Pipeline {
  const chosen = lookup(pipeline, names);
  return rebuild(name, [...chosen, ...ancestorsOf(chosen)]);
}

/** Every rule that (transitively) uses one of the named rules, including them. */
export function descendantsOf(pipeline: Pipeline, names: readonly string[]): Set<string> {
  const result = new Set(names);
  for (const name of pipeline.order) {
    const rule = pipeline.rules.get(name) as Rule;
    if (rule.inputs.some((i) => result.has(i.name))) result.add(name);
  }
  return result;
}
