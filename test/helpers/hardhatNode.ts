// Starts `npx hardhat node` on a free loopback port for tests that need a real JSON-RPC chain
// (a separate process, as an auditor's tool or a deployed server would see it).
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { freePort } from '../../utils/net.js';

export interface HardhatNode {
  url: string;
  stop(): Promise<void>;
}

const ROOT = resolve(__dirname, '../..');

async function chainIdAt(url: string): Promise<string | null> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(1000),
    });
    const body = (await res.json()) as { result?: unknown };
    return typeof body.result === 'string' ? body.result : null;
  } catch {
    return null;
  }
}

function stopGroup(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return done();
    const pid = child.pid;
    // npx runs hardhat in a child of its own: signal the whole group this helper created.
    const kill = (signal: NodeJS.Signals) => {
      try {
        process.kill(-pid, signal);
      } catch {
        // Already gone.
      }
    };
    const force = setTimeout(() => kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      done();
    });
    kill('SIGTERM');
  });
}

/** Starts the node and resolves once it answers eth_chainId (polled, not slept on). */
export async function startHardhatNode(opts: { timeoutMs?: number } = {}): Promise<HardhatNode> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn('npx', ['hardhat', 'node', '--hostname', '127.0.0.1', '--port', String(port)], {
    cwd: ROOT,
    env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  // The node logs every request: keep draining the pipes, keeping a tail for error messages.
  let tail = '';
  const keep = (b: Buffer) => {
    tail = (tail + b.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: string | null = null;
  child.once('exit', (code, signal) => {
    exited = `exited with ${code ?? signal}`;
  });
  child.once('error', (err) => {
    exited = `could not start: ${err.message}`;
  });

  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  while ((await chainIdAt(url)) === null) {
    if (exited !== null || Date.now() > deadline) {
      await stopGroup(child);
      throw new Error(`hardhat node on port ${port} ${exited ?? 'did not answer eth_chainId in time'}:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, stop: () => stopGroup(child) };
}
