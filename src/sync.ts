/**
 * The sync: every selected stream walked at once (the HTTP client bounds requests in flight and their
 * rate), each stream's records emitted in page order after its SCHEMA, STATE after each stream and once
 * more after the last RECORD. A stream the token may not read is skipped with a WARNING; a stream that
 * fails does not stop the others, and the run then ends with an error that names it.
 */
import { KEY_PROPERTIES, type SelectedStream } from './catalog.js';
import { TapError } from './errors.js';
import { ApiError, type HttpClient } from './http.js';
import { log, metric } from './log.js';
import { recordShaper, SeenIds, type ApiRecord } from './records.js';
import type { ResolvedSettings } from './settings.js';
import type { TapState } from './state.js';
import { walkPages } from './walker.js';
import type { MessageWriter } from './writer.js';

export interface SyncOptions {
  client: HttpClient;
  writer: MessageWriter;
  streams: readonly SelectedStream[];
  settings: ResolvedSettings;
  state: TapState;
  /** At most this many records per stream (`--test`); no STATE is written then. */
  recordLimit?: number;
}

export interface StreamResult {
  stream: string;
  status: 'synced' | 'skipped' | 'failed';
  records: number;
  pages: number;
  duplicates: number;
  error?: string;
}

export async function runSync(options: SyncOptions): Promise<StreamResult[]> {
  const state: TapState = { ...options.state, bookmarks: { ...options.state.bookmarks } };
  const results = await Promise.all(
    options.streams.map(async (selected) => {
      const result = await syncStream(selected, options);
      if (result.status === 'synced' && options.recordLimit === undefined) await options.writer.state(state);
      return result;
    }),
  );
  if (options.recordLimit === undefined) await options.writer.state(state);
  const failed = results.filter((r) => r.status === 'failed');
  if (failed.length > 0) {
    throw new TapError(
      `${failed.length} stream(s) failed: ${failed.map((r) => `${r.stream} (${r.error})`).join('; ')}. ` +
        'The other streams were synced; run again to retry.',
    );
  }
  return results;
}

async function syncStream(selected: SelectedStream, options: SyncOptions): Promise<StreamResult> {
  const { def, schema, fields } = selected;
  const { client, writer, settings } = options;
  const result: StreamResult = { stream: def.name, status: 'synced', records: 0, pages: 0, duplicates: 0 };
  const shaper = recordShaper(schema, def.wrapperKey, fields);
  const seen = new SeenIds();
  const params = { ...def.params, per_page: settings.page_size };
  const started = Date.now();

  try {
    await writer.schema(def.name, schema, KEY_PROPERTIES);
    const pages = walkPages((page) => client.getJson(def.path, { ...params, page }, { stream: def.name, page }), {
      stream: def.name,
      path: def.path,
      arrayKey: def.arrayKey,
      prefetch: settings.max_concurrency,
      identify: (element) => shaperIdentity(element, def.wrapperKey),
    });
    for await (const page of pages) {
      result.pages++;
      const timeExtracted = new Date().toISOString();
      const records: ApiRecord[] = [];
      for (const element of page.elements) {
        const record = shaper.shape(element);
        if (!record) {
          log.warning(`stream ${def.name}: page ${page.number} holds an element without an id; skipped`);
          continue;
        }
        if (!seen.add(record.id)) {
          result.duplicates++;
          continue;
        }
        records.push(record);
      }
      const room = options.recordLimit === undefined ? records.length : options.recordLimit - result.records;
      await writer.records(def.name, room < records.length ? records.slice(0, room) : records, timeExtracted);
      result.records += Math.min(room, records.length);
      if (options.recordLimit !== undefined && result.records >= options.recordLimit) break;
    }
  } catch (error) {
    if (error instanceof ApiError && error.kind === 'unauthorized' && result.pages === 0) {
      const needs = def.permission ? ` (this stream needs ${def.permission})` : '';
      log.warning(
        `stream ${def.name} skipped: the API refused the token on ${def.path} with HTTP 401${needs}. ` +
          `Grant the permission to the token's user, or deselect the stream. ${error.detail ?? ''}`.trim(),
      );
      result.status = 'skipped';
      return result;
    }
    if (!(error instanceof TapError || error instanceof ApiError)) throw error;
    result.status = 'failed';
    result.error = error.message;
    log.error(error.message);
  } finally {
    metric({ type: 'counter', metric: 'record_count', value: result.records, tags: { stream: def.name } });
    metric({ type: 'timer', metric: 'sync_duration', value: (Date.now() - started) / 1000, tags: { stream: def.name } });
  }
  if (result.duplicates > 0) log.info(`stream ${def.name}: ${result.duplicates} duplicate record(s) dropped (same id seen earlier in this run)`);
  return result;
}

function shaperIdentity(element: unknown, wrapperKey: string | undefined): unknown {
  if (typeof element !== 'object' || element === null) return element;
  const record = element as Record<string, unknown>;
  if (record.id !== undefined || !wrapperKey) return record.id;
  return (record[wrapperKey] as Record<string, unknown> | undefined)?.id;
}
