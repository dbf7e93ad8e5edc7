// The embedded chain: a Hardhat node child process on a free loopback port, and
// an anchoring key generated into the data folder (or per process without one).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../../../utils/net.js';
import { PROJECT_ROOT, projectFile } from '../../../utils/paths.js';
import { probeChainId, type ChainTarget } from './chain.js';

export interface EmbeddedChain {
  target: ChainTarget;
  /** Stops the node; resolves when the process has exited. */
  stop(): Promise<void>;
  /** Resolves when the node exits for any reason. */
  exited: Promise<number | null>;
}

const READY_TIMEOUT_MS = 60_000;

/** The anchoring key of the embedded chain: kept in DATA_DIR (mode 0600) so the submitter stays the same across restarts. */
export function embeddedAnchorKey(dataDir: string | null): string {
  if (!dataDir) return `0x${randomBytes(32).toString('hex')}`;
  const file = path.resolve(dataDir, 'anchor-key');
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim();
    if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new Error(`${file} does not hold a 0x-prefixed 32-byte hex key`);
    return key;
  }
  mkdirSync(dataDir, { recursive: true });
  const key = `0x${randomBytes(32).toString('hex')}`;
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

/** `signal`: aborting it while the node starts kills it (a stop that comes first); after, it does nothing. */
export async function startEmbeddedChain(opts: { dataDir: string | null; port?: number; signal?: AbortSignal }): Promise<EmbeddedChain> {
  const port = opts.port ?? (await freePort());
  opts.signal?.throwIfAborted();
  const cli = require.resolve('hardhat/internal/cli/cli.js');
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--require',
      projectFile('services', 'audit', 'anchoring', 'exitWithParent.cjs'),
      cli,
      'node',
      '--hostname',
      '127.0.0.1',
      '--port',
      String(port),
    ],
    {
      cwd: PROJECT_ROOT,
      env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true' },
      // The node logs every RPC call on stdout: not ours to keep. stderr is kept for a failed start.
      stdio: ['pipe', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let gone = false;
  void exited.then(() => (gone = true));
  const abort = () => child.kill('SIGKILL');
  opts.signal?.addEventListener('abort', abort, { once: true });
  for (;;) {
    if (opts.signal?.aborted) throw new Error('the embedded Hardhat node was stopped before it was ready');
    if (gone) throw new Error(`the embedded Hardhat node exited before it was ready:\n${stderr}`);
    try {
      await probeChainId(url, 1000);
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`the embedded Hardhat node was not ready after ${READY_TIMEOUT_MS} ms: ${(err as Error).message}\n${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  opts.signal?.removeEventListener('abort', abort);
  let stopping: Promise<void> | null = null;
  return {
    target: { rpcUrl: url, privateKey: embeddedAnchorKey(opts.dataDir), contract: null, embedded: true },
    exited,
    stop: () =>
      (stopping ??= (async () => {
        if (gone) return;
        child.kill('SIGTERM');
        const hard = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(hard);
      })()),
  };
}
