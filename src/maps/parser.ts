/**
 * The parser of map expressions: the Python expressions the Meltano SDK's mapper evaluates (with
 * simpleeval), written against this grammar, lowest precedence first, and nothing else (no statement, no
 * lambda, no assignment, no f-string):
 *
 *   expr     := or ["if" or "else" expr]
 *   or       := and ("or" and)*             and := not ("and" not)*      not := "not" not | compare
 *   compare  := arith (("=="|"!="|"<"|"<="|">"|">="|"in"|"not" "in"|"is"|"is" "not") arith)*
 *   arith    := term (("+"|"-") term)*      term := unary (("*"|"/"|"//"|"%") unary)*
 *   unary    := ("-"|"+") unary | power     power := primary ["**" unary]
 *   primary  := atom ("." NAME | "(" args ")" | "[" subscript "]")*
 *   atom     := NAME | NUMBER | STRING+ | "(" [expr ("," expr)* [","]] ")" | "[" list or comprehension "]"
 *             | "{" dict or set "}"
 *   comprehension := expr "for" NAME ("," NAME)* "in" or ("if" or)*
 *
 * A mistake is a MapSyntaxError with its column.
 */
import { MAX_INT_DIGITS, MAX_NESTING, MAX_SOURCE_LENGTH } from './limits.js';
import { Dec, type PyValue } from './values.js';

export type Node =
  | { type: 'const'; value: PyValue; pos: number }
  | { type: 'name'; id: string; pos: number }
  | { type: 'attr'; obj: Node; attr: string; pos: number }
  | { type: 'index'; obj: Node; index: Node; pos: number }
  | { type: 'slice'; obj: Node; parts: (Node | undefined)[]; pos: number }
  | { type: 'call'; fn: Node; args: Node[]; kwargs: [string, Node][]; pos: number }
  | { type: 'unary'; op: string; operand: Node; pos: number }
  | { type: 'binary'; op: string; left: Node; right: Node; pos: number }
  | { type: 'bool'; op: 'and' | 'or'; left: Node; right: Node; pos: number }
  | { type: 'compare'; first: Node; ops: string[]; rest: Node[]; pos: number }
  | { type: 'ifexp'; test: Node; body: Node; orelse: Node; pos: number }
  | { type: 'list' | 'tuple' | 'set'; items: Node[]; pos: number }
  | { type: 'dict'; entries: [Node, Node][]; pos: number }
  | { type: 'comp'; elt: Node; key?: Node; set?: boolean; targets: string[]; iter: Node; conds: Node[]; pos: number };

export class MapSyntaxError extends Error {
  constructor(
    message: string,
    /** 1-based column in the expression; undefined for a mistake of the whole (its length). */
    readonly column: number | undefined,
  ) {
    super(column === undefined ? message : `${message} at column ${column}`);
  }
}

interface Token {
  kind: 'name' | 'number' | 'string' | 'op' | 'end';
  text: string;
  pos: number;
  value?: PyValue;
}

const OPERATORS = [
  '**',
  '//',
  '==',
  '!=',
  '<=',
  '>=',
  '<<',
  '>>',
  ':=',
  '->',
  '+',
  '-',
  '*',
  '/',
  '%',
  '<',
  '>',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  ':',
  '.',
  '=',
  '~',
  '|',
  '&',
  '^',
  '@',
  ';',
];
const KEYWORDS = new Set([
  'and',
  'or',
  'not',
  'in',
  'is',
  'if',
  'else',
  'for',
  'lambda',
  'None',
  'True',
  'False',
  'import',
  'def',
  'class',
  'return',
  'del',
  'pass',
  'while',
  'with',
  'yield',
  'await',
  'async',
  'global',
  'assert',
  'raise',
  'try',
  'except',
  'finally',
  'from',
  'as',
  'elif',
  'break',
  'continue',
  'nonlocal',
]);

