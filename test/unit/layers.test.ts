/**
 * The layers of src/ as the modules load them: the page workers load only what they use (the page processor
 * and the record framing, not the catalog, which reads schemas/ and package.json, the HTTP client, the log or
 * the settings), and the tap loads none of the tools beside it (src/tools/, src/simulator/).
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { ROOT } from '../../src/paths.js';

/** The modules of src/ that a module loads at run time (type-only imports are erased), transitively. */
function loads(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const [, from] of source.matchAll(/^import\s+(?!type\b)[^;]*?from\s+'(\.[^']+)'/gm)) {
      visit(join(dirname(file), from!.replace(/\.js$/, '.ts')));
    }
  };
  visit(join(ROOT, entry));
  return [...seen].map((file) => relative(join(ROOT, 'src'), file)).sort();
}

describe('layers', () => {
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
});
