/**
 * The check of each record against its stream's schema (conform.ts): whether it passes, and if not, which
 * of its top-level properties fail.
 *
 * The stream schemas use only JSON Schema's type keywords: `type`, `format: date-time`, `properties`,
 * `items`, `required` and `additionalProperties: true`. A schema of those alone is compiled here to a few
 * small functions that test each member by name and answer true or false. ajv compiles the same checks as
 * fast per record, but its compiler cost about 0.3 s of CPU in each page worker for the 27 schemas, and its
 * code, which builds an error for every failing keyword, is four times the size (330 KB against 83 KB) for
 * V8 to optimise in each worker (docs/benchmarks.md). A catalog's own schema with any other keyword (enum, pattern,
 * minimum, anyOf...) is compiled by ajv, every error reported; test/unit/record-check.test.ts holds both
 * to the same answers.
 */
import { fastFormats } from 'ajv-formats/dist/formats.js';
import type { JsonSchema } from './json.js';

export interface RecordCheck {
  passes(record: Record<string, unknown>): boolean;
  /**
   * Those of the record's top-level properties (or of `names`) whose values fail their schema; a failure of
   * the record itself (a required member missing) names none.
   */
  failing(record: Record<string, unknown>, names?: Iterable<string>): Set<string>;
}

/** RFC 3339 with a zone, as ajv-formats' fast mode checks it (the day of the month is not checked against the month). */
export const DATE_TIME = (fastFormats['date-time'] as { validate: RegExp }).validate;

/** The check of a schema; one that needs ajv (`needsAjv`) needs `loadAjv()` first. */
export function recordCheck(schema: JsonSchema): RecordCheck {
  const plan = planOf(schema);
  if (plan) return plannedCheck(plan);
  if (!ajvChecks) throw new Error('record check: a schema with keywords beyond the type keywords needs loadAjv() first');
  return ajvChecks.ajvCheck(schema);
}

/** Whether a schema's check is ajv's: it has a keyword beyond the type keywords (a catalog's own: enum, pattern...). */
export function needsAjv(schema: JsonSchema): boolean {
  return planOf(schema) === undefined;
}

let ajvChecks: typeof import('./ajv-check.js') | undefined;

/**
 * Loads ajv for the schemas that need it. It is loaded only then: its modules took about 30 ms of each
 * thread's start-up (page workers included), and the stream schemas never need it (docs/benchmarks.md, cpu).
 */
export async function loadAjv(): Promise<void> {
  ajvChecks ??= await import('./ajv-check.js');
}

// --- the plan: a schema of type keywords only ---------------------------------------------------------

const NULL = 1;
const BOOLEAN = 2;
const INTEGER = 4;
const NUMBER = 8;
const STRING = 16;
const OBJECT = 32;
const ARRAY = 64;
const ANY = 127;
const TYPE_BITS: Record<string, number> = {
  null: NULL,
  boolean: BOOLEAN,
  integer: INTEGER,
  number: NUMBER | INTEGER,
  string: STRING,
  object: OBJECT,
  array: ARRAY,
};

interface Plan {
  /** The types allowed, as bits. */
  types: number;
  dateTime: boolean;
  properties?: Map<string, Plan>;
  required?: readonly string[];
  items?: Plan;
}

/** Keywords that change nothing in what passes. */
const ANNOTATIONS = new Set(['title', 'description', '$comment', 'default', 'examples', 'readOnly', 'writeOnly', 'deprecated']);

/** The plan of a schema, or undefined where it uses a keyword the plan does not know. */
function planOf(schema: JsonSchema): Plan | undefined {
  const plan: Plan = { types: ANY, dateTime: false };
  for (const [keyword, value] of Object.entries(schema)) {
    if (ANNOTATIONS.has(keyword)) continue;
    switch (keyword) {
      case 'type': {
        const names: unknown[] = Array.isArray(value) ? value : [value];
        plan.types = 0;
        for (const name of names) {
          const bits = typeof name === 'string' ? TYPE_BITS[name] : undefined;
          if (bits === undefined) return undefined;
          plan.types |= bits;
        }
        break;
      }
      case 'format':
        if (value !== 'date-time') return undefined;
        plan.dateTime = true;
        break;
      case 'additionalProperties':
        if (value !== true) return undefined;
        break;
      case 'required':
        if (!Array.isArray(value) || !value.every((name) => typeof name === 'string')) return undefined;
        plan.required = value;
        break;
      case 'properties': {
        if (typeof value !== 'object' || value === null) return undefined;
        plan.properties = new Map();
        for (const [name, member] of Object.entries(value as Record<string, unknown>)) {
          const memberPlan = typeof member === 'object' && member !== null ? planOf(member as JsonSchema) : undefined;
          if (!memberPlan) return undefined;
          plan.properties.set(name, memberPlan);
        }
        break;
      }
      case 'items': {
        const itemsPlan = typeof value === 'object' && value !== null && !Array.isArray(value) ? planOf(value as JsonSchema) : undefined;
        if (!itemsPlan) return undefined;
        plan.items = itemsPlan;
        break;
      }
      default:
        return undefined;
    }
  }
  return plan;
}

