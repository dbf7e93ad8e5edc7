// The README's configuration table, rendered from the config schema (config/schema.ts) so the two
// cannot drift. `npm run docs:config` prints it, `-- --write` puts it into README.md between the
// marker comments, `-- --check` exits 1 when README.md's table is not the rendered one.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ENV_DOCS, type EnvDoc } from '../config/index.js';

export const TABLE_START = '<!-- config-table:start -->';
export const TABLE_END = '<!-- config-table:end -->';
export const README_PATH = path.join(__dirname, '..', 'README.md');

const cell = (text: string) => text.replace(/\|/g, '\\|');

/** The markdown table, one row per variable in schema order; a variable without a meaning or a default to show is refused. */
export function renderConfigTable(docs: readonly EnvDoc[] = ENV_DOCS): string {
  const rows = docs.map((d) => {
    if (!d.meaning) throw new Error(`config schema: ${d.name} has no .description()`);
    if (!d.default) throw new Error(`config schema: ${d.name} has no default to show; add .meta(shown('...'))`);
    return `| \`${d.name}\` | ${cell(d.default)} | ${cell(d.meaning)} |`;
  });
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

function markers(readme: string): { start: number; end: number } {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${TABLE_START} ... ${TABLE_END} section`);
  return { start: start + TABLE_START.length, end };
}

/** The table README.md holds between the markers, without the surrounding blank lines. */
export function readmeTable(readme: string): string {
  const { start, end } = markers(readme);
  return readme.slice(start, end).trim();
}

/** README.md's text with the section between the markers replaced by `table`. */
export function withConfigTable(readme: string, table: string): string {
  const { start, end } = markers(readme);
  return `${readme.slice(0, start)}\n${table}\n${readme.slice(end)}`;
}

export interface TableCheck {
  current: boolean;
  /** Rows the schema renders that README.md lacks (+), and rows README.md has that the schema does not render (-). */
  differences: string[];
}

export function checkConfigTable(readme: string, docs: readonly EnvDoc[] = ENV_DOCS): TableCheck {
  const expected = renderConfigTable(docs).split('\n');
  const actual = readmeTable(readme).split('\n');
  const differences = [
    ...expected.filter((line) => !actual.includes(line)).map((line) => `+ ${line}`),
    ...actual.filter((line) => !expected.includes(line)).map((line) => `- ${line}`),
  ];
  // Same rows in another order is drift too.
  const current = expected.length === actual.length && expected.every((line, i) => line === actual[i]);
  if (!current && differences.length === 0) differences.push('rows are in another order than the schema');
  return { current, differences };
}

function main(argv: string[]): number {
  const mode = argv[0];
  if (mode === undefined) {
    console.log(renderConfigTable());
    return 0;
  }
  if (mode === '--check') {
    const { current, differences } = checkConfigTable(readFileSync(README_PATH, 'utf8'));
    if (current) return 0;
    console.error(
      `README.md's configuration table differs from config/schema.ts (run npm run docs:config -- --write):\n${differences.join('\n')}`,
    );
    return 1;
  }
  if (mode === '--write') {
    const readme = readFileSync(README_PATH, 'utf8');
    const next = withConfigTable(readme, renderConfigTable());
    if (next !== readme) writeFileSync(README_PATH, next);
    return 0;
  }
  console.error('usage: npm run docs:config [-- --check | --write]');
  return 2;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    console.error(`docs:config: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 2;
  }
}
