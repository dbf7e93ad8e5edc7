// End to end, as a user runs it: start the server on embedded defaults, feed it with
// `npm run simulate`'s script, read decisions over REST, stop it, start it again.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import request from 'supertest';

const ROOT = path.resolve(__dirname, '../..');

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

function startServer(dataDir: string): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info', SIMULATE: '0', SIMULATE_STATIONS: '5', MONGODB_URI: '', REDIS_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /listening on (http:\/\/[0-9.:]+)/.exec(out);
      if (m) resolve({ child, url: m[1], output: () => out });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening:\n${out}`)));
  });
}

function stop(s: Started): Promise<number | null> {
  return new Promise((resolve) => {
    s.child.once('exit', (code) => resolve(code));
    s.child.kill('SIGTERM');
  });
}

function run(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
    child.once('exit', (code) => resolve({ code, out }));
  });
}

describe('e2e: npm start, simulate, restart', function () {
  this.timeout(120_000);
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'copilot-e2e-'));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('seeds the demo city, takes simulated signals, makes decisions, and keeps them across a restart', async () => {
    const first = await startServer(dataDir);
    let stations: { id: string }[];
    let decisions: { id: string; hash: string }[];
    try {
      const st = await request(first.url).get('/api/stations').expect(200);
      stations = st.body.items;
      expect(stations).to.have.length(5);

      const truth = path.join(dataDir, 'truth.json');
      const sim = await run(['scripts/simulate.ts', '--url', first.url, '--stations', '5', '--scenario', 'heatwave', '--duration', '90', '--rate', '0', '--quiet', '--truth', truth, '--keys', path.join(dataDir, 'keys.json')]);
      expect(sim.code, sim.out).to.equal(0);

      const d = await request(first.url).get('/api/decisions').query({ limit: 200 }).expect(200);
      decisions = d.body.items;
      expect(decisions.length).to.be.greaterThan(0);
      const m = await request(first.url).get('/metrics').expect(200);
      expect(m.text).to.match(/copilot_signals_accepted_total\{type="charger_temp"\} [1-9]/);
    } finally {
      expect(await stop(first)).to.equal(0);
    }
    expect(first.output()).to.include('stopped cleanly');

    const second = await startServer(dataDir);
    try {
      expect(second.output()).to.not.include('demo city seeded');
      const again = await request(second.url).get('/api/decisions').query({ limit: 200 }).expect(200);
      expect(again.body.items.map((x: { id: string; hash: string }) => [x.id, x.hash])).to.deep.equal(decisions.map((x) => [x.id, x.hash]));
      const st = await request(second.url).get(`/api/stations/${stations[0].id}`).expect(200);
      expect(st.body.version).to.be.greaterThan(0);
    } finally {
      expect(await stop(second)).to.equal(0);
    }
  });
});
