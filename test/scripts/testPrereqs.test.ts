// npm test's own set-up: a missing redis-server is installed when the user may, and otherwise the run
// stops at once with one line that says the command to run.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';

const SCRIPT = path.resolve(__dirname, '..', '..', 'scripts', 'test-prereqs.ts');
const prereqs = (envPath: string) =>
  spawnSync(process.execPath, ['--import', 'tsx', SCRIPT], {
    cwd: path.resolve(__dirname, '..', '..'),
    env: { PATH: envPath, TEST_PREREQS_NO_INSTALL: '1', HOME: process.env.HOME ?? '/tmp' },
    encoding: 'utf8',
  });

describe('npm test prerequisites (scripts/test-prereqs.ts)', function () {
  this.timeout(30_000);
  const dir = mkdtempSync(path.join(tmpdir(), 'prereqs-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('stops at once with one line naming the command to run when redis-server is missing and cannot be installed', () => {
    const r = prereqs(path.join(dir, 'nothing-here'));
    expect(r.status).to.equal(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.contain('redis-server').and.contain('sudo apt-get install -y redis-server chromium');
  });

  it('lets the run go on when redis-server and chromium are on PATH', () => {
    const bin = path.join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    for (const name of ['redis-server', 'chromium']) {
      writeFileSync(path.join(bin, name), '#!/bin/sh\nexit 0\n');
      chmodSync(path.join(bin, name), 0o755);
    }
    const r = prereqs(bin);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stderr).to.equal('');
  });
});
