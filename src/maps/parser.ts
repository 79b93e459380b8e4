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
  | { type: 'comp'; elt: Node; key?: Node; targets: string[]; iter: Node; conds: Node[]; pos: number };

export class MapSyntaxError extends Error {
  constructor(
    message: string,
    /** 1-based column in the expression. */
    readonly column: number,
  ) {
    super(`${message} at column ${column}`);
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

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  if (/^\s/.test(text)) throw new MapSyntaxError('unexpected indent', 1);
  while (at < text.length) {
    const ch = text[at]!;
    if (ch === ' ' || ch === '\t') {
      at++;
      continue;
    }
    const rest = text.slice(at);
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest)?.[0];
    if (name && /^[rRbBfFuU]{1,2}['"]/.test(rest) && name.length <= 2 && /['"]/.test(text[at + name.length] ?? '')) {
      if (!/^[uU]$/.test(name)) throw new MapSyntaxError(`string prefix ${name} is not supported`, at + 1);
      at += name.length;
      continue;
    }
    if (name) {
      tokens.push({ kind: 'name', text: name, pos: at });
      at += name.length;
      continue;
    }
    const number = /^(\d[\d_]*)?(\.\d[\d_]*|\.)?([eE][+-]?\d+)?/.exec(rest)?.[0];
    if (number && /\d/.test(number) && (/^\d/.test(number) || /^\.\d/.test(number))) {
      tokens.push({ kind: 'number', text: number, pos: at, value: numberValue(number.replace(/_/g, '')) });
      at += number.length;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const [value, length] = readString(text, at);
      tokens.push({ kind: 'string', text: text.slice(at, at + length), pos: at, value });
      at += length;
      continue;
    }
    const op = OPERATORS.find((o) => rest.startsWith(o));
    if (!op) throw new MapSyntaxError(`unexpected character ${JSON.stringify(ch)}`, at + 1);
    tokens.push({ kind: 'op', text: op, pos: at });
    at += op.length;
  }
  tokens.push({ kind: 'end', text: '', pos: text.length });
  return tokens;
}

function numberValue(text: string): PyValue {
  if (/[.eE]/.test(text)) return Number(text);
  return BigInt(text);
}

const STRING_ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '0': '\0',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '\n': '',
};

/** A quoted string literal (single, double or triple quotes) from `start`: its value and its length. */
function readString(text: string, start: number): [string, number] {
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
      continue;
    }
    const next = text[at + 1] ?? '';
    const hex = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : 0;
    if (hex > 0) {
      value += String.fromCodePoint(parseInt(text.slice(at + 2, at + 2 + hex), 16));
      at += 2 + hex;
    } else {
      value += STRING_ESCAPES[next] ?? `\\${next}`;
      at += 2;
    }
  }
  if (!text.startsWith(quoteText, at)) throw new MapSyntaxError('unterminated string literal', start + 1);
  return [value, at + quoteText.length - start];
}

/** Parses an expression; throws MapSyntaxError with the column of the mistake. */
export function parseExpression(text: string): Node {
  if (text.trim() === '') throw new MapSyntaxError('empty expression', 1);
  const parser = new Parser(tokenize(text));
  const node = parser.expression();
  parser.expectEnd();
  return node;
}

class Parser {
  private at = 0;
  constructor(private readonly tokens: Token[]) {}

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
    return { type: 'unary', op: 'not', operand: this.not(), pos };
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
      return { type: 'unary', op, operand: this.unary(), pos };
    }
    const base = this.primary();
    if (!this.is('**')) return base;
    const pos = this.tokens[this.at++]!.pos;
    return { type: 'binary', op: '**', left: base, right: this.unary(), pos };
  }

  private primary(): Node {
    let node = this.atom();
    for (;;) {
      const pos = this.token.pos;
      if (this.is('.')) {
        this.at++;
        if (this.token.kind !== 'name') this.fail('expected an attribute name');
        node = { type: 'attr', obj: node, attr: this.tokens[this.at++]!.text, pos };
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
        const name = this.tokens[this.at]!.text;
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
      return { type: 'name', id: token.text, pos: token.pos };
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
        if (items.length === 0 && this.isKeyword('for')) return this.comprehension(key, pos, '}');
        items.push(key);
      }
      if (!this.is('}')) this.take(',');
    }
    this.at++;
    return items.length > 0 ? { type: 'set', items, pos } : { type: 'dict', entries, pos };
  }

  /** A list (or set, written as a list) comprehension. */
  private comprehension(elt: Node, pos: number, close: string): Node {
    return this.comprehensionOf(elt, pos, close);
  }

  private comprehensionOf(elt: Node, pos: number, close: string): Extract<Node, { type: 'comp' }> {
    this.take('for', 'name');
    const targets: string[] = [];
    do {
      if (this.is(',')) this.at++;
      if (this.token.kind !== 'name' || KEYWORDS.has(this.token.text)) this.fail('expected a name');
      targets.push(this.tokens[this.at++]!.text);
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
