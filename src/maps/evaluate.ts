/**
 * The evaluator of map expressions: walks the tree parser.ts made, over the names of one record. There
 * is no eval and no way out of the record: a name is a record's property, one of the SDK's names
 * (record, _, config, self, __stream_name__, __original_stream_name__) or a function of builtins.ts;
 * an attribute is a method of builtins.ts or, on a dict, its key (simpleeval's fallback); nothing else
 * can be reached.
 */
import { dateAttribute, dictKeyText, FUNCTIONS, method, PyFunction, PyNamespace, type Callable } from './builtins.js';
import { binaryOp, contains, equal, order, same, setStr, unaryOp } from './operators.js';
import { parseExpression, type Node } from './parser.js';

/** simpleeval's MAX_COMPREHENSION_LENGTH: the elements a comprehension may make. */
const MAX_COMPREHENSION = 10_000;
import { isDict, PyDate, PyError, str, truthy, typeName, type PyDict, type PyValue, setItem } from './values.js';

setStr(str);

/** What a name may be while evaluating: a value, or a function or module. */
type Bound = PyValue | Callable;

/** The names of one evaluation: the record's own, then the SDK's (names.ts builds them). */
export type Names = ReadonlyMap<string, PyValue> | Record<string, PyValue>;

/** An expression ready to evaluate: parsed once, when the maps are read. */
export class Expression {
  readonly node: Node;
  constructor(readonly text: string) {
    this.node = parseExpression(text);
  }

  evaluate(names: (name: string) => PyValue | undefined): PyValue {
    const value = new Evaluation(names).eval(this.node);
    if (value instanceof PyFunction || value instanceof PyNamespace)
      throw new PyError('TypeError', `Object of type ${value.name} is not a value a record can hold`);
    return value;
  }
}

class Evaluation {
  /** Comprehension variables, innermost last. */
  private readonly scopes: Map<string, PyValue>[] = [];
  constructor(private readonly names: (name: string) => PyValue | undefined) {}

  eval(node: Node): Bound {
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
        return binaryOp(node.op, this.value(node.left), this.value(node.right));
      case 'bool': {
        const left = this.value(node.left);
        return (node.op === 'and') === truthy(left) ? this.value(node.right) : left;
      }
      case 'compare':
        return this.compare(node);
      case 'ifexp':
        return truthy(this.value(node.test)) ? this.value(node.body) : this.value(node.orelse);
      case 'list':
      case 'tuple':
      case 'set':
        return node.items.map((item) => this.value(item));
      case 'dict':
        return this.dict(node.entries);
      case 'comp':
        return this.comprehension(node);
    }
  }

  /** A node that must be a value (not a function or module). */
  private value(node: Node): PyValue {
    const value = this.eval(node);
    if (value instanceof PyFunction || value instanceof PyNamespace)
      throw new PyError('TypeError', `a function (${value.name}) cannot be used as a value here`);
    return value;
  }

  private name(id: string): Bound {
    for (let i = this.scopes.length - 1; i >= 0; i--) if (this.scopes[i]!.has(id)) return this.scopes[i]!.get(id)!;
    const value = this.names(id);
    if (value !== undefined) return value;
    const fn = FUNCTIONS[id];
    if (fn) return fn;
    throw new PyError('NameNotDefined', `'${id}' is not defined`);
  }

  private attribute(obj: Bound, attr: string): Bound {
    if (attr.startsWith('_')) throw new PyError('FeatureNotAvailable', `access to ${attr} is not available`);
    if (obj instanceof PyNamespace) {
      const member = obj.members[attr];
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
    // simpleeval's fallback: `_.name` reads the key of a dict.
    if (isDict(obj) && attr in obj) return obj[attr]!;
    throw new PyError('AttributeError', `'${typeName(obj)}' object has no attribute '${attr}'`);
  }

  private call(node: Extract<Node, { type: 'call' }>): PyValue {
    // simpleeval calls a bare name from the function table only: md5('a') works where a record has an md5 field.
    let fn: Bound;
    if (node.fn.type === 'name') {
      const named = FUNCTIONS[node.fn.id];
      if (!named) throw new PyError('FunctionNotDefined', `Function '${node.fn.id}' not defined`);
      fn = named;
    } else fn = this.eval(node.fn);
    if (fn instanceof PyNamespace && fn.members.__call__ instanceof PyFunction) fn = fn.members.__call__;
    if (!(fn instanceof PyFunction))
      throw new PyError('TypeError', `'${fn instanceof PyNamespace ? 'module' : typeName(fn)}' object is not callable`);
    const args = node.args.map((arg) => this.eval(arg));
    const kwargs: Record<string, PyValue> = {};
    for (const [name, arg] of node.kwargs) kwargs[name] = this.eval(arg) as PyValue;
    return fn.call(args as PyValue[], kwargs);
  }

  private slice(node: Extract<Node, { type: 'slice' }>): PyValue {
    const obj = this.value(node.obj);
    const [lower, upper, step] = node.parts.map((part) => (part ? this.value(part) : null));
    if (step !== null && step !== undefined && step !== 1n)
      throw new PyError('FeatureNotAvailable', 'slices with a step are not supported');
    if (typeof obj !== 'string' && !Array.isArray(obj)) throw new PyError('TypeError', `'${typeName(obj)}' object is not subscriptable`);
    const items = typeof obj === 'string' ? Array.from(obj) : obj;
    const bound = (v: PyValue | undefined, fallback: number) => {
      if (v === null || v === undefined) return fallback;
      if (typeof v !== 'bigint') throw new PyError('TypeError', 'slice indices must be integers or None');
      const n = Number(v);
      return n < 0 ? Math.max(0, items.length + n) : Math.min(n, items.length);
    };
    const [from, to] = [bound(lower, 0), bound(upper, items.length)];
    return typeof obj === 'string' ? Array.from(obj).slice(from, to).join('') : obj.slice(from, to);
  }

  private compare(node: Extract<Node, { type: 'compare' }>): boolean {
    let left = this.value(node.first);
    for (let i = 0; i < node.ops.length; i++) {
      const right = this.value(node.rest[i]!);
      if (!compareOnce(node.ops[i]!, left, right)) return false;
      left = right;
    }
    return true;
  }

  private dict(entries: [Node, Node][]): PyDict {
    const dict: PyDict = {};
    for (const [k, v] of entries) setItem(dict, dictKey(this.value(k)), this.value(v));
    return dict;
  }

  private comprehension(node: Extract<Node, { type: 'comp' }>): PyValue {
    const iterable = iterate(this.value(node.iter));
    const scope = new Map<string, PyValue>();
    this.scopes.push(scope);
    try {
      const out: PyValue[] = [];
      const dict: PyDict = {};
      let count = 0;
      for (const item of iterable) {
        // simpleeval's MAX_COMPREHENSION_LENGTH.
        if (++count > MAX_COMPREHENSION) throw new PyError('IterableTooLong', 'Comprehension generates too many elements');
        bindTargets(scope, node.targets, item);
        if (!node.conds.every((cond) => truthy(this.value(cond)))) continue;
        if (node.key) setItem(dict, dictKey(this.value(node.key)), this.value(node.elt));
        else out.push(this.value(node.elt));
      }
      return node.key ? dict : out;
    } finally {
      this.scopes.pop();
    }
  }
}

