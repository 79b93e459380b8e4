/** Reading parsed JSON safely: the one check for "an object with keys", which arrays and null are not. */

export type JsonObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
