/**
 * The tap as one folder of plain JavaScript, for the Python package (tap_crm/js/ in the wheel):
 * `npm run bundle [-- OUTDIR]` (default dist/bundle) writes, with esbuild, from the TypeScript sources:
 *   cli.js          src/cli.ts and its dependencies (ajv, ajv-formats, split2, yargs) in one ESM file; its
 *                   first line is src/cli.ts's shebang, whose node flags the Python launcher passes on
 *   page-worker.js  src/sync/page-worker.ts the same way: worker threads need a file, and src/sync/page-pool.ts
 *                   loads it from beside its own file (`new URL('./page-worker.js', import.meta.url)`)
 *   package.json    name, version, description, bugs and repository of ./package.json, `"type": "module"`: src/paths.ts
 *                   finds the package root as the nearest folder with a package.json, reads the version
 *                   there (--version, --about, the User-Agent) ...
 *   schemas/        ... and the stream schemas beside it (SCHEMAS_DIR)
 * So the bundle runs with no change to the sources, and with no node_modules.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { ROOT } from '../src/paths.js';

/** The node flags of src/cli.ts's shebang (`#!/usr/bin/env -S node FLAGS`), which the launcher must pass. */
export function shebangFlags(firstLine: string): string[] {
  const m = /^#!\/usr\/bin\/env -S node((?: --[\w-]+=\S+)*)\s*$/.exec(firstLine);
  if (!m) throw new Error(`unexpected shebang: ${firstLine}`);
  return m[1]!
    .trim()
    .split(/\s+/)
    .filter((f) => f.length > 0);
}

/**
 * The generated settings validator loads ajv's runtime helpers with a `require` of its own
 * (createRequire), which esbuild leaves alone; without that line its `require(...)` calls are the
 * module's free `require`, which esbuild bundles.
 */
const bundleValidatorRequires: Plugin = {
  name: 'validator-requires',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]command[\\/]generated[\\/]validate-settings\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const line = 'const require = createRequire(import.meta.url);\n';
      if (!source.includes(line)) throw new Error(`${args.path}: no "${line.trim()}" line to drop`);
      return { contents: source.replace(line, ''), loader: 'ts' };
    });
  },
};

export async function bundle(outdir: string): Promise<void> {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    entryPoints: { cli: join(ROOT, 'src', 'cli.ts'), 'page-worker': join(ROOT, 'src', 'sync', 'page-worker.ts') },
    outdir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20.19',
    // CommonJS modules (ajv) in an ESM file: esbuild's require() of Node's built-ins needs a real one.
    banner: {
      js: "import { createRequire as __tapCrmCreateRequire } from 'node:module'; const require = __tapCrmCreateRequire(import.meta.url);",
    },
    plugins: [bundleValidatorRequires],
    legalComments: 'eof',
    logLevel: 'warning',
    metafile: true,
  });
  const external = Object.values(result.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external && !isBuiltin(i.path)));
  if (external.length > 0) throw new Error(`the bundle imports modules it does not hold: ${external.map((i) => i.path).join(', ')}`);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    description: string;
    bugs?: { url: string };
    repository?: { type: string; url: string };
  };
  const { name, version, description, bugs, repository } = pkg;
  const manifest = { name, version, description, bugs, repository, type: 'module', private: true };
  writeFileSync(join(outdir, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  cpSync(join(ROOT, 'schemas'), join(outdir, 'schemas'), { recursive: true });
  // The launcher's check that the flags made it: cli.js starts with src/cli.ts's shebang.
  const first = (file: string): string => readFileSync(file, 'utf8').split('\n', 1)[0]!;
  if (first(join(outdir, 'cli.js')) !== first(join(ROOT, 'src', 'cli.ts'))) throw new Error('cli.js lost the shebang of src/cli.ts');
  shebangFlags(first(join(outdir, 'cli.js')));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const outdir = resolve(process.argv[2] ?? join(ROOT, 'dist', 'bundle'));
  await bundle(outdir);
  process.stdout.write(`bundle: ${outdir}\n`);
}
