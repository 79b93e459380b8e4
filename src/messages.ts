/**
 * The Singer messages tap-crm writes, one JSON object a line: their shapes live here and nowhere else.
 * The writer (main thread) builds SCHEMA, STATE and ACTIVATE_VERSION with these functions; the page
 * workers frame each record's JSON between `recordFraming`'s prefix and suffix, copying the record's own
 * bytes in between where it needs no reshaping.
 */
import { KEY_PROPERTIES, type SelectedStream } from './catalog.js';

/** SCHEMA: the catalog's schema, the primary key and, for an incremental stream, its replication key. */
export function schemaMessage(selected: SelectedStream): string {
  const { def, schema, method } = selected;
  const message: Record<string, unknown> = { type: 'SCHEMA', stream: def.name, schema, key_properties: KEY_PROPERTIES };
  if (method === 'INCREMENTAL' && def.replicationKey) message.bookmark_properties = [def.replicationKey];
  return line(message);
}

export function stateMessage(value: unknown): string {
  return line({ type: 'STATE', value });
}

export function activateVersionMessage(stream: string, version: number): string {
  return line({ type: 'ACTIVATE_VERSION', stream, version });
}

/** What surrounds a record's JSON in its RECORD line. */
export interface RecordFraming {
  prefix: string;
  /** The rest of the line after the record, newline included, for records extracted at `extractedAtMs`. */
  suffix(extractedAtMs: number): string;
}

/** RECORD: `{"type":"RECORD","stream":…,"record":<record>,"time_extracted":…[,"version":…]}`. */
export function recordFraming(stream: string, version: number | undefined): RecordFraming {
  const versionPart = version === undefined ? '' : `,"version":${version}`;
  return {
    prefix: `{"type":"RECORD","stream":${JSON.stringify(stream)},"record":`,
    suffix: (extractedAtMs) => `,"time_extracted":"${new Date(extractedAtMs).toISOString()}"${versionPart}}\n`,
  };
}

function line(message: Record<string, unknown>): string {
  return JSON.stringify(message) + '\n';
}
