import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (the folder of package.json), found from this file whether it runs from src/ or dist/src/. */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('tap-crm: package.json not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}

export const ROOT = findRoot();
export const SCHEMAS_DIR = join(ROOT, 'schemas');

export const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  description: string;
  /** Where users report what only the project can fix (error-policy.ts). */
  bugs?: { url: string };
  /** The one place the project's address is written (CONTRIBUTING.md, "The repository URL"). */
  repository?: { url: string };
};

/** The repository's web address, from package.json's `repository` (`git+https://….git`); undefined without one. */
export function repositoryUrl(pkg: Pick<typeof PACKAGE, 'repository'> = PACKAGE): string | undefined {
  return pkg.repository?.url.replace(/^git\+/, '').replace(/\.git$/, '');
}
