/**
 * Stream maps under their bounds (src/maps/limits.ts), one test per finding of the review: expressions
 * that ran unbounded or took the process down, lookups that reached JavaScript's objects, string
 * methods that differed from Python's, config values printed in errors. Each expected value or error is
 * Python's (singer-sdk 0.54.9's mapper, simpleeval 1.0.8, Python 3.11), or tap-crm's own bound where
 * simpleeval lets the expression run away (docs/stream-maps.md). The budget is counted in steps and
 * bytes, so no test here measures a duration.
 */
import { expect } from 'chai';
import { TapError, UsageError } from '../../src/errors.js';
import { Expression } from '../../src/maps/evaluate.js';
import { Budget, MAX_BYTES, MAX_STEPS } from '../../src/maps/limits.js';
import { Mapper } from '../../src/maps/mapper.js';
import { dumps, parseJson, RECORD_JSON } from '../../src/maps/pyjson.js';
import type { PyDict, PyValue } from '../../src/maps/values.js';
import type { JsonSchema } from '../../src/protocol/catalog.js';

const RECORD = parseJson('{"id":7,"email":"a@b.c","digits":"1"}') as PyDict;

/** An expression's value over RECORD as JSON text, or its error's message. */
function evaluate(text: string, record: PyDict = RECORD, budget = new Budget()): string {
  try {
    const names = (name: string) => (name === 'record' || name === '_' ? record : Object.hasOwn(record, name) ? record[name] : undefined);
    const value = new Expression(text).evaluate(names, budget);
    return dumps(value, RECORD_JSON);
  } catch (error) {
    return `error ${(error as Error).message}`;
  }
}

const SCHEMA: JsonSchema = { type: 'object', properties: { id: { type: 'integer' }, email: { type: ['string', 'null'] } } };

/** The maps of stream "customers" for these settings, or the UsageError building them gave. */
function customers(settings: ConstructorParameters<typeof Mapper>[0]) {
  return new Mapper(settings).mapsFor('customers', SCHEMA, ['id'])[0]!;
}

