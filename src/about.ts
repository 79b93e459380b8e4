/** `--about`: what the tap is and can do, as JSON (the Meltano SDK's shape) or Markdown. */
import { loadSchema, type JsonSchema } from './catalog.js';
import { PACKAGE } from './paths.js';

export const CAPABILITIES = ['catalog', 'discover', 'state', 'about', 'test', 'activate-version'] as const;

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
  const required = new Set((info.settings.required as string[] | undefined) ?? []);
  const rows = Object.entries(info.settings.properties ?? {}).map(([name, s]) => {
    const flags = [required.has(name) ? 'required' : '', s.secret ? 'secret' : ''].filter(Boolean).join(', ');
    const type = Array.isArray(s.enum) ? s.enum.join(' / ') : String(s.type);
    const fallback = s.default === undefined ? '' : `\`${JSON.stringify(s.default)}\``;
    return `| \`${name}\` | ${type}${flags ? ` (${flags})` : ''} | ${fallback} | ${typeof s.description === 'string' ? s.description : ''} |`;
  });
  return [
    `# ${info.name} ${info.version}`,
    '',
    info.description,
    '',
    `Capabilities: ${info.capabilities.join(', ')}`,
    '',
    '## Settings',
    '',
    '| setting | type | default | description |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
