import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { PROJECT_ROOT, projectFile } from '../../utils/paths.js';

describe('utils/paths: the project root from sources and from dist/', () => {
  it('is the folder of the project package.json, whatever the folder of the calling file', () => {
    expect(PROJECT_ROOT).to.equal(path.resolve(__dirname, '..', '..'));
    const pkg = JSON.parse(readFileSync(projectFile('package.json'), 'utf8')) as { name: string };
    expect(pkg.name).to.equal('station-ops-copilot');
    // The prompts the LLM services read resolve under it.
    expect(readFileSync(projectFile('prompts', 'explain.v1.md'), 'utf8')).to.have.length.greaterThan(0);
  });
});