function usageError(settings: ConstructorParameters<typeof Mapper>[0]): UsageError {
  try {
    customers(settings);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error('the maps were built');
}

/** The TapError a map's transform gives on `record`. */
function recordError(settings: ConstructorParameters<typeof Mapper>[0], record: PyDict): TapError {
  const map = customers(settings);
  try {
    map.transform(record, record.id);
  } catch (error) {
    if (error instanceof TapError) return error;
    throw error;
  }
  throw new Error('the record was mapped');
}

describe('stream maps: bounds of expressions (limits.ts)', () => {
  it('str() of a big nested list is refused at 100,000 characters, not written out (it took 11-33 s, then the worker)', () => {
    expect(evaluate('str([[1]*99999]*99999)')).to.match(/^error IterableTooLong/);
    expect(evaluate("'%s' % [[1]*99999]")).to.match(/^error IterableTooLong/);
    expect(evaluate('json.dumps([[1]*99999]*99999)')).to.match(/^error IterableTooLong/);
  });

  it('4000000 ** 4000000 is refused before it is computed: an int of more than 4,300 digits (2.6 s a record)', () => {
    const budget = new Budget();
    expect(evaluate('4000000 ** 4000000', RECORD, budget)).to.match(/^error NumberTooHigh/);
    expect(budget.steps).to.be.below(10);
    expect(evaluate('2 ** 14000')).to.match(/^error NumberTooHigh/);
    expect(evaluate('(2 ** 14000) % 7')).to.match(/^error NumberTooHigh/); // Python computes it, and cannot write 2 ** 14000
  });

  it('float() reads a 200,000-digit value in linear time: one step per 64 characters (a quadratic pattern stalled a worker 35 s)', function () {
    // A guard against a quadratic parse coming back, not a measured duration: the fixed parse takes milliseconds.
    this.timeout(20_000);
    const long = { ...RECORD, digits: `${'1'.repeat(200_000)}x` };
    const budget = new Budget();
    expect(evaluate('float(digits)', long, budget)).to.equal("error ValueError: could not convert string to float: '" + long.digits + "'");
    expect(budget.steps).to.equal(1 + 1 + Math.floor(200_001 / 64));
    expect(evaluate('int(digits)', { ...RECORD, digits: '1'.repeat(200_000) })).to.match(
      /^error ValueError: Exceeds the limit \(4300 digits\) for integer string conversion/,
    );
    expect(evaluate('float(digits)', { ...RECORD, digits: '1'.repeat(200_000) })).to.equal('null'); // inf, written as null
  });

  it("'a'.zfill(400000000) and every other way to a big string or list is refused at 100,000, before it is made", () => {
    for (const text of [
      "'a'.zfill(400000000)",
      "'a'.zfill(100001)",
      "'a'.ljust(100001)",
      "'a'.rjust(100001, '-')",
      "'a'.center(100001)",
      "'-'.join(['ab'] * 40000)",
      "('ab' * 40000).replace('', '-')",
      "'%100001s' % 'a'",
      "('%s' * 50001) % tuple(['ab'] * 50001)",
      "'ab' * 50001",
      '[0] * 100001',
      "('a' * 60000) + ('b' * 60000)",
      'str([1.5] * 50000)',
      "json.dumps(['ab'] * 50000)",
    ])
      expect(evaluate(text), text).to.match(/^error IterableTooLong/);
    expect(JSON.parse(evaluate("'a'.zfill(100000)")) as string).to.have.length(100_000);
    expect(evaluate("'%-6s|' % 'ab'")).to.equal('"ab    |"');
  });

  it('comprehensions are bounded over the whole evaluation, as simpleeval counts them', () => {
    expect(evaluate('[x for x in [0] * 6000] + [x for x in [0] * 6000]')).to.match(/^error IterableTooLong: Comprehension/);
    expect(JSON.parse(evaluate('[x for x in [0] * 5000] + [x for x in [0] * 5000]')) as unknown[]).to.have.length(10_000);
  });

  it('each record has a budget of steps and bytes, shared by its filter and properties, spent the same way every time', () => {
    const steps = (text: string) => {
      const budget = new Budget();
      evaluate(text, RECORD, budget);
      return budget.steps;
    };
    expect(steps('[1 in y for y in [[0] * 10000] * 10000]')).to.equal(steps('[1 in y for y in [[0] * 10000] * 10000]'));
    expect(evaluate('[1 in y for y in [[0] * 10000] * 10000]')).to.match(/^error BudgetExceeded: the map took over 1,000,000 steps/);
    expect(evaluate("['a' * 100000 for x in [0] * 200]")).to.match(/^error BudgetExceeded: the map made over 16 MB/);
    expect(MAX_STEPS).to.equal(1_000_000);
    expect(MAX_BYTES).to.equal(16_000_000);
    // 600,000 steps pass on one property, and on each record; two such properties of one record do not.
    const heavy = '[1 in y for y in [[0] * 10000] * 480][0]';
    const one = customers({ stream_maps: { customers: { a: heavy } } });
    expect(one.transform({ id: 1n }, 1)).to.deep.equal({ id: 1n, a: false });
    expect(one.transform({ id: 2n }, 2)).to.deep.equal({ id: 2n, a: false });
    const error = recordError({ stream_maps: { customers: { a: heavy, b: heavy } } }, { id: 3n });
    expect(error.message).to.match(/^stream map "customers", property "b": the expression ".*" failed on record id 3: BudgetExceeded/);
  });

  it('a value nested deeper than Python writes is a RecursionError, not a stack overflow', () => {
    const nest = () => {
      let deep: PyValue = [];
      for (let i = 0; i < 5000; i++) deep = [deep];
      return deep;
    };
    const record = { ...RECORD, deep: nest(), other: nest() } as PyDict;
    expect(evaluate('str(deep)', record)).to.match(/^error RecursionError/);
    expect(evaluate('deep == other', record)).to.match(/^error RecursionError/);
    expect(evaluate('deep == deep', record)).to.equal('true'); // the same list: Python compares it by identity
    expect(evaluate('json.dumps(deep)', record)).to.match(/^error RecursionError/);
    expect(evaluate(`json.loads('${'['.repeat(5000)}${']'.repeat(5000)}')`)).to.match(/^error RecursionError/);
  });
});

describe('stream maps: limits of expression sources, checked when the maps are built', () => {
  it('a 1 MB expression is a usage error naming the stream and property, before any record (the process aborted on it)', () => {
    const error = usageError({ stream_maps: { customers: { total: `${'1+'.repeat(500_000)}1` } } });
    expect(error.exitCode).to.equal(2);
    expect(error.message).to.equal(
      'setting "stream_maps": stream map "customers", property "total": the expression is 1,000,001 characters long; the longest tap-crm reads is 100,000',
    );
  });

  it('500 nested parentheses, or a chain of 300 operators, are a usage error (exit 2), not an unexpected failure (exit 1)', () => {
    const parens = usageError({ stream_maps: { customers: { x: `${'('.repeat(500)}1${')'.repeat(500)}` } } });
    expect(parens.exitCode).to.equal(2);
    expect(parens.message).to.match(
      /stream map "customers", property "x": the expression "\({100}"… \(1,001 characters\) cannot be parsed: the expression is nested more than 200 levels deep/,
    );
    for (const text of [
      `${'-'.repeat(500)}1`,
      `${'not '.repeat(300)}1`,
      `${'1+'.repeat(300)}1`,
      `${'['.repeat(300)}${']'.repeat(300)}`,
      `${'a.b'.repeat(1)}${'.c'.repeat(300)}`,
    ])
      expect(usageError({ stream_maps: { customers: { x: text } } }).message, text.slice(0, 20)).to.match(
        /nested more than 200 levels deep/,
      );
    // Line breaks at the end, or inside brackets, as Python reads them; anywhere else a usage error.
    expect(evaluate(`(1 +\n 2)${'\n'.repeat(90_000)}`)).to.equal('3');
    expect(usageError({ stream_maps: { customers: { x: '1\n+ 2' } } }).message).to.match(/a line break outside brackets at column 2/);
    // As deep as Python's parser allows: 200 parentheses.
    expect(evaluate(`${'('.repeat(199)}1${')'.repeat(199)}`)).to.equal('1');
    expect(evaluate(`${'1+'.repeat(150)}1`)).to.equal('151');
  });

  it('an __alias__ or a __filter__ too long or too deep is a usage error too', () => {
    expect(usageError({ stream_maps: { customers: { __filter__: `${'('.repeat(300)}1${')'.repeat(300)}` } } }).message).to.match(
      /property "__filter__": .* nested more than 200 levels/,
    );
    expect(() =>
      new Mapper({ stream_maps: { customers: { __alias__: `'a'${"+'a'".repeat(60_000)}` } } }).mapsFor('customers', SCHEMA, ['id']),
    ).to.throw(UsageError, /property "__alias__": the expression is 240,003 characters long/);
  });
});

describe('stream maps: lookups reach nothing of JavaScript', () => {
  it('record.toString(), constructor, __proto__, hasOwnProperty... are unknown, as in Python', () => {
    expect(evaluate('record.toString()')).to.match(/^error AttributeDoesNotExist: Attribute 'toString' does not exist/);
    expect(evaluate("'a'.constructor('b')")).to.match(/^error AttributeDoesNotExist: Attribute 'constructor' does not exist/);
    expect(evaluate('str(constructor)')).to.equal("error NameNotDefined: 'constructor' is not defined");
    expect(evaluate('constructor')).to.equal("error NameNotDefined: 'constructor' is not defined");
    expect(evaluate('toString()')).to.equal("error FunctionNotDefined: Function 'toString' not defined");
    expect(evaluate("record['constructor']")).to.equal("error KeyError: 'constructor'");
    expect(evaluate("record.get('toString', 'none')")).to.equal('"none"');
    expect(evaluate("'toString' in record")).to.equal('false');
    expect(evaluate('record.hasOwnProperty')).to.match(/^error AttributeDoesNotExist/);
    expect(evaluate('json.parse')).to.equal("error AttributeError: module 'json' has no attribute 'parse'");
    expect(evaluate('json.constructor')).to.equal("error AttributeError: module 'json' has no attribute 'constructor'");
    expect(evaluate('dict(__proto__=1, constructor=2)')).to.equal('{"__proto__":1,"constructor":2}');
    expect(evaluate("'%(constructor)s' % {}")).to.equal("error KeyError: 'constructor'");
    expect(evaluate('datetime.date(2024, 1, 2).valueOf()')).to.match(/^error AttributeDoesNotExist/);
  });

  it("a property named like a JavaScript object's member is the record's own or nothing (self, _.name)", () => {
    const map = customers({
      stream_maps: { customers: { constructor: "record.get('constructor')", toString: "_.toString if 'toString' in _ else 'absent'" } },
    });
    expect(map.transform({ id: 1n }, 1)).to.deep.equal({ id: 1n, constructor: null, toString: 'absent' });
    expect(recordError({ stream_maps: { customers: { constructor: 'self' } } }, { id: 1n }).message).to.match(
      /NameNotDefined: 'self' is not defined/,
    );
    expect(map.transform({ id: 1n, constructor: 'c', toString: 't' }, 1)).to.deep.equal({ id: 1n, constructor: 'c', toString: 't' });
  });
});

describe('stream maps: string methods as Python has them', () => {
  it("'ab'.replace('', '-'), 'abc'.count(''), 'élan'.title(), '%r' % 'abc'", () => {
    expect(evaluate("'ab'.replace('', '-')")).to.equal('"-a-b-"');
    expect(evaluate("'ab'.replace('', '-', 2)")).to.equal('"-a-b"');
    expect(evaluate("'abc'.count('')")).to.equal('4');
    expect(evaluate("'élan'.title()")).to.equal('"Élan"');
    expect(evaluate("'%r' % 'abc'")).to.equal('"\'abc\'"');
  });

  it('positions in code points, Python whitespace, title case, signs, start and end, keywords', () => {
    expect(evaluate("'😀ab'.find('b')")).to.equal('2');
    expect(evaluate("'😀ab'[1]")).to.equal('"a"');
    expect(evaluate("'abc'.find('', 5)")).to.equal('-1');
    expect(evaluate("'a\\x1cb\\xa0c'.split()")).to.equal('["a","b","c"]');
    expect(evaluate("' a  b  c '.split(None, 1)")).to.equal('["a","b  c "]');
    expect(evaluate("'a,b'.split(sep=',')")).to.equal('["a","b"]');
    expect(evaluate("'a'.replace(old='a', new='b')")).to.match(/^error TypeError: replace\(\) takes no keyword argument 'old'/);
    expect(evaluate('"don\'t ǆx".title()')).to.equal('"Don\'T ǅx"');
    expect(evaluate("'ßa'.capitalize()")).to.equal('"Ssa"');
    expect(evaluate("'-42'.zfill(5)")).to.equal('"-0042"');
    expect(evaluate("'abc'.center(6, '*')")).to.equal('"*abc**"');
    expect(evaluate("'abc'.startswith('b', 1)")).to.equal('true');
    expect(evaluate("'1²'.isdigit()")).to.equal('true');
    expect(evaluate("'%5.1f|%-4d|%x|%e' % (2.25, 3, 255, 12345.678)")).to.equal('"  2.2|3   |ff|1.234568e+04"');
    expect(evaluate("'%.0f %.0f' % (0.5, 2.5)")).to.equal('"0 2"');
  });
});

describe('stream maps: errors name config values, never print them', () => {
  const settings = (expression: string) => ({
    stream_maps: { customers: { x: expression } },
    stream_map_config: { hash_seed: 's3cr3t-seed', tenant: { name: 'acme-corp' } },
  });

  it("an expression error says config['hash_seed'], not the seed", () => {
    for (const expression of [
      "int(config['hash_seed'])",
      "record[config['hash_seed']]",
      "float(config['hash_seed'] + email)",
      "config['hash_seed'] + 1",
      "int(config['tenant']['name'])",
    ]) {
      const { message } = recordError(settings(expression), { id: 7n, email: 'a@b.c' });
      expect(message, expression).not.to.match(/s3cr3t|acme-corp/);
      expect(message, expression).to.match(/^stream map "customers", property "x": the expression ".*" failed on record id 7: /);
    }
    expect(recordError(settings("int(config['hash_seed'])"), { id: 7n }).message).to.match(
      /ValueError: invalid literal for int\(\) with base 10: 'config\['hash_seed'\]'$/,
    );
    expect(recordError(settings("float(config['hash_seed'] + email)"), { id: 7n, email: 'a@b.c' }).message).to.match(
      /could not convert string to float: 'config\['hash_seed'\]a@b.c'$/,
    );
  });
});
