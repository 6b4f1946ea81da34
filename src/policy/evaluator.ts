/**
 * Parser and evaluator for the oslo.policy check-string language.
 *
 * Grammar (precedence: `not` > `and` > `or`):
 *
 *   expr    := andExpr ( "or" andExpr )*
 *   andExpr := notExpr ( "and" notExpr )*
 *   notExpr := "not" notExpr | primary
 *   primary := "(" expr ")" | check
 *   check   := "@" | "!" | KIND ":" MATCH
 *
 * Check kinds:
 *   - `@` always passes, `!` never passes.
 *   - `role:NAME` passes when NAME (after `%(key)s` substitution from the
 *     target) case-insensitively equals one of `credentials.roles`.
 *   - `rule:NAME` evaluates another rule of the registry; unknown => false.
 *   - anything else is a generic check `KEY:VALUE`: VALUE is a template
 *     (`%(target_key)s` substituted from the target; a missing key makes the
 *     check fail) or a quoted literal ('x' / "x"), compared with
 *     `credentials[KEY]` (dotted KEY walks nested objects). Booleans in the
 *     credentials compare against `True` / `False`; arrays pass when any
 *     element matches. A quoted KEY ('literal':VALUE) compares the literal
 *     itself with VALUE, as oslo does.
 *
 * An empty (or all-whitespace) check string always passes, as in oslo.
 *
 * Unlike oslo (which logs and falls back to "deny"), malformed check strings
 * raise {@link PolicySyntaxError} so that a bad operator policy file is
 * rejected at start-up rather than silently locking users out.
 */

/** Who is asking (oslo.policy's credentials): the token's user, project and roles. */
export interface Credentials {
  user_id: string;
  project_id: string;
  roles: string[];
  is_admin: boolean;
}

/** What is asked about: the attributes of the resource (`project_id`, `user_id`…). */
export type Target = Record<string, string | undefined>;

/** Raised for a malformed check string. */
export class PolicySyntaxError extends Error {
  override readonly name = 'PolicySyntaxError';
  /** What is wrong, without location context. */
  readonly detail: string;
  /** The offending check string. */
  readonly checkStr: string;
  /** 0-based character offset of the problem inside `checkStr`. */
  readonly position: number;
  /** Name of the rule whose check string failed, when known. */
  readonly ruleName: string | undefined;
  /** Where the rule came from (e.g. a policy file path), when known. */
  readonly source: string | undefined;

  constructor(detail: string, checkStr: string, position: number, ruleName?: string, source?: string) {
    const prefix = (source === undefined ? '' : `${source}: `) + (ruleName === undefined ? '' : `rule "${ruleName}": `);
    super(`${prefix}${detail} at position ${position} in check string ${JSON.stringify(checkStr)}`);
    this.detail = detail;
    this.checkStr = checkStr;
    this.position = position;
    this.ruleName = ruleName;
    this.source = source;
  }

  /** Returns a copy of this error annotated with a rule name and optional source (e.g. a file). */
  withRule(ruleName: string, source?: string): PolicySyntaxError {
    return new PolicySyntaxError(this.detail, this.checkStr, this.position, ruleName, source);
  }
}

/** One piece of a `%(key)s` template. */
export type TemplatePart = { readonly text: string } | { readonly key: string };

/** A value on either side of a generic check. */
export type ValueSpec =
  | { readonly kind: 'literal'; readonly value: string }
  | { readonly kind: 'template'; readonly parts: readonly TemplatePart[] };

/** Parsed check string. */
export type PolicyNode =
  | { readonly type: 'true' }
  | { readonly type: 'false' }
  | { readonly type: 'and'; readonly children: readonly PolicyNode[] }
  | { readonly type: 'or'; readonly children: readonly PolicyNode[] }
  | { readonly type: 'not'; readonly child: PolicyNode }
  | { readonly type: 'role'; readonly match: ValueSpec }
  | { readonly type: 'rule'; readonly name: string }
  | {
      readonly type: 'generic';
      /** A credential path (`project_id`, `a.b`) or a quoted literal key. */
      readonly key:
        | { readonly kind: 'path'; readonly path: string }
        | { readonly kind: 'literal'; readonly value: string };
      readonly match: ValueSpec;
    };

