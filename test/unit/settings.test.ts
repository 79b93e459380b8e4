import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FILE_LIMITS,
  jsonShape,
  looksLike,
  mergeConfig,
  resolveSettings,
  settingsFromEnv,
  unknownSettings,
  unknownVariables,
} from '../../src/command/settings.js';

const dir = mkdtempSync(join(tmpdir(), 'tap-crm-settings-'));
function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
const valid = { api_key: 'k-123', base_url: 'https://acme.syncromsp.com/api/v1/' };

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
}

async function rejectionOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'no error',
    (e: unknown) => (e as Error).message,
  );
}

describe('settings: merging, defaults and validation', () => {
  it('merges --config files in order, later files winning', async () => {
    const a = file('a.json', JSON.stringify({ ...valid, page_size: 10, max_concurrency: 2 }));
    const b = file('b.json', JSON.stringify({ page_size: 50 }));
    expect(await mergeConfig([a, b])).to.include({ page_size: 50, max_concurrency: 2, api_key: 'k-123' });
  });

  it('reads TAP_CRM_* variables for --config ENV, cast to the setting types, and .env below them', () => {
    const dotEnv = file('.env', 'TAP_CRM_USER_AGENT="from-dotenv"\nTAP_CRM_PAGE_SIZE=5\n# comment\n');
    const env = { TAP_CRM_API_KEY: 'k', TAP_CRM_PAGE_SIZE: '25', TAP_CRM_REQUEST_TIMEOUT: '2.5', OTHER: 'x' };
    expect(settingsFromEnv(env, dotEnv)).to.deep.equal({ api_key: 'k', page_size: 25, request_timeout: 2.5, user_agent: 'from-dotenv' });
  });

  it('names the variable when an ENV value has the wrong type', () => {
    expect(errorOf(() => settingsFromEnv({ TAP_CRM_PAGE_SIZE: 'many' }, '/nonexistent'))).to.equal(
      'environment variable TAP_CRM_PAGE_SIZE must be an integer.',
    );
  });

  it('names the unknown TAP_CRM_ variables, not the settings’ or the tool’s and test suites’ own', () => {
    const dotEnv = file('.env-unknown', 'TAP_CRM_USERAGENT=x\n');
    const env = {
      TAP_CRM_API_KEY: 'k',
      TAP_CRM_PAGESIZE: '5',
      TAP_CRM_HEARTBEAT_MS: '1',
      TAP_CRM_IT_PG_PORT: '1',
      TAP_CRM__SELECT: '[]',
      OTHER: 'x',
    };
    expect(unknownVariables(env, dotEnv)).to.deep.equal(['TAP_CRM_PAGESIZE', 'TAP_CRM_USERAGENT']);
    expect(unknownSettings({ api_kye: 'k', page_size: 5 }, ['c.json'], env)).to.deep.equal(['"api_kye"']);
  });

  it('names the unknown settings that look like a missing one: a misspelling, not any unknown name', () => {
    expect(errorOf(() => resolveSettings({ base_url: valid.base_url, api_kye: 'k', colour: 'red' }))).to.equal(
      'setting "api_key" is missing (the config has "api_kye": a misspelling?): add "api_key" to a --config file or set TAP_CRM_API_KEY with --config ENV.',
    );
    expect(errorOf(() => resolveSettings({ api_key: 'k' }, ['"baseurl"', 'TAP_CRM_BASE_ULR']))).to.match(
      /^setting "base_url" is missing \(the config has "baseurl", the environment has TAP_CRM_BASE_ULR: a misspelling\?\)/,
    );
    expect(errorOf(() => resolveSettings({ base_url: valid.base_url, token: 'k' }))).to.match(/^setting "api_key" is missing: add/);
    for (const name of ['"api_kye"', '"apikey"', '"API_KEY"', '"api-key"', '"pai_key"', 'TAP_CRM_APIKEY'])
      expect(looksLike(name, 'api_key'), name).to.equal(true);
    for (const name of ['"key"', '"api_url"', '"base_url"', '"token"']) expect(looksLike(name, 'api_key'), name).to.equal(false);
  });

  it('applies defaults and trims the base URL', () => {
    const s = resolveSettings({ ...valid });
    expect(s).to.include({
      base_url: 'https://acme.syncromsp.com/api/v1',
      auth_method: 'header',
      requests_per_minute: 180,
      max_concurrency: 16,
      page_size: 100,
      request_timeout: 60,
      log_level: 'INFO',
    });
    expect(s.user_agent).to.match(/^tap-crm\/\d+\.\d+\.\d+/);
  });

  const cases: [string, Record<string, unknown>, RegExp][] = [
    [
      'missing api_key',
      { base_url: valid.base_url },
      /setting "api_key" is missing: add "api_key" to a --config file or set TAP_CRM_API_KEY/,
    ],
    ['missing base_url', { api_key: 'k' }, /setting "base_url" is missing/],
    ['empty api_key', { ...valid, api_key: '' }, /setting "api_key" must not be empty/],
    ['page_size over 100', { ...valid, page_size: 500 }, /setting "page_size" must be <= 100/],
    ['page_size not an integer', { ...valid, page_size: 'ten' }, /setting "page_size" must be an integer/],
    ['unknown auth_method', { ...valid, auth_method: 'cookie' }, /setting "auth_method" must be one of header, bearer, query/],
    [
      'start_date not a date',
      { ...valid, start_date: 'yesterday' },
      /setting "start_date" must be a date such as 2024-01-31 or an RFC 3339 date-time/,
    ],
    ['start_date a day that is not in its month', { ...valid, start_date: '2024-02-30' }, /setting "start_date" must be a date such as/],
    ['start_date a time without a zone', { ...valid, start_date: '2024-01-31T10:00:00' }, /setting "start_date" must be a date such as/],
    [
      'a config written for Airbyte (subdomain, no base_url)',
      { api_key: 'k-123', subdomain: 'acme' },
      /setting "subdomain" is not tap-crm's .*set "base_url" to https:\/\/acme\.syncromsp\.com\/api\/v1 \(Syncro\) or https:\/\/acme\.repairshopr\.com\/api\/v1/,
    ],
    ['base_url not a URL', { ...valid, base_url: 'acme.syncromsp.com' }, /setting "base_url" is not a URL/],
    [
      'plain http to a remote host',
      { ...valid, base_url: 'http://acme.syncromsp.com/api/v1' },
      /uses plain http to acme.syncromsp.com: use https/,
    ],
    ['credentials in base_url', { ...valid, base_url: 'https://u:p@acme.syncromsp.com/api/v1' }, /must not hold credentials/],
    ['max_concurrency 0', { ...valid, max_concurrency: 0 }, /setting "max_concurrency" must be >= 1/],
    ['an api_key with a line break', { ...valid, api_key: 'k-123\n' }, /setting "api_key" must hold printable ASCII characters only/],
    [
      'a user_agent with an accent',
      { ...valid, user_agent: 'tap-crm (Zoë)' },
      /setting "user_agent" must hold printable ASCII characters only/,
    ],
  ];
  for (const [name, raw, message] of cases) {
    it(`rejects ${name} with a message naming the setting`, () => {
      const text = errorOf(() => resolveSettings(raw));
      expect(text).to.match(message);
      expect(text).not.to.include('k-123');
    });
  }

  it('accepts a start_date as a date (its midnight UTC) or as a date-time with a zone, kept as written', () => {
    expect(resolveSettings({ ...valid, start_date: '2024-01-31' }).start_date).to.equal('2024-01-31T00:00:00Z');
    expect(resolveSettings({ ...valid, start_date: '2024-01-31T10:00:00-05:00' }).start_date).to.equal('2024-01-31T10:00:00-05:00');
    expect(resolveSettings({ ...valid, start_date: '2024-02-29T00:00:00.5Z' }).start_date).to.equal('2024-02-29T00:00:00.5Z');
  });

  it('accepts plain http to loopback hosts', () => {
    for (const host of ['127.0.0.1:8787', 'localhost:1', '[::1]:8080']) {
      expect(resolveSettings({ ...valid, base_url: `http://${host}/api/v1` }).base_url).to.equal(`http://${host}/api/v1`);
    }
  });

  it('names the file when a config file is missing or not JSON', async () => {
    expect(await rejectionOf(mergeConfig([join(dir, 'missing.json')]))).to.match(/config file .*missing.json cannot be read \(ENOENT\)/);
    expect(await rejectionOf(mergeConfig([file('bad.json', '{"api_key": ')]))).to.match(
      /config file .*bad.json is not valid JSON \(it ends too early\)/,
    );
    // The parser's own message would quote the file, API key included: only the place is given.
    const leaky = await rejectionOf(mergeConfig([file('leaky.json', '{\n  "api_key": k-123-secret-value\n}')]));
    expect(leaky).to.match(/leaky.json is not valid JSON( \(at line 2, column \d+\))?: fix or regenerate it/);
    expect(leaky).not.to.include('secret-value');
    expect(await rejectionOf(mergeConfig([file('list.json', '[1]')]))).to.match(/must hold a JSON object of settings/);
  });

  it('refuses a file over its bounds before parsing it: its size (/dev/zero too), its objects and arrays, their depth', async () => {
    const big = file('big.json', JSON.stringify({ ...valid, user_agent: 'x'.repeat(FILE_LIMITS.config.maxBytes) }));
    expect(await rejectionOf(mergeConfig([big]))).to.match(/config file .*big.json is larger than 1 MiB/);
    expect(await rejectionOf(mergeConfig(['/dev/zero']))).to.match(/config file \/dev\/zero is larger than 1 MiB/);
    const many = file(
      'many.json',
      JSON.stringify({ ...valid, stream_maps: Object.fromEntries(Array.from({ length: 10_001 }, (_, i) => [`s${i}`, {}])) }),
    );
    expect(await rejectionOf(mergeConfig([many]))).to.match(/holds more than 10000 objects and arrays/);
    const deep = file('deep.json', `{"stream_maps": ${'['.repeat(40)}${']'.repeat(40)}}`);
    expect(await rejectionOf(mergeConfig([deep]))).to.match(/nests objects and arrays more than 32 deep/);
    // Brackets inside strings are text, not structure.
    const quoted = file('quoted.json', JSON.stringify({ ...valid, user_agent: '['.repeat(100) + '\\"{' }));
    expect(await mergeConfig([quoted])).to.include({ api_key: 'k-123' });
    expect(jsonShape('{"a": "[[[", "b": [[1]]}', { maxBytes: 100, maxContainers: 3, maxDepth: 3 })).to.equal(undefined);
  });
});
