// Starting the embedded wire server's thread. Kept apart from database.ts (mongoose) so that the
// process entry (start.ts) can start the thread before it loads the app's modules: the thread loads
// its own meanwhile, on the other core.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import { freePort } from '../../../utils/net.js';
import type { WorkerOptions } from './worker.js';

export interface EmbeddedMongo {
  uri: string;
  stop(): Promise<void>;
}

/** The store's file in DATA_DIR, and the whole-database snapshot earlier versions wrote (imported once). */
export const EMBEDDED_DB_FILE = 'documents.mdb';
const LEGACY_SNAPSHOT = 'embedded-db.json';

/** Runs the worker's module as it is: TypeScript through tsx (npm run dev, tests), or the built JavaScript. */
function workerSource(): string {
  const file = path.join(__dirname, `worker${path.extname(__filename)}`);
  const tsx = file.endsWith('.ts') ? `require(${JSON.stringify(require.resolve('tsx/cjs'))});` : '';
  return `${tsx}require(${JSON.stringify(file)});`;
}

export interface EmbeddedMongoOptions {
  /** With no data folder (tests, benchmarks) the store lives in a temporary folder removed on stop. */
  dataDir: string | null;
  /** Bytes written between two mappings of the store's file (store.ts; tests make it small). */
  remapBytes?: number;
}

/**
 * Starts the thread and resolves as soon as it runs; `started` resolves once it serves. The caller
 * may do other work in between (the process entry loads the app's modules).
 */
export async function launchEmbeddedMongo(opts: EmbeddedMongoOptions): Promise<{ started: Promise<EmbeddedMongo> }> {
  const port = await freePort();
  const scratch = opts.dataDir ? null : mkdtempSync(path.join(tmpdir(), 'copilot-db-'));
  const dataDir = opts.dataDir ?? scratch!;
  mkdirSync(dataDir, { recursive: true });
  const workerData: WorkerOptions = {
    port,
    host: '127.0.0.1',
    storePath: path.resolve(dataDir, EMBEDDED_DB_FILE),
    legacySnapshot: scratch ? null : path.resolve(dataDir, LEGACY_SNAPSHOT),
    remapBytes: opts.remapBytes,
  };
  const worker = new Worker(workerSource(), { eval: true, workerData });
  const started = new Promise<string>((resolve, reject) => {
    worker.once('message', (m: { uri?: string; error?: string }) =>
      m.uri ? resolve(m.uri) : reject(new Error(`embedded MongoDB failed to start: ${m.error}`)),
    );
    worker.once('error', reject);
  }).then((uri): EmbeddedMongo => {
    let stopped: Promise<void> | null = null;
    return {
      uri,
      stop: () =>
        (stopped ??= new Promise<void>((resolve) => {
          // The worker flushes its journal on stop; only then is it terminated.
          const done = () => {
            if (scratch) rmSync(scratch, { recursive: true, force: true });
            resolve();
          };
          worker.once('message', () => void worker.terminate().then(done));
          worker.once('exit', done);
          worker.postMessage('stop');
        })),
    };
  });
  return { started };
}

export async function startEmbeddedMongo(opts: EmbeddedMongoOptions): Promise<EmbeddedMongo> {
  return (await launchEmbeddedMongo(opts)).started;
}
