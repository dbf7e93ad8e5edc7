// `npm run replay -- FILE`: feeds a replay log (npm run export) into a fresh pipeline and reports
// whether every decision comes out with the same id and hash. Exit 0 when all are identical, 1 when
// any differs, is missing or is extra, 2 on bad input.
import { readFile } from 'node:fs/promises';
import { parseLog, replay } from './replay/log.js';

const USAGE = 'usage: npm run replay -- FILE';

async function main(argv: string[]): Promise<number> {
  const file = argv[0];
  if (!file || argv.length !== 1 || file.startsWith('-')) throw new Error('give one replay log file');
  const r = replay(parseLog(await readFile(file, 'utf8')));
  const pct = r.decisionsRecorded ? ((100 * r.identical) / r.decisionsRecorded).toFixed(1) : '100.0';
  console.log(
    `replay: ${r.signals} signals; ${r.decisionsRecorded} decisions recorded, ${r.decisionsReplayed} made again; ${r.identical} identical (${pct} %)`,
  );
  if (r.policyVersion.recorded && r.policyVersion.recorded !== r.policyVersion.replayed) {
    console.log(
      `policy version differs: recorded ${r.policyVersion.recorded}, replayed ${r.policyVersion.replayed} (thresholds or policy not as they were)`,
    );
  }
  for (const [what, ids] of [
    ['different hash', r.differing],
    ['not made again', r.missing],
    ['made but not recorded', r.extra],
  ] as const) {
    if (ids.length) console.log(`${what}: ${ids.length} (${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', ...' : ''})`);
  }
  console.log(r.ok ? 'PASS every decision hash is the same' : 'FAIL the replay differs from the record');
  return r.ok ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      console.error(`replay: ${(err as Error).message}\n${USAGE}`);
      process.exitCode = 2;
    },
  );
}
