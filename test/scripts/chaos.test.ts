// `npm run chaos`, short: two instances on one Redis (AOF always) and one MongoDB, signals to both with
// acknowledgements, one SIGKILL: nothing acknowledged lost, no decision stored twice, and the dashboard
// of the instance never killed saw every decision, wherever it was made.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseOptions } from '../../scripts/chaos.js';
import { UsageError } from '../../scripts/cli.js';

const run = promisify(execFile);

describe('npm run chaos', function () {
  this.timeout(180_000);

  it('loses no acknowledged signal, stores and anchors no decision twice across a SIGKILL, and shows every decision on the other instance', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chaos-test-'));
    const out = join(dir, 'chaos.json');
    try {
      const args = ['--instances', '2', '--kills', '1', '--signals', '1500', '--rate', '400', '--stations', '4', '--quiet', '--out', out];
      const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/chaos.ts', ...args], { timeout: 170_000 });
      const r = JSON.parse(await readFile(out, 'utf8'));
      expect(r.acknowledged).to.equal(1500);
      expect(r.lost).to.equal(0);
      expect(r.foldedBeyondAcknowledged).to.equal(0);
      expect(r.decisions).to.be.greaterThan(0);
      expect(r.duplicateIds).to.equal(0);
      expect(r.duplicateHashes).to.equal(0);
      expect(r.restartMs).to.have.length(1);
      const steady = r.dashboards.filter((d: { killed: number }) => d.killed === 0);
      expect(steady).to.have.length(1);
      expect(steady[0].saw).to.equal(r.decisions);
      expect(stdout).to.match(/lost 0, folded beyond the acknowledged 0/);
      // Every record (decisions, explanations, the stations' registrations) in exactly one stored batch.
      expect(r.anchoring.records).to.equal(2 * r.decisions + 4);
      expect(r.anchoring).to.include({ leaves: r.anchoring.records, missing: 0, duplicates: 0, duplicateSeqs: 0, orphans: 0 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses flags out of range, naming them', () => {
    expect(() => parseOptions(['--instances', '0'])).to.throw(UsageError, /instances/);
    expect(() => parseOptions(['--lease-ms', '10'])).to.throw(UsageError, /lease-ms/);
  });
});
