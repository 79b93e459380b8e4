/** API key checks: the three forms the API accepts, and the two 401 bodies it answers with. */
import type { IncomingHttpHeaders } from 'node:http';

export type KeyKind = 'full' | 'limited';

export const NOT_AUTHORIZED = { error: 'Not authorized' };
export const NO_PERMISSION = { error: 'Not authorized. Please ask account admin to update your group permissions.' };

/** The key the caller sent (Authorization: <key>, Authorization: Bearer <key> or ?api_key=<key>), if any. */
export function presentedKeys(headers: IncomingHttpHeaders, query: URLSearchParams): string[] {
  const keys: string[] = [];
  const auth = headers.authorization?.trim();
  if (auth) keys.push(/^bearer\s+/i.test(auth) ? auth.replace(/^bearer\s+/i, '').trim() : auth);
  const q = query.get('api_key');
  if (q) keys.push(q);
  return keys;
}

export function classify(keys: readonly string[], full: string, limited: string): { kind: KeyKind; key: string } | null {
  for (const k of keys) {
    if (k === full) return { kind: 'full', key: k };
    if (k === limited) return { kind: 'limited', key: k };
  }
  return null;
}
