/**
 * The evaluator of map expressions: walks the tree parser.ts made, over the names of one record. There
 * is no eval and no way out of the record: a name is a record's property, one of the SDK's names
 * (record, _, config, self, __stream_name__, __original_stream_name__) or a function of builtins.ts;
 * an attribute is a method of builtins.ts or, on a dict, its own key (simpleeval's fallback); nothing
 * of JavaScript's objects can be reached. Each node evaluated is a step of the record's budget
 * (limits.ts), and every value made is counted there, so that no expression runs unbounded.
 */
import { type Argument, type Callable, distinct, FUNCTIONS, iterate, method, PyFunction, PyNamespace, dictKeyText } from './builtins.js';
import { dateAttribute } from './dates.js';
import { Budget, MAX_COMPREHENSION, MAX_STEPS, PyError } from './limits.js';
import { binaryOp, contains, equal, order, same, unaryOp } from './operators.js';
import { children, parseExpression, type Node } from './parser.js';
import { isDict, PyDate, setItem, strRepr, truthy, typeName, type PyDict, type PyValue } from './values.js';

const NO_KEYWORDS: ReadonlyMap<string, Argument> = new Map();

/** What a name may be while evaluating: a value, or a function or module. */
type Bound = PyValue | Callable;

/** An expression ready to evaluate: parsed once, when the maps are read (its length and nesting bounded there). */
export class Expression {
  readonly node: Node;
  constructor(readonly text: string) {
    this.node = parseExpression(text);
  }

  /** The names it reads from outside (a comprehension's own variables left out), each once, in order. */
  names(): string[] {
    const found = new Set<string>();
    readNames(this.node, new Set(), found);
    return [...found];
  }

  /** The expression's value over `names`; `budget`: the record's, shared by the expressions of its map. */
  evaluate(names: (name: string) => PyValue | undefined, budget = new Budget()): PyValue {
    const value = new Evaluation(names, budget).eval(this.node);
    if (value instanceof PyFunction || value instanceof PyNamespace)
      throw new PyError('TypeError', `Object of type ${value.name} is not a value a record can hold`);
    return value;
  }
}

/** Adds to `found` the names `node` reads that are not `bound` (a comprehension's variables, in its element, key and conditions). */
function readNames(node: Node, bound: ReadonlySet<string>, found: Set<string>): void {
  if (node.type === 'name') {
    if (!bound.has(node.id)) found.add(node.id);
  } else if (node.type === 'comp') {
    // The iterable is read outside the comprehension; its variables are bound in the rest.
    readNames(node.iter, bound, found);
    const inner = new Set([...bound, ...node.targets]);
    for (const child of [node.elt, ...(node.key ? [node.key] : []), ...node.conds]) readNames(child, inner, found);
  } else for (const child of children(node)) readNames(child, bound, found);
}

class Evaluation {
  /** Comprehension variables, innermost last. */
  private readonly scopes: Map<string, PyValue>[] = [];
  /** Elements visited by this evaluation's comprehensions (simpleeval counts them per evaluation). */
  private comprehended = 0;

  constructor(
    private readonly names: (name: string) => PyValue | undefined,
    private readonly budget: Budget,
  ) {}

  eval(node: Node): Bound {
    if (++this.budget.steps > MAX_STEPS) throw this.budget.exceeded();
    switch (node.type) {
      case 'const':
        return node.value;
      case 'name':
        return this.name(node.id);
      case 'attr':
        return this.attribute(this.eval(node.obj), node.attr);
      case 'index':
        return subscript(this.value(node.obj), this.value(node.index));
      case 'slice':
        return this.slice(node);
      case 'call':
        return this.call(node);
      case 'unary':
        return unaryOp(node.op, this.value(node.operand));
      case 'binary':
        return binaryOp(node.op, this.value(node.left), this.value(node.right), this.budget);
      case 'bool': {
        const left = this.value(node.left);
        return (node.op === 'and') === truthy(left) ? this.value(node.right) : left;
      }
      case 'compare':
        return this.compare(node);
      case 'ifexp':
        return truthy(this.value(node.test)) ? this.value(node.body) : this.value(node.orelse);
      default:
        return this.display(node);
    }
  }

  private display(node: Extract<Node, { type: 'list' | 'tuple' | 'set' | 'dict' | 'comp' }>): PyValue {
    if (node.type === 'dict') return this.dict(node.entries);
    if (node.type === 'comp') return this.comprehension(node);
    const items = node.items.map((item) => this.value(item));
    this.budget.spend(items.length, 8);
    return node.type === 'set' ? distinct(items, this.budget) : items;
  }