function compareOnce(op: string, a: PyValue, b: PyValue): boolean {
  switch (op) {
    case '==':
      return equal(a, b);
    case '!=':
      return !equal(a, b);
    case 'in':
      return contains(b, a);
    case 'not in':
      return !contains(b, a);
    case 'is':
      return same(a, b);
    case 'is not':
      return !same(a, b);
    default:
      return order(op, a, b);
  }
}

const dictKey = dictKeyText;

function iterate(value: PyValue): PyValue[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return Array.from(value); // code points, as Python iterates a string
  if (isDict(value)) return Object.keys(value);
  throw new PyError('TypeError', `'${typeName(value)}' object is not iterable`);
}

function bindTargets(scope: Map<string, PyValue>, targets: string[], item: PyValue): void {
  if (targets.length === 1) {
    scope.set(targets[0]!, item);
    return;
  }
  const items = iterate(item);
  if (items.length !== targets.length) throw new PyError('ValueError', `expected ${targets.length} values to unpack, got ${items.length}`);
  targets.forEach((target, i) => scope.set(target, items[i]!));
}

function subscript(obj: PyValue, index: PyValue): PyValue {
  if (isDict(obj)) {
    const key = typeof index === 'string' ? index : str(index);
    if (!(key in obj)) throw new PyError('KeyError', typeof index === 'string' ? `'${index}'` : key);
    return obj[key]!;
  }
  if (typeof obj === 'string' || Array.isArray(obj)) {
    if (typeof index !== 'bigint' && typeof index !== 'boolean')
      throw new PyError('TypeError', `${typeName(obj)} indices must be integers or slices, not ${typeName(index)}`);
    // A string is indexed by code points, as in Python.
    const items = typeof obj === 'string' ? Array.from(obj) : obj;
    const n = Number(index);
    const at = n < 0 ? items.length + n : n;
    if (at < 0 || at >= items.length) throw new PyError('IndexError', `${typeName(obj) === 'str' ? 'string' : 'list'} index out of range`);
    return items[at]!;
  }
  throw new PyError('TypeError', `'${typeName(obj)}' object is not subscriptable`);
}
