/**
 * The layers of src/ as the modules import them (docs/architecture.md):
 * - a module imports only from its own layer or those below it, type-only imports included, so that no folder
 *   imports another in a circle;
 * - the page workers load only what they use (the page processor and the record framing, not the catalog,
 *   which reads schemas/ and package.json, the HTTP client, the log or the settings);
 * - the tap loads none of the tools beside it (src/tools/, src/simulator/);
 * - a stream's kind is read in the files docs/architecture.md lists for a new kind, and nowhere else.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { ROOT } from '../../src/paths.js';

const SRC = join(ROOT, 'src');

/** The layers, lowest first: each folder of src/ ('.' for the modules at its top, cli.ts aside: it is the entry point, above all). */
const LAYERS = ['.', 'output', 'records', 'api', 'protocol', 'maps', 'sync', 'command'] as const;
/** Not the tap: build tools and the API simulator, outside the layers. */
const BESIDE = ['tools', 'simulator'];

function sources(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [relative(SRC, path)] : [];
  });
}

/** The modules of src/ that a module imports or re-exports from, type-only ones too: [module, is it type-only]. */
function imports(module: string): [string, boolean][] {
  const source = readFileSync(join(SRC, module), 'utf8');
  return [...source.matchAll(/^(?:import|export)\s+(type\s+)?[^;]*?from\s+'(\.[^']+)'/gm)].map(([, type, from]) => [
    relative(SRC, join(SRC, dirname(module), from!.replace(/\.js$/, '.ts'))),
    type !== undefined,
  ]);
}

/** The modules of src/ that a module loads at run time (type-only imports are erased), transitively. */
function loads(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (module: string) => {
    if (seen.has(module)) return;
    seen.add(module);
    for (const [target, typeOnly] of imports(module)) if (!typeOnly) visit(target);
  };
  visit(relative(SRC, join(ROOT, entry)));
  return [...seen].sort();
}

/** A module's folder (its top folder under src/; '.' at the top). */
function folderOf(module: string): string {
  const parts = module.split('/');
  return parts.length > 1 ? parts[0]! : '.';
}

describe('layers', () => {
  const tap = sources().filter((module) => !BESIDE.includes(folderOf(module)) && module !== 'cli.ts');

  it('every folder of the tap is a layer', () => {
    for (const module of tap) expect(LAYERS, module).to.include(folderOf(module));
  });

  it('no module imports from a layer above its own, type-only imports included', () => {
    const upward: string[] = [];
    for (const module of tap) {
      const own = LAYERS.indexOf(folderOf(module) as (typeof LAYERS)[number]);
      for (const [target] of imports(module)) {
        const layer = LAYERS.indexOf(folderOf(target) as (typeof LAYERS)[number]);
        if (target === 'cli.ts' || BESIDE.includes(folderOf(target)) || layer > own) upward.push(`${module} -> ${target}`);
      }
    }
    expect(upward).to.deep.equal([]);
  });

  it('no folder imports another in a circle', () => {
    const edges = new Map<string, Set<string>>();
    for (const module of tap)
      for (const [target] of imports(module)) {
        if (folderOf(target) === folderOf(module)) continue;
        (edges.get(folderOf(module)) ?? edges.set(folderOf(module), new Set()).get(folderOf(module))!).add(folderOf(target));
      }
    const reaches = (from: string, to: string, seen = new Set<string>()): boolean =>
      [...(edges.get(from) ?? [])].some((next) => next === to || (!seen.has(next) && (seen.add(next), reaches(next, to, seen))));
    const circles = [...edges.keys()].filter((folder) => reaches(folder, folder));
    expect(circles).to.deep.equal([]);
  });

  it('a page worker loads the page processor and the record framing, not the catalog, the HTTP client, the log or the settings', () => {
    const modules = loads('src/sync/page-worker.ts');
    expect(modules).to.include.members(['sync/page-processor.ts', 'protocol/messages.ts', 'records/record-check.ts']);
    const heavy = ['protocol/catalog.ts', 'paths.ts', 'api/http.ts', 'output/log.ts', 'command/settings.ts', 'sync/sync.ts'];
    for (const module of heavy) expect(modules).not.to.include(module);
  });

  it('the tap (cli.ts) loads none of the build tools or the simulator', () => {
    const modules = loads('src/cli.ts');
    expect(modules).to.include.members(['command/tap.ts', 'sync/stream-run.ts', 'api/http.ts', 'output/log.ts']);
    expect(modules.filter((module) => module.startsWith('tools/') || module.startsWith('simulator/'))).to.deep.equal([]);
  });

  it('a stream’s kind is read only in the files docs/architecture.md lists for a new kind', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');
    const section = /<!-- kind-files:begin -->([\s\S]*?)<!-- kind-files:end -->/.exec(doc)?.[1] ?? '';
    const listed = [...section.matchAll(/`src\/([^`]+)`/g)].map(([, path]) => path!);
    expect(listed, 'the list in docs/architecture.md').to.include.members(['streams.ts', 'sync/kinds/registry.ts', 'sync/kinds/<kind>.ts']);
    const isListed = (module: string) =>
      listed.some((path) => path === module || (path.endsWith('<kind>.ts') && module.startsWith(path.replace('<kind>.ts', ''))));
    // A def's kind read (def.kind.type, def.kind.parent...), or the StreamKind union named: where a new kind must be known.
    const readers = sources().filter(
      (module) =>
        !BESIDE.includes(folderOf(module)) &&
        /\.kind\.(type|parent|detail|movesParent|parentField)\b|\bStreamKind\b/.test(readFileSync(join(SRC, module), 'utf8')),
    );
    expect(
      readers.filter((module) => !isListed(module)),
      'reads a kind, not in the list',
    ).to.deep.equal([]);
    for (const path of listed.filter((p) => !p.includes('<kind>'))) expect(readers, `listed, but reads no kind: ${path}`).to.include(path);
  });
});