  /** A node that must be a value (not a function or module). */
  private value(node: Node): PyValue {
    const value = this.eval(node);
    if (value instanceof PyFunction || value instanceof PyNamespace)
      throw new PyError('TypeError', `a function (${value.name}) cannot be used as a value here`);
    return value;
  }

  private name(id: string): Bound {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const scope = this.scopes[i]!;
      if (scope.has(id)) return scope.get(id)!;
    }
    const value = this.names(id);
    if (value !== undefined) return value;
    const fn = FUNCTIONS.get(id);
    if (fn) return fn;
    throw new PyError('NameNotDefined', `'${id}' is not defined`);
  }

  private attribute(obj: Bound, attr: string): Bound {
    if (attr.startsWith('_') || attr.startsWith('func_') || attr === 'format' || attr === 'format_map')
      throw new PyError('FeatureNotAvailable', `access to ${attr} is not available`);
    if (obj instanceof PyNamespace) {
      const member = obj.members.get(attr);
      if (!member) throw new PyError('AttributeError', `module '${obj.name}' has no attribute '${attr}'`);
      return member;
    }
    if (obj instanceof PyFunction) throw new PyError('AttributeError', `'function' object has no attribute '${attr}'`);
    const fn = method(obj, attr);
    if (fn) return fn;
    if (obj instanceof PyDate) {
      const part = dateAttribute(obj, attr);
      if (part !== undefined) return part;
    }
    // simpleeval's fallback: `_.name` reads the key of a dict (its own keys only).
    if (isDict(obj) && Object.hasOwn(obj, attr)) return obj[attr]!;
    throw new PyError('AttributeDoesNotExist', `Attribute '${attr}' does not exist ('${typeName(obj)}' object)`);
  }

  private call(node: Extract<Node, { type: 'call' }>): PyValue {
    // simpleeval calls a bare name from the function table only: md5('a') works where a record has an md5 field.
    let fn: Bound;
    if (node.fn.type === 'name') {
      const named = FUNCTIONS.get(node.fn.id);
      if (!named) throw new PyError('FunctionNotDefined', `Function '${node.fn.id}' not defined`);
      fn = named;
    } else fn = this.eval(node.fn);
    if (fn instanceof PyNamespace) {
      const constructor = fn.members.get('__call__');
      if (constructor instanceof PyFunction) fn = constructor;
    }
    if (!(fn instanceof PyFunction))
      throw new PyError('TypeError', `'${fn instanceof PyNamespace ? 'module' : typeName(fn)}' object is not callable`);
    const args = node.args.map((arg) => this.value(arg));
    if (node.kwargs.length === 0) return fn.call(args, NO_KEYWORDS, this.budget);
    const kwargs = new Map<string, Argument>();
    for (const [name, arg] of node.kwargs) {
      if (kwargs.has(name)) throw new PyError('SyntaxError', `keyword argument repeated: ${name}`);
      kwargs.set(name, this.argument(arg));
    }
    return fn.call(args, kwargs, this.budget);
  }

  /** A keyword argument: a value, a function (json.dumps' default=) or datetime.timezone.utc. */
  private argument(node: Node): Argument {
    const value = this.eval(node);
    if (value instanceof PyNamespace) {
      if (value.token === undefined) throw new PyError('TypeError', `a module (${value.name}) cannot be used as a value here`);
      return value.token;
    }
    return value;
  }

  private slice(node: Extract<Node, { type: 'slice' }>): PyValue {
    const obj = this.value(node.obj);
    const [lower, upper, step] = node.parts.map((part) => (part ? this.value(part) : null));
    if (typeof obj !== 'string' && !Array.isArray(obj)) throw new PyError('TypeError', `'${typeName(obj)}' object is not subscriptable`);
    const items = typeof obj === 'string' && /[\ud800-\udfff]/.test(obj) ? Array.from(obj) : obj;
    const by = sliceIndex(step ?? null) ?? 1;
    if (by === 0) throw new PyError('ValueError', 'slice step cannot be zero');
    const [from, to] = sliceBounds(items.length, sliceIndex(lower ?? null), sliceIndex(upper ?? null), by);
    let part: string | PyValue[];
    if (by === 1) part = typeof items === 'string' ? items.slice(from, Math.max(from, to)) : items.slice(from, Math.max(from, to));
    else {
      const picked: PyValue[] = [];
      for (let i = from; by > 0 ? i < to : i > to; i += by) picked.push(items[i]!);
      part = picked;
    }
    const out = typeof obj === 'string' && typeof part !== 'string' ? (part as string[]).join('') : part;
    this.budget.spend(out.length, typeof obj === 'string' ? 2 : 8);
    return out;
  }

  private compare(node: Extract<Node, { type: 'compare' }>): boolean {
    let left = this.value(node.first);
    for (let i = 0; i < node.ops.length; i++) {
      const right = this.value(node.rest[i]!);
      if (!this.compareOnce(node.ops[i]!, left, right)) return false;
      left = right;
    }
    return true;
  }

  private compareOnce(op: string, a: PyValue, b: PyValue): boolean {
    switch (op) {
      case '==':
        return equal(a, b, this.budget);
      case '!=':
        return !equal(a, b, this.budget);
      case 'in':
        return contains(b, a, this.budget);
      case 'not in':
        return !contains(b, a, this.budget);
      case 'is':
        return same(a, b);
      case 'is not':
        return !same(a, b);
      default:
        return order(op, a, b, this.budget);
    }
  }

  private dict(entries: [Node, Node][]): PyDict {
    const dict: PyDict = {};
    for (const [k, v] of entries) setItem(dict, dictKeyText(this.value(k)), this.value(v));
    this.budget.spend(entries.length, 8);
    return dict;
  }

  private comprehension(node: Extract<Node, { type: 'comp' }>): PyValue {
    const iterable = iterate(this.value(node.iter));
    const scope = new Map<string, PyValue>();
    this.scopes.push(scope);
    try {
      const out: PyValue[] = [];
      const dict: PyDict = {};
      for (const item of iterable) {
        // simpleeval's MAX_COMPREHENSION_LENGTH, counted over the whole evaluation as simpleeval does.
        if (++this.comprehended > MAX_COMPREHENSION) throw new PyError('IterableTooLong', 'Comprehension generates too many elements');
        bindTargets(scope, node.targets, item);
        if (!node.conds.every((cond) => truthy(this.value(cond)))) continue;
        if (node.key) setItem(dict, dictKeyText(this.value(node.key)), this.value(node.elt));
        else out.push(this.value(node.elt));
      }
      this.budget.spend(out.length, 8);
      return node.key ? dict : node.set ? distinct(out, this.budget) : out;
    } finally {
      this.scopes.pop();
    }
  }
}

