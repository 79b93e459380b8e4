/**
 * The project's address is written in several files that tools read on their own (package.json for npm,
 * pyproject.toml for pip, metadata.yaml for Airbyte, the README for people). package.json's `repository`
 * is the one to change; this test names every other file that does not follow it.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../src/paths.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  homepage: string;
  repository: { url: string };
  bugs: { url: string };
};
const base = /^git\+(https:\/\/github\.com\/[^/]+\/[^/.]+)\.git$/.exec(pkg.repository.url)?.[1];

const FILES = ['README.md', 'CONTRIBUTING.md', 'CHANGELOG.md', 'pyproject.toml', 'metadata.yaml', 'meltano.yml'].concat(
  readdirSync(join(ROOT, 'docs')).map((f) => join('docs', f)),
);

describe('the repository URL: package.json’s, everywhere', () => {
  it('package.json names the repository, its homepage and its issues under one address', () => {
    expect(base, pkg.repository.url).to.be.a('string');
    expect(pkg.homepage.startsWith(base!)).to.equal(true);
    expect(pkg.bugs.url).to.equal(`${base!}/issues`);
  });

  it('every github.com address of tap-crm in the docs and manifests is package.json’s', () => {
    const others: string[] = [];
    for (const file of FILES) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const [url] of text.matchAll(/https:\/\/github\.com\/[^/\s]+\/tap-crm\b/g)) if (url !== base) others.push(`${file}: ${url}`);
    }
    expect(others).to.deep.equal([]);
  });
});
