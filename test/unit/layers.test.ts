/**
 * The page workers load only what they use: the page processor and the record framing, not the catalog
 * (which reads schemas/ and package.json), the HTTP client, the log or the settings.
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
    const modules = loads('src/page-worker.ts');
    expect(modules).to.include.members(['pages.ts', 'messages.ts', 'record-check.ts']);
    for (const heavy of ['catalog.ts', 'paths.ts', 'http.ts', 'log.ts', 'settings.ts', 'sync.ts']) expect(modules).not.to.include(heavy);
  });
});
