/**
 * The record check of a schema with keywords beyond the type keywords (a catalog's own: enum, pattern,
 * minimum, anyOf...), by ajv, every error reported so that the failing properties can be named. Loaded by
 * record-check.ts only for such a schema (loadAjv).
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { default as addFormats } from 'ajv-formats';
import type { JsonSchema } from './json.js';
import type { RecordCheck } from './record-check.js';

let ajv: Ajv | undefined;

export function ajvCheck(schema: JsonSchema): RecordCheck {
  if (!ajv) {
    ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, messages: false });
    addFormats.default(ajv, { formats: ['date-time'], mode: 'fast' });
  }
  const validate: ValidateFunction = ajv.compile(schema);
  return {
    passes: (record) => validate(record),
    failing(record, names) {
      const failing = new Set<string>();
      if (validate(record)) return failing;
      for (const { instancePath } of validate.errors ?? []) {
        const end = instancePath.indexOf('/', 1);
        const step = instancePath.slice(1, end < 0 ? undefined : end);
        if (step) failing.add(step.replace(/~1/g, '/').replace(/~0/g, '~'));
      }
      if (names === undefined) return failing;
      const asked = new Set(names);
      return new Set([...failing].filter((name) => asked.has(name)));
    },
  };
}
