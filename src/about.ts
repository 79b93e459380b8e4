/** `--about`: what the tap is and can do, as JSON (the Meltano SDK's shape) or Markdown. */
import { loadSchema, type JsonSchema } from './catalog.js';
import { PACKAGE } from './paths.js';
import { settingsTable } from './reference.js';

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
