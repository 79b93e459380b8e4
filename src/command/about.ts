/** `--about`: what the tap is and can do, as JSON, text (both in the Meltano SDK's shapes) or Markdown. */
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
  'structured-logging',
] as const;

/**
 * The Python versions the Python package runs on (pyproject.toml requires-python ">=3.10"; the package is a
 * launcher of the JavaScript tap, so any Python the SDK lists from there on), as the SDK's --about lists them.
 */
export const SUPPORTED_PYTHON_VERSIONS = ['3.10', '3.11', '3.12', '3.13', '3.14'];

/** What `--config ENV` reads: TAP_CRM_<SETTING> variables (settings.ts). */
export const ENV_VAR_PREFIX = 'TAP_CRM_';

/** The Meltano SDK's fields, in its order; `sdk_version` says what tap-crm is built with instead (not the SDK). */
export interface About {
  name: string;
  description: string;
  version: string;
  sdk_version: string;
  supported_python_versions: string[];
  capabilities: string[];
  settings: JsonSchema;
}

export function about(): About {
  return {
    name: PACKAGE.name,
    description: PACKAGE.description,
    version: PACKAGE.version,
    sdk_version: `none: tap-crm ${PACKAGE.version} is TypeScript, not built with the Meltano SDK`,
    supported_python_versions: [...SUPPORTED_PYTHON_VERSIONS],
    capabilities: [...CAPABILITIES],
    settings: loadSchema('settings'),
  };
}

/** `--about --format text`, as the SDK's TextFormatter writes it. */
export function aboutText(info: About = about()): string {
  const settings = Object.entries(info.settings.properties ?? {}).flatMap(([name, s]) => [
    `  - Name: ${name}`,
    `    Type: ${String(s.type)}`,
    `    Environment Variable: ${ENV_VAR_PREFIX}${name.toUpperCase()}`,
  ]);
  return [
    `Name: ${info.name}`,
    `Description: ${info.description}`,
    `Version: ${info.version}`,
    `SDK Version: ${info.sdk_version}`,
    'Supported Python Versions:',
    ...info.supported_python_versions.map((v) => `  - ${v}`),
    'Capabilities:',
    ...info.capabilities.map((c) => `  - ${c}`),
    'Settings:',
    ...settings,
    '',
  ].join('\n');
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
