/**
 * What test/integration/setup.sh found or installed: the private PostgreSQL cluster and the paths of the
 * Python tools, read from test/integration/.env.integration. A missing file or tool is an error, never a
 * reason to skip: the integration suite fails when its tools are absent.
 */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../src/paths.js';

export const ENV_FILE = join(ROOT, 'test', 'integration', '.env.integration');

export interface IntegrationEnv {
  pg: { host: string; port: number; user: string; password: string; database: string };
  psql: string;
  meltano: string;
  /** Meltano's installed loaders (`<dir>/<loader>/venv`), linked into each throwaway project. */
  meltanoLoaders: string;
  targetPostgres: string;
  targetJsonl: string;
  singerCheckTap: string;
  pipelinewiseTargetPostgres: string;
  /** The Python of .venv/pyairbyte, with PyAirbyte installed. */
  pyairbyte: string;
  /** meltano-map-transform, the Meltano SDK's own stream mapper (stream-maps.test.ts compares tap-crm's maps with it). */
  meltanoMapTransform: string;
  /** The Python of .venv/dlt, with dlt and DuckDB installed (dlt.test.ts adds tap-crm from the clone). */
  dlt: string;
  /** The Python interpreter (a real one, not a shim) that made the virtual environments. */
  python: string;
}

function parse(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) vars.set(m[1]!, m[2]!);
  }
  return vars;
}

let cached: IntegrationEnv | undefined;

/** The integration environment; throws with what to run when setup.sh has not been run or failed. */
export function integrationEnv(): IntegrationEnv {
  if (cached) return cached;
  if (!existsSync(ENV_FILE)) {
    throw new Error(`${ENV_FILE} is missing: run \`bash test/integration/setup.sh\` first (it installs PostgreSQL and the Python tools)`);
  }
  const vars = parse(readFileSync(ENV_FILE, 'utf8'));
  const get = (name: string): string => {
    const v = vars.get(`TAP_CRM_IT_${name}`);
    if (!v) throw new Error(`${ENV_FILE} has no TAP_CRM_IT_${name}: run \`bash test/integration/setup.sh\` again`);
    return v;
  };
  const tool = (name: string): string => {
    const path = get(name);
    try {
      accessSync(path, constants.X_OK);
    } catch {
      throw new Error(`${path} (TAP_CRM_IT_${name}) is not an executable: run \`bash test/integration/setup.sh\` again`);
    }
    return path;
  };
  cached = {
    pg: {
      host: get('PG_HOST'),
      port: Number(get('PG_PORT')),
      user: get('PG_USER'),
      password: get('PG_PASSWORD'),
      database: get('PG_DATABASE'),
    },
    psql: tool('PSQL'),
    meltano: tool('MELTANO'),
    meltanoLoaders: get('MELTANO_LOADERS'),
    targetPostgres: tool('TARGET_POSTGRES'),
    targetJsonl: tool('TARGET_JSONL'),
    singerCheckTap: tool('SINGER_CHECK_TAP'),
    pipelinewiseTargetPostgres: tool('PIPELINEWISE_TARGET_POSTGRES'),
    pyairbyte: tool('PYAIRBYTE'),
    meltanoMapTransform: tool('MELTANO_MAP_TRANSFORM'),
    dlt: tool('DLT'),
    python: tool('PYTHON'),
  };
  return cached;
}