/** Looks a rule up by name; returns undefined for unknown rules. */
export type RuleResolver = (name: string) => PolicyNode | undefined;

/** Maximum nesting of `rule:` references followed during one evaluation. */
export const MAX_RULE_DEPTH = 32;

// ---------------------------------------------------------------------------
// Lexer

type Token =
  | { readonly t: 'lparen'; readonly pos: number }
  | { readonly t: 'rparen'; readonly pos: number }
  | { readonly t: 'and' | 'or' | 'not'; readonly pos: number }
  | { readonly t: 'check'; readonly pos: number; readonly text: string }
  | { readonly t: 'end'; readonly pos: number };

function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f' || ch === '\v';
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i];
    if (isSpace(ch)) {
      i++;
      continue;
    }
    if (ch === '(') {
      tokens.push({ t: 'lparen', pos: i });
      i++;
      continue;
    }
    if (ch === ')') {
      tokens.push({ t: 'rparen', pos: i });
      i++;
      continue;
    }
    // An atom runs until whitespace or a parenthesis that is not part of a
    // `%(key)s` substitution or a quoted section. (So `not(x)` lexes as
    // `not` `(` `x` `)`, while `role:a(b` becomes a parse error.)
    const start = i;
    while (i < src.length) {
      const c = src[i];
      if (isSpace(c) || c === ')' || c === '(') break;
      if (c === '%' && src[i + 1] === '(') {
        const close = src.indexOf(')', i + 2);
        if (close < 0) throw new PolicySyntaxError("unterminated '%(' substitution", src, i);
        i = close + 1;
        continue;
      }
      if (c === "'" || c === '"') {
        const close = src.indexOf(c, i + 1);
        if (close < 0) throw new PolicySyntaxError(`unterminated ${c} quote`, src, i);
        i = close + 1;
        continue;
      }
      i++;
    }
    const text = src.slice(start, i);
    const lower = text.toLowerCase();
    if (lower === 'and' || lower === 'or' || lower === 'not') {
      tokens.push({ t: lower, pos: start });
    } else {
      tokens.push({ t: 'check', pos: start, text });
    }
  }
  tokens.push({ t: 'end', pos: src.length });
  return tokens;
}

// ---------------------------------------------------------------------------
// Check atoms

function unquote(text: string): string | undefined {
  if (text.length >= 2) {
    const q = text[0];
    if ((q === "'" || q === '"') && text[text.length - 1] === q) {
      const inner = text.slice(1, -1);
      if (!inner.includes(q)) return inner;
    }
  }
  return undefined;
}

/** Parses a `%(key)s` template. `offset` is the template's position in `src`. */
function parseTemplate(text: string, src: string, offset: number): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let buf = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "'" || c === '"') {
      throw new PolicySyntaxError('quotes must enclose the whole value', src, offset + i);
    }
    if (c !== '%') {
      buf += c;
      i++;
      continue;
    }
    if (text[i + 1] === '%') {
      buf += '%';
      i += 2;
      continue;
    }
    if (text[i + 1] !== '(') {
      throw new PolicySyntaxError("bare '%' (use '%%' or '%(key)s')", src, offset + i);
    }
    const close = text.indexOf(')', i + 2);
    const key = text.slice(i + 2, close);
    if (close < 0 || key === '') {
      throw new PolicySyntaxError("malformed '%(key)s' substitution", src, offset + i);
    }
    if (text[close + 1] !== 's') {
      throw new PolicySyntaxError(`substitution '%(${key})' must end with 's'`, src, offset + i);
    }
    if (buf !== '') parts.push({ text: buf });
    buf = '';
    parts.push({ key });
    i = close + 2;
  }
  if (buf !== '') parts.push({ text: buf });
  return parts;
}

function parseValue(text: string, src: string, offset: number): ValueSpec {
  const q = unquote(text);
  if (q !== undefined) return { kind: 'literal', value: q };
  const parts = parseTemplate(text, src, offset);
  if (parts.every((p) => 'text' in p)) {
    return { kind: 'literal', value: parts.map((p) => ('text' in p ? p.text : '')).join('') };
  }
  return { kind: 'template', parts };
}