// Each pattern is sticky (read at the tokenizer's position) and reads what it matches once: linear in the text.
const NAME = /[\p{XID_Start}_][\p{XID_Continue}]*/uy;
const STRING_PREFIX = /[rRbBfFuU]{1,2}(?=['"])/y;
const RADIX_NUMBER = /0(?:[xX](?:_?[0-9a-fA-F])+|[oO](?:_?[0-7])+|[bB](?:_?[01])+)/y;
const DECIMAL_NUMBER = /(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?/y;
const SPACE = /[ \t\f]+|\\\r?\n|#[^\n]*/y;
const OPENING = '([{';
const CLOSING = ')]}';

function sticky(pattern: RegExp, text: string, at: number): string | undefined {
  pattern.lastIndex = at;
  return pattern.exec(text)?.[0];
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  let brackets = 0;
  // Line breaks are allowed at the end (and inside brackets): where the end begins, found once.
  const end = text.trimEnd().length;
  if (/^[ \t\f]/.test(text)) throw new MapSyntaxError('unexpected indent', 1);
  while (at < text.length) {
    const space = sticky(SPACE, text, at);
    if (space !== undefined) {
      at += space.length;
      continue;
    }
    const ch = text[at]!;
    if (ch === '\n' || ch === '\r') {
      // Inside brackets a line break is a space, as in Python; elsewhere only trailing ones are.
      if (brackets === 0 && at < end) throw new MapSyntaxError('a line break outside brackets', at + 1);
      at++;
      continue;
    }
    const token = readToken(text, at);
    if (token.kind === 'op') brackets += OPENING.includes(token.text) ? 1 : CLOSING.includes(token.text) ? -1 : 0;
    tokens.push(token);
    at += token.text.length;
  }
  tokens.push({ kind: 'end', text: '', pos: text.length });
  return tokens;
}

function readToken(text: string, at: number): Token {
  const ch = text[at]!;
  const prefix = sticky(STRING_PREFIX, text, at);
  if (prefix !== undefined) {
    if (!/^[uUrR]$/.test(prefix)) throw new MapSyntaxError(`string prefix ${prefix} is not supported`, at + 1);
    const [value, length] = readString(text, at + 1, /[rR]/.test(prefix));
    return { kind: 'string', text: text.slice(at, at + 1 + length), pos: at, value };
  }
  const name = sticky(NAME, text, at);
  if (name !== undefined) return { kind: 'name', text: name, pos: at, value: name.normalize('NFKC') };
  const number = sticky(RADIX_NUMBER, text, at) ?? sticky(DECIMAL_NUMBER, text, at);
  if (number !== undefined) return { kind: 'number', text: number, pos: at, value: numberValue(number, at) };
  if (ch === '"' || ch === "'") {
    const [value, length] = readString(text, at, false);
    return { kind: 'string', text: text.slice(at, at + length), pos: at, value };
  }
  const op = OPERATORS.find((o) => text.startsWith(o, at));
  if (!op) throw new MapSyntaxError(`unexpected character ${JSON.stringify(ch)}`, at + 1);
  return { kind: 'op', text: op, pos: at };
}

/** A name as Python reads it: NFKC-normalised. */
function identifier(token: Token): string {
  return typeof token.value === 'string' ? token.value : token.text;
}

function numberValue(text: string, at: number): PyValue {
  const digits = text.replace(/_/g, '');
  if (/^0[xXoObB]/.test(digits)) return BigInt(digits);
  if (/[.eE]/.test(digits)) return Number(digits);
  if (/^0+[1-9]/.test(digits)) throw new MapSyntaxError('leading zeros in decimal integer literals are not permitted', at + 1);
  if (digits.length > MAX_INT_DIGITS) throw new MapSyntaxError(`an integer literal of more than ${MAX_INT_DIGITS} digits`, at + 1);
  return BigInt(digits);
}

const STRING_ESCAPES: ReadonlyMap<string, string> = new Map([
  ['n', '\n'],
  ['t', '\t'],
  ['r', '\r'],
  ['\\', '\\'],
  ["'", "'"],
  ['"', '"'],
  ['a', '\x07'],
  ['b', '\b'],
  ['f', '\f'],
  ['v', '\v'],
  ['\n', ''],
]);

/** One escape sequence at `at` (a backslash): its value and its length. */
function readEscape(text: string, at: number): [string, number] {
  const next = text[at + 1] ?? '';
  const octal = /^[0-7]{1,3}/.exec(text.slice(at + 1, at + 4))?.[0];
  if (octal) return [String.fromCodePoint(parseInt(octal, 8)), 1 + octal.length];
  const hex = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : 0;
  if (hex > 0) {
    const digits = text.slice(at + 2, at + 2 + hex);
    const code = /^[0-9a-fA-F]+$/.test(digits) && digits.length === hex ? parseInt(digits, 16) : NaN;
    if (Number.isNaN(code) || code > 0x10ffff)
      throw new MapSyntaxError(`a \\${next} escape that is not ${hex} hex digits of a character`, at + 1);
    return [String.fromCodePoint(code), 2 + hex];
  }
  if (next === 'N') throw new MapSyntaxError('\\N{...} escapes are not supported', at + 1);
  return [STRING_ESCAPES.get(next) ?? `\\${next}`, 2];
}

/** A quoted string literal (single, double or triple quotes) from `start`: its value and its length; `raw`: r'...'. */
function readString(text: string, start: number, raw: boolean): [string, number] {
  const triple = text.startsWith(text[start]!.repeat(3), start);
  const quoteText = triple ? text[start]!.repeat(3) : text[start]!;
  let at = start + quoteText.length;
  let value = '';
  while (at < text.length && !text.startsWith(quoteText, at)) {
    const ch = text[at]!;
    if (ch === '\n' && !triple) break;
    if (ch !== '\\') {
      value += ch;
      at++;
    } else if (raw) {
      value += text.slice(at, at + 2);
      at += 2;
    } else {
      const [piece, length] = readEscape(text, at);
      value += piece;
      at += length;
    }
  }
  if (!text.startsWith(quoteText, at)) throw new MapSyntaxError('unterminated string literal', start + 1);
  return [value, at + quoteText.length - start];
}

/** The depth of a parsed tree, without recursion (a chain of 100,000 `+` is deep). */
function treeDepth(root: Node): [number, Node] {
  let deepest: [number, Node] = [1, root];
  const stack: [Node, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > deepest[0]) deepest = [depth, node];
    for (const child of children(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** A node's operands, in source order (the depth check's walk; evaluate.ts's names walk). */
export function children(node: Node): Node[] {
  switch (node.type) {
    case 'const':
    case 'name':
      return [];
    case 'attr':
      return [node.obj];
    case 'index':
      return [node.obj, node.index];
    case 'slice':
      return [node.obj, ...node.parts.filter((part) => part !== undefined)];
    case 'call':
      return [node.fn, ...node.args, ...node.kwargs.map(([, arg]) => arg)];
    case 'unary':
      return [node.operand];
    case 'binary':
    case 'bool':
      return [node.left, node.right];
    case 'compare':
      return [node.first, ...node.rest];
    case 'ifexp':
      return [node.test, node.body, node.orelse];
    case 'list':
    case 'tuple':
    case 'set':
      return node.items;
    case 'dict':
      return node.entries.flat();
    case 'comp':
      return [node.elt, node.iter, ...node.conds, ...(node.key ? [node.key] : [])];
  }
}

function tooDeeplyNested(pos: number): MapSyntaxError {
  return new MapSyntaxError(
    `the expression is nested more than ${MAX_NESTING} levels deep (brackets, or operators applied one after another)`,
    pos + 1,
  );
}

/** Parses an expression; throws MapSyntaxError with the column of the mistake. */
export function parseExpression(text: string): Node {
  if (text.length > MAX_SOURCE_LENGTH)
    throw new MapSyntaxError(
      `the expression is ${text.length.toLocaleString('en-US')} characters long; the longest tap-crm reads is ${MAX_SOURCE_LENGTH.toLocaleString('en-US')}`,
      undefined,
    );
  if (text.trim() === '') throw new MapSyntaxError('empty expression', 1);
  const parser = new Parser(tokenize(text));
  const node = parser.expression();
  parser.expectEnd();
  const [depth, deepest] = treeDepth(node);
  if (depth > MAX_NESTING) throw tooDeeplyNested(deepest.pos);
  return node;
}

class Parser {
  private at = 0;
  /** How deep the parser has recursed: bounded, so that 500 nested brackets are a config error, not a stack overflow. */
  private depth = 0;
  constructor(private readonly tokens: Token[]) {}

  /** Parses one nested part, within MAX_NESTING levels. */
  private nested<T>(parse: () => T): T {
    if (++this.depth > MAX_NESTING + 1) throw tooDeeplyNested(this.token.pos);
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  private get token(): Token {
    return this.tokens[this.at]!;
  }

  private is(text: string, kind: Token['kind'] = 'op'): boolean {
    return this.token.kind === kind && this.token.text === text;
  }

  private isKeyword(word: string): boolean {
    return this.is(word, 'name');
  }

  private take(text: string, kind: Token['kind'] = 'op'): Token {
    if (!this.is(text, kind)) this.fail(`expected "${text}"`);
    return this.tokens[this.at++]!;
  }

  fail(what: string, token = this.token): never {
    const found = token.kind === 'end' ? 'the end' : `"${token.text}"`;
    throw new MapSyntaxError(`${what}, found ${found}`, token.pos + 1);
  }

  expectEnd(): void {
    if (this.token.kind !== 'end') this.fail('expected the end of the expression');
  }

  expression(): Node {
    return this.nested(() => this.conditional());
  }

  private conditional(): Node {
    const body = this.or();
    if (!this.isKeyword('if')) return body;
    const pos = this.token.pos;
    this.at++;
    const test = this.or();
    this.take('else', 'name');
    return { type: 'ifexp', test, body, orelse: this.expression(), pos };
  }

  private or(): Node {
    let left = this.and();
    while (this.isKeyword('or')) {
      const pos = this.tokens[this.at++]!.pos;
      left = { type: 'bool', op: 'or', left, right: this.and(), pos };
    }
    return left;
  }

  private and(): Node {
    let left = this.not();
    while (this.isKeyword('and')) {
      const pos = this.tokens[this.at++]!.pos;
      left = { type: 'bool', op: 'and', left, right: this.not(), pos };
    }
    return left;
  }

  private not(): Node {
    if (!this.isKeyword('not')) return this.compare();
    const pos = this.tokens[this.at++]!.pos;
    return { type: 'unary', op: 'not', operand: this.nested(() => this.not()), pos };
  }

  private compare(): Node {
    const first = this.binary(0);
    const ops: string[] = [];
    const rest: Node[] = [];
    for (let op = this.compareOp(); op; op = this.compareOp()) {
      ops.push(op);
      rest.push(this.binary(0));
    }
    return ops.length === 0 ? first : { type: 'compare', first, ops, rest, pos: first.pos };
  }

  private compareOp(): string | undefined {
    const { text, kind } = this.token;
    if (kind === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(text)) return this.tokens[this.at++]!.text;
    if (this.isKeyword('in')) return (this.at++, 'in');
    if (this.isKeyword('not') && this.tokens[this.at + 1]?.text === 'in') return ((this.at += 2), 'not in');
    if (!this.isKeyword('is')) return undefined;
    this.at++;
    if (!this.isKeyword('not')) return 'is';
    this.at++;
    return 'is not';
  }

  /** Binary operators by level: | ^ & (<< >>) (+ -) (* / // % @). */
  private binary(level: number): Node {
    if (level === BINARY_LEVELS.length) return this.unary();
    let left = this.binary(level + 1);
    while (this.token.kind === 'op' && BINARY_LEVELS[level]!.includes(this.token.text)) {
      const { text: op, pos } = this.tokens[this.at++]!;
      left = { type: 'binary', op, left, right: this.binary(level + 1), pos };
    }
    return left;
  }

  private unary(): Node {
    if (this.is('-') || this.is('+') || this.is('~')) {
      const { text: op, pos } = this.tokens[this.at++]!;
      return { type: 'unary', op, operand: this.nested(() => this.unary()), pos };
    }
    const base = this.primary();
    if (!this.is('**')) return base;
    const pos = this.tokens[this.at++]!.pos;
    return { type: 'binary', op: '**', left: base, right: this.nested(() => this.unary()), pos };
  }

  private primary(): Node {
    let node = this.atom();
    for (;;) {
      const pos = this.token.pos;
      if (this.is('.')) {
        this.at++;
        if (this.token.kind !== 'name') this.fail('expected an attribute name');
        node = { type: 'attr', obj: node, attr: identifier(this.tokens[this.at++]!), pos };
      } else if (this.is('(')) {
        this.at++;
        node = this.call(node, pos);
      } else if (this.is('[')) {
        this.at++;
        node = this.subscript(node, pos);
      } else return node;
    }
  }

  private call(fn: Node, pos: number): Node {
    const args: Node[] = [];
    const kwargs: [string, Node][] = [];
    while (!this.is(')')) {
      if (this.token.kind === 'name' && this.tokens[this.at + 1]?.text === '=' && this.tokens[this.at + 1]?.kind === 'op') {
        const name = identifier(this.tokens[this.at]!);
        this.at += 2;
        kwargs.push([name, this.expression()]);
      } else {
        if (kwargs.length > 0) this.fail('positional argument follows keyword argument');
        args.push(this.expression());
      }
      if (!this.is(')')) this.take(',');
    }
    this.at++;
    return { type: 'call', fn, args, kwargs, pos };
  }

  private subscript(obj: Node, pos: number): Node {
    const parts: (Node | undefined)[] = [this.is(':') ? undefined : this.expression()];
    if (!this.is(':')) {
      this.take(']');
      return { type: 'index', obj, index: parts[0]!, pos };
    }
    while (this.is(':') && parts.length < 3) {
      this.at++;
      parts.push(this.is(':') || this.is(']') ? undefined : this.expression());
    }
    this.take(']');
    return { type: 'slice', obj, parts, pos };
  }

  private atom(): Node {
    const token = this.token;
    if (token.kind === 'number' || token.kind === 'string') return this.literal();
    if (token.kind === 'name') {
      this.at++;
      if (token.text === 'None' || token.text === 'True' || token.text === 'False')
        return { type: 'const', value: token.text === 'None' ? null : token.text === 'True', pos: token.pos };
      if (KEYWORDS.has(token.text)) this.fail('invalid syntax', token);
      return { type: 'name', id: identifier(token), pos: token.pos };
    }
    if (this.is('(')) return this.parenthesised();
    if (this.is('[')) return this.listDisplay();
    if (this.is('{')) return this.braceDisplay();
    return this.fail('expected a value');
  }

  private literal(): Node {
    const token = this.tokens[this.at++]!;
    if (token.kind === 'number') return { type: 'const', value: token.value!, pos: token.pos };
    let value = token.value as string;
    // Adjacent string literals join, as in Python.
    while (this.token.kind === 'string') value += this.tokens[this.at++]!.value as string;
    return { type: 'const', value, pos: token.pos };
  }

  private parenthesised(): Node {
    const pos = this.tokens[this.at++]!.pos;
    if (this.is(')')) return (this.at++, { type: 'tuple', items: [], pos });
    const first = this.expression();
    if (this.isKeyword('for')) return this.comprehension(first, pos, ')');
    if (this.is(')')) return (this.at++, first);
    const items = [first];
    while (this.is(',')) {
      this.at++;
      if (this.is(')')) break;
      items.push(this.expression());
    }
    this.take(')');
    return { type: 'tuple', items, pos };
  }

  private listDisplay(): Node {
    const pos = this.tokens[this.at++]!.pos;
    const items: Node[] = [];
    while (!this.is(']')) {
      items.push(this.expression());
      if (items.length === 1 && this.isKeyword('for')) return this.comprehension(items[0]!, pos, ']');
      if (!this.is(']')) this.take(',');
    }
    this.at++;
    return { type: 'list', items, pos };
  }

  private braceDisplay(): Node {
    const pos = this.tokens[this.at++]!.pos;
    const entries: [Node, Node][] = [];
    const items: Node[] = [];
    while (!this.is('}')) {
      const key = this.expression();
      if (items.length === 0 && this.is(':')) {
        this.at++;
        const value = this.expression();
        if (entries.length === 0 && this.isKeyword('for')) return { ...this.comprehensionOf(value, pos, '}'), key };
        entries.push([key, value]);
      } else {
        if (entries.length > 0) this.fail('expected ":"');
        if (items.length === 0 && this.isKeyword('for')) return { ...this.comprehension(key, pos, '}'), set: true };
        items.push(key);
      }
      if (!this.is('}')) this.take(',');
    }
    this.at++;
    return items.length > 0 ? { type: 'set', items, pos } : { type: 'dict', entries, pos };
  }

  /** A list or set comprehension. */
  private comprehension(elt: Node, pos: number, close: string): Extract<Node, { type: 'comp' }> {
    return this.comprehensionOf(elt, pos, close);
  }

  private comprehensionOf(elt: Node, pos: number, close: string): Extract<Node, { type: 'comp' }> {
    this.take('for', 'name');
    const targets: string[] = [];
    do {
      if (this.is(',')) this.at++;
      if (this.token.kind !== 'name' || KEYWORDS.has(this.token.text)) this.fail('expected a name');
      targets.push(identifier(this.tokens[this.at++]!));
    } while (this.is(','));
    this.take('in', 'name');
    const iter = this.or();
    const conds: Node[] = [];
    while (this.isKeyword('if')) {
      this.at++;
      conds.push(this.or());
    }
    this.take(close);
    return { type: 'comp', elt, targets, iter, conds, pos };
  }
}

const BINARY_LEVELS: readonly (readonly string[])[] = [['|'], ['^'], ['&'], ['<<', '>>'], ['+', '-'], ['*', '/', '//', '%', '@']];

/** A JSON number's text as a map's literal: for tests and the decimal literal. */
export function decimalLiteral(text: string): Dec {
  return Dec.parse(text);
}