/** A slice index: an int (or bool), or undefined for None. */
function sliceIndex(value: PyValue): number | undefined {
  if (value === null) return undefined;
  if (typeof value !== 'bigint' && typeof value !== 'boolean')
    throw new PyError('TypeError', 'slice indices must be integers or None or have an __index__ method');
  return Number(value);
}

/** Python's slice.indices(): the first index and the end, for a step of `step`. */
function sliceBounds(length: number, start: number | undefined, stop: number | undefined, step: number): [number, number] {
  const clamp = (value: number | undefined, fallback: number) => {
    if (value === undefined) return fallback;
    const at = value < 0 ? value + length : value;
    if (step > 0) return Math.min(Math.max(at, 0), length);
    return Math.min(Math.max(at, -1), length - 1);
  };
  return step > 0 ? [clamp(start, 0), clamp(stop, length)] : [clamp(start, length - 1), clamp(stop, -1)];
}

function bindTargets(scope: Map<string, PyValue>, targets: string[], item: PyValue): void {
  if (targets.length === 1) {
    scope.set(targets[0]!, item);
    return;
  }
  const items = iterate(item);
  if (items.length !== targets.length)
    throw new PyError(
      'ValueError',
      `${items.length < targets.length ? 'not enough' : 'too many'} values to unpack (expected ${targets.length})`,
    );
  targets.forEach((target, i) => scope.set(target, items[i]!));
}

function subscript(obj: PyValue, index: PyValue): PyValue {
  if (isDict(obj)) {
    if (Array.isArray(index) || isDict(index)) throw new PyError('TypeError', `unhashable type: '${typeName(index)}'`);
    const key = typeof index === 'string' ? index : dictKeyText(index);
    if (!Object.hasOwn(obj, key)) throw new PyError('KeyError', typeof index === 'string' ? strRepr(index) : key);
    return obj[key]!;
  }
  if (typeof obj === 'string' || Array.isArray(obj)) {
    if (typeof index !== 'bigint' && typeof index !== 'boolean')
      throw new PyError(
        'TypeError',
        `${typeName(obj) === 'str' ? 'string' : 'list'} indices must be integers or slices, not ${typeName(index)}`,
      );
    // A string is indexed by code points, as in Python.
    const items = typeof obj === 'string' && /[\ud800-\udfff]/.test(obj) ? Array.from(obj) : obj;
    const n = Number(index);
    const at = n < 0 ? items.length + n : n;
    if (at < 0 || at >= items.length) throw new PyError('IndexError', `${typeName(obj) === 'str' ? 'string' : 'list'} index out of range`);
    return items[at]!;
  }
  throw new PyError('TypeError', `'${typeName(obj)}' object is not subscriptable`);
}
