// End to end, as a user runs it: start the server on embedded defaults with a first admin, feed it
// with `npm run simulate`'s script signed in as that admin, read decisions over REST, stop it, start it again.
// The first start runs the sources (`npm run dev`), the second the build `npm start` runs (dist/).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import { freePort } from '../../utils/net.js';

const ROOT = path.resolve(__dirname, '../..');
const ADMIN = { email: 'e2e@localhost.localdomain', password: randomBytes(18).toString('base64url') };

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

function startServer(dataDir: string, how: 'sources' | 'build'): Promise<Started> {
  const args = how === 'sources' ? ['--import', 'tsx', 'start.ts'] : ['dist/start.js'];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      SIMULATE: '0',
      SIMULATE_STATIONS: '5',
      MONGODB_URI: '',
      REDIS_URL: '',
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
    },
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
    // The simulator's own env credentials from the caller's shell must not stand in for the flags under test.
    const env = { ...process.env, COPILOT_EMAIL: '', COPILOT_PASSWORD: '', COPILOT_TOKEN: '' };
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
    child.once('exit', (code) => resolve({ code, out }));
  });
}

async function signIn(url: string): Promise<string> {
  const res = await request(url).post('/api/auth/login').send(ADMIN).expect(200);
  return `Bearer ${res.body.accessToken as string}`;
}

describe('e2e: npm start, simulate, restart', function () {
  this.timeout(120_000);
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'copilot-e2e-'));
    // What `npm start` does before it runs the server (incremental: quick when nothing changed).
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('seeds the demo city, takes simulated signals, makes decisions, and keeps them across a restart', async () => {
    const first = await startServer(dataDir, 'sources');
    let stations: { id: string }[];
    let decisions: { id: string; hash: string }[];
    try {
      const auth = await signIn(first.url);
      const st = await request(first.url).get('/api/stations').set('authorization', auth).expect(200);
      stations = st.body.items;
      expect(stations).to.have.length(5);

      const truth = path.join(dataDir, 'truth.json');
      const sim = await run([
        'scripts/simulate.ts',
        '--url',
        first.url,
        '--stations',
        '5',
        '--scenario',
        'heatwave',
        '--duration',
        '90',
        '--rate',
        '0',
        '--quiet',
        '--truth',
        truth,
        '--keys',
        path.join(dataDir, 'keys.json'),
        '--email',
        ADMIN.email,
        // One argument: a base64url password may begin with '-', which parseArgs would take for a flag.
        `--password=${ADMIN.password}`,
      ]);
      expect(sim.code, sim.out).to.equal(0);

      const d = await request(first.url).get('/api/decisions').set('authorization', auth).query({ limit: 200 }).expect(200);
      decisions = d.body.items;
      expect(decisions.length).to.be.greaterThan(0);
      const anonymous = await request(first.url).get('/api/decisions');
      expect(anonymous.status, 'GET /api/decisions without credentials').to.equal(401);
      // Scrapers and probes need no credentials.
      await request(first.url).get('/api/health').expect(200);
      const m = await request(first.url).get('/metrics').expect(200);
      expect(m.text).to.match(/copilot_signals_accepted_total\{type="charger_temp"\} [1-9]/);
    } finally {
      expect(await stop(first)).to.equal(0);
    }
    expect(first.output()).to.include('stopped cleanly');

    const second = await startServer(dataDir, 'build');
    try {
      // The compiled server found the files it reads beside the sources (its prompts, or it would not have
      // started; the chain's exit-with-parent hook, or the embedded chain would not come up).
      const until = Date.now() + 60_000;
      let chain: string | undefined;
      while (chain !== 'embedded' && Date.now() < until) {
        const h = await request(second.url).get('/api/health');
        chain = (h.body as { parts?: { chain?: { state?: string } } }).parts?.chain?.state;
        if (chain !== 'embedded') await new Promise((r) => setTimeout(r, 200));
      }
      expect(chain, second.output()).to.equal('embedded');
      expect(second.output()).to.not.include('demo city seeded');
      // What npm start runs serves the console it built, and the banner says where.
      expect(second.output()).to.match(/^ {2}Console +http:\/\/[0-9.:]+\/$/m);
      const page = await request(second.url).get('/').set('accept', 'text/html').expect(200);
      expect(page.text).to.match(/<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js">/);
      // The journal's recent ids, read while the database started, are back in the dedupe cache.
      expect(second.output()).to.match(/"reloaded":[1-9][0-9]*,.*recent signal ids reloaded into the dedupe cache/);
      // The admin was created on the first start and kept with the data; this start creates none.
      const auth = await signIn(second.url);
      const again = await request(second.url).get('/api/decisions').set('authorization', auth).query({ limit: 200 }).expect(200);
      expect(again.body.items.map((x: { id: string; hash: string }) => [x.id, x.hash])).to.deep.equal(decisions.map((x) => [x.id, x.hash]));
      const st = await request(second.url).get(`/api/stations/${stations[0].id}`).set('authorization', auth).expect(200);
      expect(st.body.version).to.be.greaterThan(0);
    } finally {
      expect(await stop(second)).to.equal(0);
    }
  });

  it('stops a start whose REDIS_URL does not answer with one line naming it, exit 2, instead of hanging', async () => {
    const port = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), 'copilot-e2e-redis-'));
    try {
      const child = spawn(process.execPath, ['dist/start.js'], {
        cwd: ROOT,
        env: { ...process.env, PORT: '0', DATA_DIR: dir, MONGODB_URI: '', REDIS_URL: `redis://127.0.0.1:${port}`, SIMULATE: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let err = '';
      child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      expect(code, err).to.equal(2);
      expect(err).to.match(new RegExp(`^REDIS_URL: Redis at redis://127\\.0\\.0\\.1:${port} did not answer within 5000 ms`, 'm'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
