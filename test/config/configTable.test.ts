import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { ENV_DOCS, loadConfig } from '../../config/index.js';
import { README_PATH, checkConfigTable, readmeTable, renderConfigTable, withConfigTable } from '../../scripts/config-table.js';

describe('README configuration table', () => {
  const readme = readFileSync(README_PATH, 'utf8');

  it('is the table the config schema renders (npm run docs:config -- --write regenerates it)', () => {
    const result = checkConfigTable(readme);
    expect(result.differences).to.deep.equal([]);
    expect(result.current).to.equal(true);
  });

  it('is caught when a row says something the schema does not', () => {
    const changed = readme.replace('| `PORT` | 3000 |', '| `PORT` | 8080 |');
    expect(changed).to.not.equal(readme);
    const result = checkConfigTable(changed);
    expect(result.current).to.equal(false);
    expect(result.differences).to.include('- | `PORT` | 8080 | HTTP and Socket.io port (0 picks a free one) |');
    expect(result.differences).to.include('+ | `PORT` | 3000 | HTTP and Socket.io port (0 picks a free one) |');
  });

  it('is caught when a variable is missing or rows are reordered', () => {
    const rows = readmeTable(readme).split('\n');
    const withoutLast = withConfigTable(readme, rows.slice(0, -1).join('\n'));
    expect(checkConfigTable(withoutLast).current).to.equal(false);
    const swapped = [...rows.slice(0, 2), rows[3], rows[2], ...rows.slice(4)].join('\n');
    const reordered = checkConfigTable(withConfigTable(readme, swapped));
    expect(reordered.current).to.equal(false);
    expect(reordered.differences).to.have.length.greaterThan(0);
  });

  it('refuses a variable without a description or a default to show', () => {
    expect(() => renderConfigTable([{ name: 'NEW_KNOB', default: '1', meaning: '' }])).to.throw('NEW_KNOB');
    expect(() => renderConfigTable([{ name: 'NEW_KNOB', default: '', meaning: 'a knob' }])).to.throw('NEW_KNOB');
  });

  it('names each variable once, as loadConfig validates it', () => {
    const names = ENV_DOCS.map((d) => d.name);
    expect(new Set(names).size).to.equal(names.length);
    expect(() => loadConfig({ PORT: 'eighty' })).to.throw('PORT');
    expect(readmeTable(readme).match(/^\| `[A-Z0-9_]+` \|/gm)).to.have.length(names.length);
  });
});
