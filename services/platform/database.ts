// MongoDB through mongoose; the embedded default is the in-process wire server
// (see RECIPES.md): in memory, snapshotted to DATA_DIR, reloaded on start.
import { mkdirSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import mongoose, { type Connection } from 'mongoose';
import { freePort } from '../../utils/net.js';

export interface EmbeddedMongo {
  uri: string;
  stop(): Promise<void>;
}

// The wire server runs in a worker thread: BSON decoding, storage and snapshot
// serialisation then use the second core instead of the request path's event loop.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');
(async () => {
  const { CongoServer } = await import(pathToFileURL(workerData.modulePath).href);
  const server = new CongoServer(workerData.options);
  await server.start();
  parentPort.postMessage({ uri: server.getConnectionUri() });
  parentPort.on('message', async (m) => {
    if (m !== 'stop') return;
    await server.stop();
    parentPort.postMessage({ stopped: true });
  });
})().catch((err) => parentPort.postMessage({ error: String(err && err.stack || err) }));
`;

export async function startEmbeddedMongo(opts: { dataDir: string | null; persistMs: number }): Promise<EmbeddedMongo> {
  const port = await freePort();
  let persistPath: string | undefined;
  if (opts.dataDir) {
    mkdirSync(opts.dataDir, { recursive: true });
    persistPath = path.resolve(opts.dataDir, 'embedded-db.json');
  }
  const options = { port, host: '127.0.0.1', storage: 'memory', persistPath, persistIntervalMs: persistPath ? opts.persistMs : undefined };
  const modulePath = require.resolve('@push.rocks/smartmongo/dist_ts/congodb/index.js');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { modulePath, options } });
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
        // The worker persists its snapshot on stop; only then is it terminated.
        worker.once('message', () => void worker.terminate().then(() => resolve()));
        worker.once('exit', () => resolve());
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