/** Finds the first ':' outside quotes. */
function findColon(text: string): number {
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote !== null) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === ':') {
      return i;
    }
  }
  return -1;
}

function parseCheck(text: string, src: string, pos: number): PolicyNode {
  if (text === '@') return { type: 'true' };
  if (text === '!') return { type: 'false' };
  const colon = findColon(text);
  if (colon < 0) {
    throw new PolicySyntaxError(`check "${text}" is not "@", "!" or KIND:VALUE`, src, pos);
  }
  const kind = text.slice(0, colon);
  const matchText = text.slice(colon + 1);
  if (kind === '') throw new PolicySyntaxError(`missing kind before ':' in check "${text}"`, src, pos);
  if (matchText === '') {
    throw new PolicySyntaxError(`missing value after ':' in check "${text}"`, src, pos + colon + 1);
  }
  const matchPos = pos + colon + 1;

  if (kind === 'rule') {
    if (matchText.includes('%') || unquote(matchText) !== undefined) {
      throw new PolicySyntaxError(`invalid rule name "${matchText}"`, src, matchPos);
    }
    return { type: 'rule', name: matchText };
  }
  if (kind === 'role') {
    return { type: 'role', match: parseValue(matchText, src, matchPos) };
  }
  const quotedKey = unquote(kind);
  if (quotedKey !== undefined) {
    return { type: 'generic', key: { kind: 'literal', value: quotedKey }, match: parseValue(matchText, src, matchPos) };
  }
  if (/['"%]/.test(kind)) {
    throw new PolicySyntaxError(`invalid credential key "${kind}"`, src, pos);
  }
  return { type: 'generic', key: { kind: 'path', path: kind }, match: parseValue(matchText, src, matchPos) };
}

// ---------------------------------------------------------------------------
// Parser

class Parser {
  private i = 0;
  constructor(
    private readonly src: string,
    private readonly tokens: Token[],
  ) {}

  parseAll(): PolicyNode {
    const node = this.parseOr();
    const tok = this.peek();
    if (tok.t !== 'end') {
      throw new PolicySyntaxError(
        tok.t === 'rparen' ? "unbalanced ')'" : `unexpected ${describe(tok)}; expected "and", "or" or end`,
        this.src,
        tok.pos,
      );
    }
    return node;
  }

  private peek(): Token {
    return this.tokens[this.i];
  }

  private next(): Token {
    return this.tokens[this.i++];
  }

  private parseOr(): PolicyNode {
    const children = [this.parseAnd()];
    while (this.peek().t === 'or') {
      this.next();
      children.push(this.parseAnd());
    }
    return children.length === 1 ? children[0] : { type: 'or', children };
  }

  private parseAnd(): PolicyNode {
    const children = [this.parseNot()];
    while (this.peek().t === 'and') {
      this.next();
      children.push(this.parseNot());
    }
    return children.length === 1 ? children[0] : { type: 'and', children };
  }

  private parseNot(): PolicyNode {
    if (this.peek().t === 'not') {
      this.next();
      return { type: 'not', child: this.parseNot() };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): PolicyNode {
    const tok = this.next();
    switch (tok.t) {
      case 'lparen': {
        if (this.peek().t === 'rparen') {
          throw new PolicySyntaxError('empty parentheses', this.src, tok.pos);
        }
        const inner = this.parseOr();
        const close = this.next();
        if (close.t !== 'rparen') {
          throw new PolicySyntaxError(
            close.t === 'end'
              ? `unclosed '(' opened at position ${tok.pos}`
              : `unexpected ${describe(close)}; expected ')'`,
            this.src,
            close.pos,
          );
        }
        return inner;
      }
      case 'check':
        return parseCheck(tok.text, this.src, tok.pos);
      default:
        throw new PolicySyntaxError(`unexpected ${describe(tok)}; expected a check or '('`, this.src, tok.pos);
    }
  }
}

function describe(tok: Token): string {
  switch (tok.t) {
    case 'lparen':
      return "'('";
    case 'rparen':
      return "')'";
    case 'end':
      return 'end of check string';
    case 'check':
      return `check "${tok.text}"`;
    default:
      return `"${tok.t}"`;
  }
}

const ALWAYS: PolicyNode = { type: 'true' };
const CACHE_LIMIT = 4096;
const cache = new Map<string, PolicyNode>();

/**
 * Parses a check string into an AST. Results are cached per check string.
 * @throws PolicySyntaxError when the check string is malformed.
 */
export function parse(checkStr: string): PolicyNode {
  const cached = cache.get(checkStr);
  if (cached !== undefined) return cached;
  const node = checkStr.trim() === '' ? ALWAYS : new Parser(checkStr, tokenize(checkStr)).parseAll();
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(checkStr, node);
  return node;
}

// ---------------------------------------------------------------------------
// Evaluation

/** Substitutes a value; undefined when a referenced target key is missing. */
function resolveValue(v: ValueSpec, target: Target): string | undefined {
  if (v.kind === 'literal') return v.value;
  let out = '';
  for (const p of v.parts) {
    if ('text' in p) {
      out += p.text;
    } else {
      const val = Object.hasOwn(target, p.key) ? target[p.key] : undefined;
      if (val === undefined || val === null) return undefined;
      out += String(val);
    }
  }
  return out;
}

function credentialValue(creds: Credentials, path: string): unknown {
  let cur: unknown = creds;
  for (const seg of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, seg)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

function scalarMatches(actual: unknown, expected: string): boolean {
  if (typeof actual === 'boolean') {
    const e = expected.toLowerCase();
    if (e === 'true') return actual;
    if (e === 'false') return !actual;
    return false;
  }
  if (typeof actual === 'string') return actual === expected;
  if (typeof actual === 'number' || typeof actual === 'bigint') return String(actual) === expected;
  return false;
}

function evalNode(
  node: PolicyNode,
  target: Target,
  creds: Credentials,
  resolve: RuleResolver,
  active: Set<string>,
): boolean {
  switch (node.type) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'and':
      return node.children.every((c) => evalNode(c, target, creds, resolve, active));
    case 'or':
      return node.children.some((c) => evalNode(c, target, creds, resolve, active));
    case 'not':
      return !evalNode(node.child, target, creds, resolve, active);
    case 'role': {
      const wanted = resolveValue(node.match, target);
      if (wanted === undefined || !Array.isArray(creds.roles)) return false;
      const w = wanted.toLowerCase();
      return creds.roles.some((r) => typeof r === 'string' && r.toLowerCase() === w);
    }
    case 'rule': {
      // A rule already being evaluated (a cycle) or too deep a chain counts as false.
      if (active.has(node.name) || active.size >= MAX_RULE_DEPTH) return false;
      const referenced = resolve(node.name);
      if (referenced === undefined) return false;
      active.add(node.name);
      try {
        return evalNode(referenced, target, creds, resolve, active);
      } finally {
        active.delete(node.name);
      }
    }
    case 'generic': {
      const expected = resolveValue(node.match, target);
      if (expected === undefined) return false;
      if (node.key.kind === 'literal') return node.key.value === expected;
      const actual = credentialValue(creds, node.key.path);
      if (Array.isArray(actual)) return actual.some((a) => scalarMatches(a, expected));
      return scalarMatches(actual, expected);
    }
  }
}

const noRules: RuleResolver = () => undefined;

/**
 * Evaluates a parsed check against a target and credentials.
 * `resolve` supplies the rules referenced by `rule:NAME` checks.
 * `activeRule`, when given, is treated as already being evaluated (so a rule
 * that refers to itself evaluates that reference as false).
 */
export function evaluate(
  node: PolicyNode,
  target: Target,
  creds: Credentials,
  resolve: RuleResolver = noRules,
  activeRule?: string,
): boolean {
  const active = new Set<string>();
  if (activeRule !== undefined) active.add(activeRule);
  return evalNode(node, target, creds, resolve, active);
}
