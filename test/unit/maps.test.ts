/**
 * Stream maps (src/maps/): the expression parser and evaluator, Python's values and JSON text, the
 * SDK's type inference and flattening. Each expected value is what singer-sdk 0.54.9's mapper (through
 * meltano-map-transform 0.12.3) gives for the same input; test/integration/stream-maps.test.ts compares
 * the two on the simulator's whole catalog.
 */
import { expect } from 'chai';
import { Expression } from '../../src/maps/evaluate.js';
import { flattenKey, flattenRecord, flattenSchema } from '../../src/maps/flatten.js';
import { fnmatch, Mapper, shadowedMaps } from '../../src/maps/mapper.js';
import { MapSyntaxError, parseExpression } from '../../src/maps/parser.js';
import { dumps, parseJson, PY_DUMPS, RECORD_JSON, SIMPLEJSON } from '../../src/maps/pyjson.js';
import { inferType, withNull } from '../../src/maps/stream-map.js';
import { Dec, floatRepr, str, type PyDict, type PyValue } from '../../src/maps/values.js';
import { UsageError } from '../../src/errors.js';
import type { JsonSchema } from '../../src/protocol/catalog.js';

const RECORD = parseJson(
  '{"id":7,"email":"José.Pérez@Example.com","price":1.50,"big":1e5,"tags":["a","ü"],"address":{"city":"東京","geo":{"lat":35.6895}},"n":null}',
) as PyDict;

/** An expression's value over RECORD, written as the SDK's RECORD JSON would hold it. */
function run(text: string, names: Record<string, PyValue> = {}): string {
  const value = new Expression(text).evaluate((name) => (name in names ? names[name] : name === 'record' ? RECORD : RECORD[name]));
  return dumps(value, RECORD_JSON);
}