function plannedCheck(plan: Plan): RecordCheck {
  const passes = compile(plan);
  const members = new Map<string, Test>();
  const memberPasses = (name: string, member: Plan) => {
    let check = members.get(name);
    if (!check) members.set(name, (check = compile(member)));
    return check;
  };
  return {
    passes,
    failing(record, names = Object.keys(record)) {
      const failing = new Set<string>();
      for (const name of names) {
        const member = plan.properties?.get(name);
        if (member !== undefined && Object.hasOwn(record, name) && !memberPasses(name, member)(record[name])) failing.add(name);
      }
      return failing;
    },
  };
}

/**
 * A plan compiled to JavaScript: a test of each member in turn, read by name, as ajv's code does (V8 reads
 * a named member of records of one shape fastest), but only the boolean: no error is built, so the code
 * stays small. Property names enter the code as JSON string literals.
 */
function compile(plan: Plan): Test {
  const functions: Test[] = [];
  return generated('x', `return ${test(plan, 'x', functions)};`, functions);
}

type Test = (value: unknown) => boolean;

/** A test from generated source, with `f` (the tests it calls) and `D` (the date-time pattern) in its scope. */
function generated(argument: string, body: string, functions: Test[]): Test {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the source is compile()'s, names in it are JSON literals
  const make = new Function('f', 'D', `return (${argument}) => { ${body} };`) as (f: Test[], d: RegExp) => Test;
  return make(functions, DATE_TIME);
}

/** The source of a test that the value `x` (an expression) passes `plan`; nested objects and arrays become functions in `functions`. */
function test(plan: Plan, x: string, functions: Test[]): string {
  const add = (body: string, argument: string) => {
    functions.push(generated(argument, body, functions));
    return `f[${functions.length - 1}](${x})`;
  };
  const { types } = plan;
  const tests: string[] = [];
  if (types & NULL) tests.push(`${x} === null`);
  if (types & BOOLEAN) tests.push(`typeof ${x} === "boolean"`);
  if (types & NUMBER) tests.push(`Number.isFinite(${x})`);
  else if (types & INTEGER) tests.push(`Number.isInteger(${x})`);
  if (types & STRING) tests.push(plan.dateTime ? `(typeof ${x} === "string" && D.test(${x}))` : `typeof ${x} === "string"`);
  if (types & OBJECT) {
    const object = `typeof ${x} === "object" && ${x} !== null && !Array.isArray(${x})`;
    tests.push(plan.properties || plan.required ? `(${object} && ${add(objectBody(plan, functions), 'v')})` : `(${object})`);
  }
  if (types & ARRAY) {
    const items =
      plan.items &&
      `for (let i = 0; i < a.length; i++) { const y = a[i]; if (!(${test(plan.items, 'y', functions)})) return false; } return true;`;
    tests.push(items ? `(Array.isArray(${x}) && ${add(items, 'a')})` : `Array.isArray(${x})`);
  }
  return tests.length > 0 ? tests.join(' || ') : 'false';
}

/** The body of a function of `v`, an object: its required members present, and each member it has passing its plan. */
function objectBody(plan: Plan, functions: Test[]): string {
  const lines = ['let m;'];
  for (const name of plan.required ?? []) lines.push(`if (!Object.hasOwn(v, ${JSON.stringify(name)})) return false;`);
  for (const [name, member] of plan.properties ?? []) {
    const key = JSON.stringify(name);
    // v["__proto__"] reads the prototype where the record has no such member of its own
    lines.push(`m = ${name === '__proto__' ? `Object.hasOwn(v, ${key}) ? v[${key}] : undefined` : `v[${key}]`};`);
    lines.push(`if (m !== undefined && !(${test(member, 'm', functions)})) return false;`);
  }
  lines.push('return true;');
  return lines.join(' ');
}
