// MongoDB through mongoose; the embedded default is the in-process wire server (see RECIPES.md) in a
// worker thread, its documents journaled to LMDB in DATA_DIR as they are written (embeddedMongo/).
import mongoose, { type Connection } from 'mongoose';

export { EMBEDDED_DB_FILE, launchEmbeddedMongo, startEmbeddedMongo } from './embeddedMongo/start.js';
export type { EmbeddedMongo } from './embeddedMongo/start.js';

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
