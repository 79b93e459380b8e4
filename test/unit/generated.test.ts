import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CATALOG_FILE,
  README_FILE,
  renderCatalog,
  renderReadme,
  renderSettingsValidator,
  renderTypes,
  TYPES_FILE,
  VALIDATOR_FILE,
} from '../../src/tools/generate.js';
import { ROOT } from '../../src/paths.js';

describe('generated artefacts are in sync with schemas/ (run `npm run generate` when this fails)', () => {
  it(`${CATALOG_FILE} equals what --discover prints`, () => {
    expect(readFileSync(join(ROOT, CATALOG_FILE), 'utf8')).to.equal(renderCatalog());
  });

  it(`${VALIDATOR_FILE} equals what ajv compiles of schemas/settings.json`, () => {
    expect(readFileSync(join(ROOT, VALIDATOR_FILE), 'utf8')).to.equal(renderSettingsValidator());
  });

  it(`${README_FILE}'s settings and streams tables equal what the settings schema and the stream table give`, () => {
    const readme = readFileSync(join(ROOT, README_FILE), 'utf8');
    expect(readme).to.equal(renderReadme(readme));
  });

  it(`${TYPES_FILE} equals what json-schema-to-typescript makes of schemas/`, async () => {
    expect(readFileSync(join(ROOT, TYPES_FILE), 'utf8')).to.equal(await renderTypes());
  });
});
