/**
 * Policy registry and enforcement: default rules (see rules.ts) plus
 * operator overrides, evaluated with the oslo.policy check-string language.
 */

import { readFileSync } from 'node:fs';
import YAML from 'yaml';

import { evaluate, parse, PolicySyntaxError, type Credentials, type PolicyNode, type Target } from './evaluator.js';
import { DEFAULT_RULES } from './rules.js';

export type { Credentials, Target } from './evaluator.js';

interface CompiledRule {
  readonly checkStr: string;
  readonly node: PolicyNode;
}

function compile(name: string, checkStr: unknown, source?: string): CompiledRule {
  if (typeof checkStr !== 'string') {
    const got = checkStr === null ? 'null' : Array.isArray(checkStr) ? 'an array' : typeof checkStr;
    const where = source === undefined ? '' : `${source}: `;
    throw new TypeError(`${where}rule "${name}": check string must be a string, got ${got}`);
  }
  try {
    return { checkStr, node: parse(checkStr) };
  } catch (err) {
    if (err instanceof PolicySyntaxError) throw err.withRule(name, source);
    throw err;
  }
}

export class Policy {
  private readonly rules = new Map<string, CompiledRule>();
  private readonly resolve = (name: string): PolicyNode | undefined => this.rules.get(name)?.node;

  /**
   * @param overrides rule name -> check string. Replaces the default of the
   *   same name; names not among the defaults are added (e.g. aliases that
   *   other rules reference with `rule:NAME`).
   * @throws PolicySyntaxError for a malformed check string, TypeError for a non-string value.
   */
  constructor(overrides?: Record<string, string>) {
    for (const r of DEFAULT_RULES) this.rules.set(r.name, compile(r.name, r.checkStr));
    if (overrides === undefined) return;
    for (const name of Object.keys(overrides)) {
      this.rules.set(name, compile(name, (overrides as Record<string, unknown>)[name]));
    }
  }

  /**
   * Loads overrides from a YAML or JSON file of the form
   * `{ "rule name": "check string", ... }`. An empty file means no overrides.
   * Every check string is validated; the first problem is thrown.
   */
  static fromFile(path: string): Policy {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`cannot read policy file ${path}: ${(err as Error).message}`);
    }
    let data: unknown;
    try {
      data = YAML.parse(text);
    } catch (err) {
      throw new Error(`policy file ${path} is not valid YAML/JSON: ${(err as Error).message}`);
    }
    if (data === null || data === undefined) data = {};
    if (typeof data !== 'object' || Array.isArray(data)) {
      throw new Error(`policy file ${path} must contain a mapping of rule name to check string`);
    }
    const overrides = data as Record<string, unknown>;
    // Validate with the file name in any error message; parsing is cached,
    // so the constructor's own compile pass is cheap.
    for (const name of Object.keys(overrides)) compile(name, overrides[name], path);
    return new Policy(overrides as Record<string, string>);
  }

  /** True when `ruleName` is a default or overridden rule. */
  has(ruleName: string): boolean {
    return this.rules.has(ruleName);
  }

  /** The effective check string of a rule, or undefined if unknown. */
  checkStrOf(ruleName: string): string | undefined {
    return this.rules.get(ruleName)?.checkStr;
  }

  /** Names of all known rules. */
  ruleNames(): string[] {
    return [...this.rules.keys()];
  }

  /**
   * Evaluates `ruleName` for the given target and credentials.
   * @throws Error when the rule is unknown (a programming error, not a denial).
   */
  allows(ruleName: string, target: Target, creds: Credentials): boolean {
    const rule = this.rules.get(ruleName);
    if (rule === undefined) throw new Error(`unknown policy rule "${ruleName}"`);
    return evaluate(rule.node, target, creds, this.resolve, ruleName);
  }
}
