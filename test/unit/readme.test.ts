/**
 * The README as the front door: short (at most 320 lines: the detail lives in docs/), its generated tables'
 * markers kept, its links and their anchors alive, the headings that messages and settings cite present, and
 * what its Quick start relies on true of the package (the commands `npx` and pip install, the targets it pins
 * as the integration suite does). The generated tables' contents: generated.test.ts.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { ROOT } from '../../src/paths.js';
import { STREAM_NAMES } from '../../src/simulator/types.js';

const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const README = read('README.md');
const MARKDOWN = [
  'README.md',
  'CONTRIBUTING.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** GitHub's anchor of a heading. */
const slug = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
const anchors = (text: string) => new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!.trim())));
const headings = (text: string) => new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => m[1]!.trim()));

describe('the README, the front door', () => {
  it('has at most 320 lines (the detail is in docs/)', () => {
    expect(README.split('\n').length - 1).to.be.at.most(320);
  });

  it('keeps the markers of its generated tables', () => {
    for (const marker of ['settings:begin', 'settings:end', 'streams:begin', 'streams:end'])
      expect(README).to.include(`<!-- ${marker} -->`);
  });

  it('every relative link of the README, CONTRIBUTING and docs/ reaches a file, and its anchor a heading there', () => {
    const broken: string[] = [];
    for (const file of MARKDOWN) {
      const text = read(file);
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        const [path, anchor] = target!.split('#') as [string, string | undefined];
        const to = path === '' ? file : normalize(join(dirname(file), path));
        if (!existsSync(join(ROOT, to))) broken.push(`${file}: ${target}`);
        else if (anchor !== undefined && to.endsWith('.md') && !anchors(read(to)).has(anchor)) broken.push(`${file}: ${target}`);
      }
    }
    expect(broken).to.deep.equal([]);
  });

  it('has every section that messages, settings and docs send readers to (the README’s "…")', () => {
    const cited = new Set<string>();
    const sources = [
      'schemas/settings.json',
      ...MARKDOWN,
      ...execFileSync('git', ['ls-files', 'src', 'python'], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n'),
    ];
    for (const file of sources.filter((f) => /\.(ts|py|md|json)$/.test(f))) {
      for (const [, name] of read(file).matchAll(/README(?:['’]s| "?:?) ?"([^"\\]+)"/g)) cited.add(name!);
    }
    expect(cited.size).to.be.greaterThan(3);
    const present = headings(README);
    expect([...cited].filter((name) => !present.has(name))).to.deep.equal([]);
  });

  it('Quick start: npx runs the clone’s own bin, pip installs tap-crm and source-tap-crm, the targets are pinned as the integration suite pins them', () => {
    const pkg = JSON.parse(read('package.json')) as { name: string; bin: Record<string, string> };
    expect(pkg.name).to.equal('tap-crm');
    expect(pkg.bin['tap-crm']).to.equal('dist/src/cli.js');
    expect(README).to.include('npx tap-crm');
    const pyproject = read('pyproject.toml');
    for (const command of ['tap-crm', 'source-tap-crm']) expect(pyproject).to.match(new RegExp(`^${command} = "tap_crm:main"$`, 'm'));
    for (const [requirements, pin] of [
      ['target-jsonl.txt', 'target-jsonl==0.1.4'],
      ['target-postgres.txt', 'meltanolabs-target-postgres==0.8.1'],
    ] as const) {
      expect(read(`test/integration/requirements/${requirements}`)).to.match(new RegExp(`^${pin}$`, 'm'));
      expect(README).to.include(`pip install ${pin}`);
    }
  });
});

describe('crm-simulator --help', () => {
  it('counts the streams it serves from its own list', () => {
    const help = execFileSync(process.execPath, [join(ROOT, 'dist/src/simulator/cli.js'), '--help'], { encoding: 'utf8' });
    expect(help.replace(/\s+/g, ' ')).to.include(`Records over the ${STREAM_NAMES.length} list streams`);
    expect(STREAM_NAMES.length).to.equal(27);
  });
});
