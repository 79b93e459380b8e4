/**
 * The README's reference tables, generated from their single sources: the settings table from
 * schemas/settings.json (about.ts renders it, the same text as `--about --format markdown`), the streams
 * table from the stream table (src/streams.ts) and the stream schemas. `npm run generate` writes them between markers in the
 * README; a test fails when the README is stale.
 */
import { loadSchema } from '../protocol/catalog.js';
import { arrayKeyOf, pageSizeOf, STREAMS, type StreamDef } from '../streams.js';
import { kindOf } from '../sync/kinds/registry.js';

export { settingsTable } from '../command/about.js';

/**
 * One Markdown row per stream: endpoint, array key, the API's page size, replication, fields, permission,
 * requests a sync makes, notes. What depends on the stream's kind comes from the kind (kinds/registry.ts).
 */
export function streamsTable(): string {
  const rows = STREAMS.map((def) => {
    const fields = Object.keys(loadSchema(def.name).properties ?? {}).length;
    const kind = kindOf(def).docs(def);
    const size = pageSizeOf(def);
    const cells = [
      `\`${def.name}\``,
      `\`${def.path}\``,
      `\`${arrayKeyOf(def)}\``,
      size === undefined ? 'no `page` documented' : String(size),
      kind.replication ?? replication(def),
      String(fields),
      def.permission ?? '',
      kind.requests,
      [...bodyNotes(def), ...keyNote(def), ...kind.notes, ...(def.selectedByDefault ? [] : ['**not selected by default**'])].join('; '),
    ];
    return `| ${cells.join(' | ')} |`;
  });
  const header = '| stream | endpoint | array key | API page size | replication | fields | permission | requests a sync makes | notes |';
  return [header, '|---|---|---|---|---|---|---|---|---|', ...rows].join('\n');
}

function replication(def: StreamDef): string {
  if (!def.replicationKey) return 'full table';
  return def.serverFilter ? `incremental, **filtered by the API** (\`${def.serverFilter}\`)` : 'incremental, filtered here';
}

function bodyNotes(def: StreamDef): string[] {
  const notes: string[] = [];
  if (def.params?.include_disabled) notes.push('disabled customers included (`include_disabled=true`)');
  if (def.params?.status) notes.push(`every alert, resolved ones included (\`status=${def.params.status}\`)`);
  const { body } = def;
  if (body.type === 'array' && body.wrapper) notes.push(`wrapped (\`{"${body.wrapper}": {...}}\`) and flat elements both accepted`);
  if (body.type === 'pairs') notes.push(`the list holds \`[${body.fields.join(', ')}]\` pairs`);
  if (body.type === 'lists')
    notes.push(
      `records of ${Object.keys(body.lists)
        .map((key) => `\`${key}\``)
        .join(' and ')}, named in \`${body.listField}\``,
    );
  return notes;
}

function keyNote(def: StreamDef): string[] {
  return def.keyProperties ? [`key: ${def.keyProperties.map((name) => `\`${name}\``).join(', ')}`] : [];
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
