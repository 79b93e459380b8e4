/**
 * Discovery, in both protocols: the catalog from schemas/ and the stream table, with no request; and with
 * `custom_fields: "columns"` in the config given, one column per custom field the account defines, read
 * from its definitions (custom-columns.ts).
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../output/log.js';
import type { ExtraColumns } from '../protocol/catalog.js';
import { CUSTOM_FIELD_STREAMS } from '../records/custom-fields.js';
import { discoveredColumns, readSources } from './custom-columns.js';
import { mergeConfig } from './settings.js';
import { httpClient, settingsOf } from './tap.js';

/**
 * The custom field columns to declare: none without a config, or when its custom_fields is not
 * "columns" (then the config is not even checked: discovery needs none); else the account's.
 */
export async function discoveryColumns(config: string[] | undefined, log: Logger, clock: Clock): Promise<ExtraColumns> {
  if (!config?.length) return {};
  let raw: Record<string, unknown>;
  try {
    raw = await mergeConfig(config);
  } catch {
    // Discovery needs no config: one that cannot be read cannot ask for columns either, and fails nothing here.
    return {};
  }
  if (raw.custom_fields !== 'columns') return {};
  const { settings } = settingsOf(raw, config, log);
  log.levelFromSettings(raw.log_level !== undefined, settings.log_level);
  const client = httpClient(settings, log, undefined, clock);
  try {
    const sources = await readSources(client, log, new Set(CUSTOM_FIELD_STREAMS));
    return sources ? discoveredColumns(sources) : {};
  } finally {
    client.close();
  }
}
