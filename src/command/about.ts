/** `--about`: what the tap is and can do, as JSON (the Meltano SDK's shape) or Markdown. */
import { loadSchema, type JsonSchema } from '../protocol/catalog.js';
import { PACKAGE } from '../paths.js';

export const CAPABILITIES = [
  'catalog',
  'discover',
  'state',
  'about',
  'test',
  'activate-version',
  'stream-maps',
  'schema-flattening',
] as const;

export interface About {
  name: string;
  description: string;
  version: string;
  capabilities: string[];
  settings: JsonSchema;
}

export function about(): About {
  return {
    name: PACKAGE.name,
    description: PACKAGE.description,
    version: PACKAGE.version,
    capabilities: [...CAPABILITIES],
    settings: loadSchema('settings'),
  };
}

export function aboutMarkdown(info: About = about()): string {
  return [
    `# ${info.name} ${info.version}`,
    '',
    info.description,
    '',
    `Capabilities: ${info.capabilities.join(', ')}`,
    '',
    '## Settings',
    '',
    settingsTable(info.settings),
    '',
  ].join('\n');
}

/** One Markdown row per setting: name, type and flags, default, description. */
export function settingsTable(settings: JsonSchema = loadSchema('settings')): string {
  const required = new Set((settings.required as string[] | undefined) ?? []);
  const rows = Object.entries(settings.properties ?? {}).map(([name, s]) => {
    const flags = [required.has(name) ? 'required' : '', s.secret ? 'secret' : ''].filter(Boolean).join(', ');
    const type = Array.isArray(s.enum) ? s.enum.map((v) => `\`${String(v)}\``).join(' / ') : String(s.type);
    const fallback = s.default === undefined ? '' : `\`${JSON.stringify(s.default)}\``;
    const description = typeof s.description === 'string' ? s.description : '';
    return `| \`${name}\` | ${type}${flags ? ` (${flags})` : ''} | ${fallback} | ${description} |`;
  });
  return ['| setting | type | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}
