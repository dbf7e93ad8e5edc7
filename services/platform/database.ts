// MongoDB through mongoose; the embedded default is the in-process wire server (see RECIPES.md) in a
// worker thread, its documents journaled to LMDB in DATA_DIR as they are written (embeddedMongo/).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import mongoose, { type Connection } from 'mongoose';
import { freePort } from '../../utils/net.js';
import type { WorkerOptions } from './embeddedMongo/worker.js';

export interface EmbeddedMongo {
  uri: string;
  stop(): Promise<void>;
}

/** The journal's file in DATA_DIR, and the whole-database snapshot earlier versions wrote (imported once). */
export const EMBEDDED_DB_FILE = 'documents.mdb';
const LEGACY_SNAPSHOT = 'embedded-db.json';

/** Runs the worker's module as it is: TypeScript through tsx (npm start, tests), or the built JavaScript. */
function workerSource(): string {
  const file = path.join(__dirname, 'embeddedMongo', `worker${path.extname(__filename)}`);
  const tsx = file.endsWith('.ts') ? `require(${JSON.stringify(require.resolve('tsx/cjs'))});` : '';
  return `${tsx}require(${JSON.stringify(file)});`;
}

/** With no data folder (tests, benchmarks) the store lives in a temporary folder removed on stop. */
/** `remapBytes`: bytes written between two mappings of the store's file (store.ts; tests make it small). */
export async function startEmbeddedMongo(opts: { dataDir: string | null; remapBytes?: number }): Promise<EmbeddedMongo> {
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
  const uri = await new Promise<string>((resolve, reject) => {
    worker.once('message', (m: { uri?: string; error?: string }) =>
      m.uri ? resolve(m.uri) : reject(new Error(`embedded MongoDB failed to start: ${m.error}`)),
    );
    worker.once('error', reject);
  });
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
}

export async function connectMongo(uri: string, opts: { dbName?: string; embedded?: boolean } = {}): Promise<Connection> {
  // The embedded server does not answer the streaming (awaitable hello) monitor: the driver then marks
  // it unknown every few seconds and stalls operations ~500 ms on server selection. Polling avoids it.
  const monitoring = opts.embedded ? { serverMonitoringMode: 'poll' as const } : {};
  // A database named in the URI (mongodb://host/mydb) is the operator's choice; without one, "copilot".
  const named = /^mongodb(?:\+srv)?:\/\/[^/]+\/([^?/]+)/.exec(uri)?.[1];
  const conn = mongoose.createConnection(uri, {
    dbName: opts.dbName ?? (named ? decodeURIComponent(named) : 'copilot'),
    serverSelectionTimeoutMS: 5000,
    maxPoolSize: 20,
    ...monitoring,
  });
  await conn.asPromise();
  return conn;
}

export async function pingMongo(conn: Connection): Promise<boolean> {
  try {
    // readyState is not used: against the embedded server mongoose reports 0 while commands succeed.
    if (!conn.db) return false;
    await conn.db.command({ ping: 1 }, { timeoutMS: 2000 });
    return true;
  } catch {
    return false;
  }
}