/** The message of the error an expression gives over RECORD, or 'no error'. */
function failure(text: string): string {
  try {
    run(text);
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
}

describe('stream maps: expressions', () => {
  it('parses the SDK examples and rejects what is not an expression, with the column', () => {
    for (const text of [
      "md5(config['hash_seed'] + email)",
      "owner_email.split('@')[-1]",
      'int(datetime.date.fromisoformat(create_date).year)',
      'bool(status_value) if status_value else None',
      "[f for f in fields if f['key'] != 'age']",
      "__stream_name__ + '_v2'",
      '0 < id < 100 and not (x is None or y in [1, 2])',
    ])
      expect(() => parseExpression(text), text).not.to.throw();
    const column = (text: string) => {
      try {
        parseExpression(text);
      } catch (error) {
        return (error as MapSyntaxError).column;
      }
      return undefined;
    };
    expect(column('email +')).to.equal(8);
    expect(column(' email')).to.equal(1); // Python refuses a leading space (an indent)
    expect(column('x = 1')).to.equal(3);
    expect(column('lambda x: x')).to.equal(1);
    expect(column('')).to.equal(1);
    expect(column("f'{id}'")).to.equal(1);
  });

  it('computes as Python does: ints, Decimals that keep their text, floats in repr, strings', () => {
    expect(run('price * 2')).to.equal('3.00');
    expect(run('price + 1')).to.equal('2.50');
    expect(run('big')).to.equal('1E+5');
    expect(run('float(price) * 1.5')).to.equal('2.25');
    expect(run('float(id)')).to.equal('7.0');
    expect(run('int(id) / 2')).to.equal('3.5');
    expect(run('id // 2')).to.equal('3');
    expect(run('-7 // 2')).to.equal('-4');
    expect(run('2 ** 10')).to.equal('1024');
    expect(run('float(10 ** 16)')).to.equal('1e+16');
    expect(run("str(price) + '|' + str(id) + '|' + str(n)")).to.equal('"1.50|7|None"');
    expect(run("email.split('@')[-1].lower()")).to.equal('"example.com"');
    expect(run('email[0:4]')).to.equal('"José"');
    expect(run("'%s!' % id")).to.equal('"7!"');
    expect(run("'big' if id > 10 else 'small'")).to.equal('"small"');
    expect(run("n or 'none'")).to.equal('"none"');
    expect(run("'ü' in tags")).to.equal('true');
    expect(run('[t.upper() for t in tags if t]')).to.equal('["A","Ü"]');
    expect(run("record.get('nope', 'dflt')")).to.equal('"dflt"');
    expect(run('_.email == email', { _: RECORD })).to.equal('true');
  });

  it('hashes and dumps as the SDK: md5 and sha256 of UTF-8, json.dumps with spaces and \\u escapes', () => {
    expect(run("md5('abc')")).to.equal('"900150983cd24fb0d6963f7d28e17f72"');
    expect(run("sha256('abc')")).to.equal('"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"');
    expect(run('json.dumps(tags)')).to.equal(JSON.stringify('["a", "\\u00fc"]'));
    expect(run("json.dumps({'k': id, 'n': None})")).to.equal(JSON.stringify('{"k": 7, "n": null}'));
  });

  it('fails as Python fails: unknown names and functions, wrong types, a Decimal times a float', () => {
    expect(failure('len(email)')).to.match(/FunctionNotDefined: Function 'len' not defined/);
    expect(failure('nope')).to.match(/'nope' is not defined/);
    expect(failure("int('x')")).to.match(/ValueError: invalid literal for int\(\) with base 10: 'x'/);
    expect(failure("record['nope']")).to.match(/KeyError: 'nope'/);
    expect(failure('price * 1.5')).to.match(/TypeError: unsupported operand type\(s\) for \*: 'decimal.Decimal' and 'float'/);
    expect(failure('md5(id)')).to.match(/AttributeError/);
    expect(failure('json.dumps(price)')).to.match(/TypeError: Object of type Decimal is not JSON serializable/);
    expect(failure('email.__class__')).to.match(/FeatureNotAvailable/);
    expect(failure('email.nothing()')).to.match(/AttributeDoesNotExist: Attribute 'nothing' does not exist/);
  });

  it('refuses, as simpleeval does, what would hang the tap or fill its memory: huge powers, strings, lists, comprehensions', () => {
    expect(failure('2 ** 4000001')).to.match(/NumberTooHigh/);
    expect(failure('4000001 ** 2')).to.match(/NumberTooHigh/);
    expect(failure('1 << 10001')).to.match(/NumberTooHigh/);
    expect(failure("'ab' * 50001")).to.match(/IterableTooLong/);
    expect(failure('[1] * 100001')).to.match(/IterableTooLong/);
    expect(failure("('a' * 60000) + ('b' * 60000)")).to.match(/IterableTooLong/);
    expect(failure('[x for x in [0] * 100000]')).to.match(/IterableTooLong/);
    // Up to the bounds, as in Python.
    expect(run("'ab' * 50000").length).to.equal(100_002);
    expect(run('2 ** 100')).to.equal('1267650600228229401496703205376');
    expect(run('1 << 10000').length).to.be.greaterThan(3000);
    expect(JSON.parse(run('[x for x in [0] * 10000]'))).to.have.length(10_000);
  });

  it('keeps a key named __proto__ as any other key, in records and in dicts it makes', () => {
    const record = parseJson('{"id":1,"__proto__":{"x":1},"a":2}') as PyDict;
    expect(Object.keys(record)).to.deep.equal(['id', '__proto__', 'a']);
    expect(
      dumps(
        new Expression("record['__proto__']").evaluate((name) => (name === 'record' ? record : null)),
        RECORD_JSON,
      ),
    ).to.equal('{"x":1}');
    expect(run("dict([('__proto__', 1)])")).to.equal('{"__proto__":1}');
    expect(run("{'__proto__': 2}")).to.equal('{"__proto__":2}');
  });
});

describe('stream maps: values and JSON text', () => {
  it('writes floats as repr() and Decimals as str()', () => {
    expect([1, 1.5, 1e16, 1e-5, 0.0001, -0, 123456789.125].map(floatRepr)).to.deep.equal([
      '1.0',
      '1.5',
      '1e+16',
      '1e-05',
      '0.0001',
      '-0.0',
      '123456789.125',
    ]);
    expect(['1.50', '1e5', '0.0000001', '1.0E-7', '-0.5', '100'].map((t) => Dec.parse(t).toString())).to.deep.equal([
      '1.50',
      '1E+5',
      '1E-7',
      '1.0E-7',
      '-0.5',
      '100',
    ]);
    expect(str([1n, 'a', null, true] as PyValue)).to.equal("[1, 'a', None, True]");
  });

  it("reads numbers as their text says and writes simplejson's exact text", () => {
    const value = parseJson('{"a":1.50,"b":12345678901234567890,"s":"ü\\n\\"😀","o":{"x":[1,{"y":null}]}}');
    expect(dumps(value, SIMPLEJSON)).to.equal(
      '{"a":1.50,"b":12345678901234567890,"s":"\\u00fc\\n\\"\\ud83d\\ude00","o":{"x":[1,{"y":null}]}}',
    );
    expect(dumps(value, RECORD_JSON)).to.equal('{"a":1.50,"b":12345678901234567890,"s":"ü\\n\\"😀","o":{"x":[1,{"y":null}]}}');
    expect(dumps(parseJson('[1, "a"]'), PY_DUMPS)).to.equal('[1, "a"]');
  });
});

describe('stream maps: schemas', () => {
  const raw: JsonSchema = { type: 'object', properties: { id: { type: 'integer' }, email: { type: ['string', 'null'] } } };

  it("infers a computed property's type from its expression's text, as the SDK's _eval_type", () => {
    expect(inferType('float(x)', undefined, raw)).to.deep.equal({ type: ['number'] });
    expect(inferType('int(x)', undefined, raw)).to.deep.equal({ type: ['integer'] });
    expect(inferType('json.dumps(x)', undefined, raw)).to.deep.equal({ type: ['string'] });
    expect(inferType('datetime.date(2020, 1, 1)', undefined, raw)).to.deep.equal({ type: ['string'], format: 'date' });
    expect(inferType("'lit'", { type: 'integer' }, raw)).to.deep.equal({ type: ['string'] });
    expect(inferType('id * 2', undefined, raw)).to.deep.equal({ type: ['string'] });
    expect(withNull({ type: 'integer' })).to.deep.equal({ type: ['integer', 'null'] });
    expect(withNull({ anyOf: [{ type: 'string' }] })).to.deep.equal({ anyOf: [{ type: 'string' }, 'null'] });
  });

  it('names what an expression reads, a comprehension’s own variables left out; a name the schema lacks fails before any record', () => {
    expect(new Expression("[x + y for x in l if x > n] + [x, md5(record.get('e'))]").names()).to.deep.equal([
      'l',
      'y',
      'n',
      'x',
      'md5',
      'record',
    ]);
    expect(() => new Mapper({ stream_maps: { customers: { x: 'emial.upper()' } } }).mapsFor('customers', raw, ['id'])).to.throw(
      UsageError,
      /property "x": the expression "emial.upper\(\)" reads "emial", which is not a property of stream customers/,
    );
    expect(() =>
      new Mapper({ stream_maps: { customers: { __filter__: 'self and config and md5(email)' } } }).mapsFor('customers', raw, ['id']),
    ).not.to.throw();
  });

  it('builds the output streams: a map per stream, __source__ copies, null drops, patterns, __else__', () => {
    const mapper = new Mapper({
      stream_maps: {
        customers: { email: 'md5(email)', id_hash: 'md5(str(id))', __key_properties__: ['id_hash'], id: null },
        copy: { __source__: 'customers', __filter__: 'id > 5', __else__: null, id: 'id' },
        'cust*': { __alias__: 'ignored' },
        orders: null,
      },
    });
    const maps = mapper.mapsFor('customers', raw, ['id']);
    expect(maps.map((m) => [m.alias, m.kind])).to.deep.equal([
      ['ignored', 'custom'],
      ['copy', 'custom'],
    ]);
    const plain = new Mapper({
      stream_maps: { customers: { email: 'md5(email)', id_hash: 'md5(str(id))', __key_properties__: ['id_hash'], id: null } },
    });
    const [customers] = plain.mapsFor('customers', raw, ['id']);
    expect(customers!.keyProperties).to.deep.equal(['id_hash']);
    expect(Object.keys(customers!.schema.properties!)).to.deep.equal(['email', 'id_hash']);
    expect(customers!.transform({ id: 7n, email: 'a' }, 7)).to.deep.equal({
      email: '0cc175b9c0f1b6a831c399e269772661',
      id_hash: '8f14e45fceea167a5a36dedd4bea2543',
    });
    const [copy] = mapper.mapsFor('customers', raw, ['id']).slice(1);
    expect(copy!.transform({ id: 3n, email: 'a' }, 3)).to.equal(undefined);
    expect(copy!.transform({ id: 6n, email: 'a' }, 6)).to.deep.equal({ id: 6n });
    expect(mapper.mapsFor('orders', raw, ['id'])[0]!.kind).to.equal('remove');
    expect(new Mapper({ stream_maps: { __else__: null } }).mapsFor('x', raw, ['id'])[0]!.kind).to.equal('remove');
    expect(fnmatch('line_items', 'line_item?')).to.equal(true);
    expect(shadowedMaps({ stream_maps: { customers: { a: 'id' }, '*': { b: 'id' } } })).to.have.length(1);
    expect(shadowedMaps({ stream_maps: { '*': { b: 'id' }, customers: { a: 'id' } } })).to.deep.equal([]);
    expect(fnmatch('items', '[!l]*')).to.equal(true);
  });

  it('refuses what the SDK refuses, before any record: the key property removed, a parse error, flattening without a depth', () => {
    const refused = (settings: ConstructorParameters<typeof Mapper>[0]) => {
      try {
        new Mapper(settings).mapsFor('customers', raw, ['id']);
      } catch (error) {
        expect(error).to.be.instanceOf(UsageError);
        return (error as Error).message;
      }
      return 'accepted';
    };
    expect(refused({ stream_maps: { customers: { id: null } } })).to.match(
      /stream map "customers", property "id": removing key property 'id' is not permitted/,
    );
    expect(refused({ stream_maps: { customers: { x: 'email +' } } })).to.match(
      /property "x": the expression "email \+" cannot be parsed: .* at column 8/,
    );
    expect(refused({ stream_maps: { customers: { __else__: null, email: 'email' } } })).to.match(
      /key property 'id' is not in the map's output/,
    );
    expect(refused({ stream_maps: { customers: 'nope' } })).to.match(/expected an object of properties, null or "__NULL__"/);
    expect(refused({ stream_maps: {}, flattening_enabled: true })).to.match(/flattening_max_depth" is required/);
  });
});

describe('stream maps: flattening', () => {
  const schema: JsonSchema = {
    type: 'object',
    properties: {
      id: { type: 'integer' },
      address: {
        type: ['object', 'null'],
        properties: {
          city: { type: ['string', 'null'] },
          geo: { type: ['object', 'null'], properties: { lat: { type: ['number', 'null'] } } },
        },
      },
      tags: { type: ['array', 'null'], items: { type: 'string' } },
      extra: { type: ['object', 'null'] },
      any: {},
    },
  };
  const record = parseJson('{"id":1,"address":{"city":"東京","geo":{"lat":35.6895}},"tags":["ü"],"extra":{"k":[1.50]},"any":2}') as PyDict;

  it('names members parent__child down to the depth, and writes deeper objects and arrays as JSON text', () => {
    const options = { maxLevel: 1, separator: '__', maxKeyLength: 255 };
    const flat = flattenSchema(schema, options);
    expect(flat.properties).to.deep.equal({
      id: { type: 'integer' },
      address__city: { type: ['string', 'null'] },
      address__geo: { type: ['string', 'null'] },
      tags: { type: ['string', 'null'] },
      extra: { type: ['string', 'null'] },
      any: { type: ['null', 'string'] },
    });
    expect(dumps(flattenRecord(record, flat, options), RECORD_JSON)).to.equal(
      '{"id":1,"address__city":"東京","address__geo":"{\\"lat\\":35.6895}","tags":"[\\"\\\\u00fc\\"]","extra":"{\\"k\\":[1.50]}","any":2}',
    );
    const deep = { maxLevel: 3, separator: '__', maxKeyLength: 255 };
    expect(Object.keys(flattenSchema(schema, deep).properties!)).to.include('address__geo__lat');
    expect(flattenKey('a_very_long_name', ['parent_object'], '__', 20)).to.equal('po__avln'); // inflection's camelize, lower-case letters dropped
    expect(flattenKey('geo', ['address_line', 'x'], '__', 10)).to.equal('al__x__geo');
  });
});
