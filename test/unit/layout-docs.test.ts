/**
 * The layout CONTRIBUTING.md and docs/architecture.md describe, held to the tree: each file or folder a layout
 * table names exists in the folder of its row, the architecture's layer table names every module of the tap,
 * every module named in the architecture's text exists, and each `module.member` / `module.ts` `member` it
 * cites is in that module.
 */
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ROOT } from '../../src/paths.js';

const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** Every .ts file under src/, as paths relative to src/. */
function modules(dir = join(ROOT, 'src'), prefix = ''): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return modules(path, `${prefix}${name}/`);
    return name.endsWith('.ts') ? [`${prefix}${name}`] : [];
  });
}

/** The rows of the first table after `heading`: its cells, backticks kept. */
function tableRows(text: string, heading: RegExp): string[][] {
  const from = text.search(heading);
  expect(from, String(heading)).to.be.greaterThan(-1);
  const lines = text.slice(from).split('\n');
  const start = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  }
  expect(rows.length, String(heading)).to.be.greaterThan(3);
  return rows;
}

/** The names in backticks that look like a file (`x.ts`, `x.json`) or a folder (`kinds/`), paths included. */
function namedFiles(cell: string): string[] {
  return [...cell.matchAll(/`([\w.][\w./-]*)`/g)]
    .map((m) => m[1]!)
    .filter((n) => !n.startsWith('-') && (/\.[a-z]+$/.test(n) || n.endsWith('/')) && !/^\d/.test(n));
}

/** Where each name of a row is said to be: under the row's folder, or beside the row's file. */
function claims(rows: string[][], base: (first: string) => string): string[] {
  const out: string[] = [];
  for (const [first, ...rest] of rows) {
    const own = /`([^`]+)`/.exec(first!)?.[1];
    expect(own, first).to.be.a('string');
    const where = base(own!);
    out.push(where);
    const folder = where.endsWith('/') ? where : `${dirname(where)}/`;
    for (const name of namedFiles(rest.join(' | '))) out.push(join(folder, name).replace(/([^/])$/, name.endsWith('/') ? '$1/' : '$1'));
  }
  return out;
}

const missing = (paths: string[]) =>
  paths.filter((p) => !existsSync(join(ROOT, p)) || (p.endsWith('/') && !statSync(join(ROOT, p)).isDirectory()));

describe('the layout in CONTRIBUTING.md and docs/architecture.md is the tree’s', () => {
  const tap = modules().filter((m) => !m.startsWith('simulator/') && !m.startsWith('command/generated/'));

  it('CONTRIBUTING.md’s layout table: each file and folder exists where its row says', () => {
    const paths = claims(tableRows(read('CONTRIBUTING.md'), /^## Layout$/m), (own) => own);
    expect(paths.filter((p) => p.startsWith('src/')).length).to.be.greaterThan(40);
    expect(missing(paths)).to.deep.equal([]);
  });

  it('docs/architecture.md’s layer table: each module is in its folder, and every module of the tap is there', () => {
    const paths = claims(tableRows(read('docs/architecture.md'), /^\| folder \| layer \| modules \|$/m), (own) =>
      own.startsWith('src/') ? own : `src/${own}`,
    );
    expect(missing(paths)).to.deep.equal([]);
    const listed = new Set(paths.map((p) => p.replace(/^src\//, '')));
    const unlisted = tap.filter((m) => m !== 'cli.ts' && !listed.has(m) && !listed.has(`${dirname(m)}/`));
    expect(unlisted, 'modules the layer table does not name').to.deep.equal([]);
  });

  it('every module docs/architecture.md and CONTRIBUTING.md name in their text exists, and each member they cite is in its module', () => {
    const all = modules();
    const byName = (name: string) => all.filter((m) => basename(m) === name);
    const bad: string[] = [];
    for (const file of ['docs/architecture.md', 'CONTRIBUTING.md']) {
      const text = read(file);
      for (const [, path] of text.matchAll(/`(src\/[\w./<>-]+)`/g)) {
        if (!path!.includes('<') && !existsSync(join(ROOT, path!))) bad.push(`${file}: ${path}`);
      }
      if (file !== 'docs/architecture.md') continue;
      for (const [, name] of text.matchAll(/`([\w-]+\.ts)`/g)) {
        if (byName(name!).length === 0 && !existsSync(join(ROOT, 'python', name!))) bad.push(`${file}: ${name} is no module`);
      }
      // `tap.ts` `readInput`, and `messages.recordFraming`: the member is declared in that module.
      const cited = [
        ...[...text.matchAll(/`([\w-]+)\.ts` `(\w+)`/g)].map((m) => [m[1]!, m[2]!]),
        ...[...text.matchAll(/`([a-z][\w-]*)\.([a-zA-Z]\w*)`/g)].filter((m) => m[2] !== 'ts' && m[2] !== 'md').map((m) => [m[1]!, m[2]!]),
      ];
      for (const [module, member] of cited) {
        const found = byName(`${module}.ts`);
        if (found.length === 0) continue; // not a module: a class's member (`Logger.setSink`)
        if (!found.some((m) => new RegExp(`\\b${member}\\b`).test(readFileSync(join(ROOT, 'src', m), 'utf8')))) {
          bad.push(`${file}: ${module}.${member}`);
        }
      }
    }
    expect(bad).to.deep.equal([]);
  });
});
