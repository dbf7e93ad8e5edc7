// MongoDB through mongoose; the embedded default is the in-process wire server
// (see RECIPES.md): in memory, snapshotted to DATA_DIR, reloaded on start.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import mongoose, { type Connection } from 'mongoose';
import { freePort } from '../utils/net.js';

export interface EmbeddedMongo {
  uri: string;
  stop(): Promise<void>;
}

export async function startEmbeddedMongo(opts: { dataDir: string | null; persistMs: number }): Promise<EmbeddedMongo> {
  const { CongoServer } = await import('@push.rocks/smartmongo/dist_ts/congodb/index.js');
  const port = await freePort();
  let persistPath: string | undefined;
  if (opts.dataDir) {
    mkdirSync(opts.dataDir, { recursive: true });
    persistPath = path.resolve(opts.dataDir, 'embedded-db.json');
  }
  const server = new CongoServer({ port, host: '127.0.0.1', storage: 'memory', persistPath, persistIntervalMs: persistPath ? opts.persistMs : undefined });
  await server.start();
  return { uri: server.getConnectionUri(), stop: () => server.stop() };
}

export async function connectMongo(uri: string, dbName = 'copilot'): Promise<Connection> {
  const conn = mongoose.createConnection(uri, { dbName, serverSelectionTimeoutMS: 5000, maxPoolSize: 20 });
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
