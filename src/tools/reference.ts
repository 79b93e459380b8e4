/**
 * The README's reference tables, generated from their single sources: the settings table from
 * schemas/settings.json (about.ts renders it, the same text as `--about --format markdown`), the streams
 * table from the stream table (src/streams.ts) and the stream schemas. `npm run generate` writes them between markers in the
 * README; a test fails when the README is stale.
 */
import { loadSchema } from '../protocol/catalog.js';
import { STREAMS, type StreamDef } from '../streams.js';

export { settingsTable } from '../command/about.js';

/**
 * One Markdown row per stream: endpoint, array key, the API's page size, replication, fields, permission,
 * requests a sync makes, notes.
 */
export function streamsTable(): string {
  const rows = STREAMS.map((def) => {
    const fields = Object.keys(loadSchema(def.name).properties ?? {}).length;
    const cells = [
      `\`${def.name}\``,
      `\`${def.path}\``,
      `\`${def.arrayKey}\``,
      def.pageSize === undefined ? 'no `page` documented' : String(def.pageSize),
      replication(def),
      String(fields),
      def.permission ?? '',
      requests(def),
      notes(def).join('; '),
    ];
    return `| ${cells.join(' | ')} |`;
  });
  const header = '| stream | endpoint | array key | API page size | replication | fields | permission | requests a sync makes | notes |';
  return [header, '|---|---|---|---|---|---|---|---|---|', ...rows].join('\n');
}

function replication(def: StreamDef): string {
  if (def.kind.type === 'child')
    return def.kind.everyParent ? `full table, under every \`${def.kind.parent}\` record` : `with its parent, \`${def.kind.parent}\``;
  if (!def.replicationKey) return 'full table';
  return def.serverFilter ? `incremental, **filtered by the API** (\`${def.serverFilter}\`)` : 'incremental, filtered here';
}

function requests(def: StreamDef): string {
  if (def.kind.type === 'child') {
    const per = def.unpaged ? '1' : '1 (2 where it has any: the walk ends at an empty page; more past a full page)';
    const parents = def.kind.everyParent
      ? `\`${def.kind.parent}\` record, each sync, the parent walked whole`
      : `\`${def.kind.parent}\` record emitted`;
    return `${per} per ${parents}`;
  }
  if (def.kind.type === 'named-list') return '2 for the list, then 1 per record';
  if (def.pageSize === undefined) return '2 for a list answered whole (the second repeats it), else 1 per page';
  return '1 per page';
}

function notes(def: StreamDef): string[] {
  const notes: string[] = [];
  if (def.params?.include_disabled) notes.push('disabled customers included (`include_disabled=true`)');
  if (def.params?.status) notes.push(`every alert, resolved ones included (\`status=${def.params.status}\`)`);
  if (def.wrapperKey) notes.push(`wrapped (\`{"${def.wrapperKey}": {...}}\`) and flat elements both accepted`);
  if (def.kind.type === 'named-list') {
    notes.push(`the list holds \`[${def.kind.pairs.join(', ')}]\` pairs`);
    notes.push(`each record from \`${def.kind.detail.path}\`; one the API refuses is emitted as the list gives it`);
  }
  if (def.keyProperties) notes.push(`key: ${def.keyProperties.map((name) => `\`${name}\``).join(', ')}`);
  if (def.kind.type === 'child' && def.kind.parentField) notes.push(`\`${def.kind.parentField}\` set from the parent`);
  if (def.recordArrays)
    notes.push(
      `records of ${Object.keys(def.recordArrays.arrays)
        .map((key) => `\`${key}\``)
        .join(' and ')}, named in \`${def.recordArrays.field}\``,
    );
  if (!def.selectedByDefault) notes.push('**not selected by default**');
  return notes;
}

/**
 * `text` with what stands between `<!-- name:begin -->` and `<!-- name:end -->` replaced by `body`; an
 * error when the markers are missing.
 */
export function replaceBetweenMarkers(text: string, name: string, body: string): string {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`README.md has no ${begin} ... ${end} markers`);
  return `${text.slice(0, from + begin.length)}\n${body}\n${text.slice(to)}`;
}
