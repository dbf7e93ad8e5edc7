// Run as a child process by the embedded database's crash test: writes documents one by one,
// printing each acknowledged one, and kills itself (SIGKILL, no clean stop) after `count`.
import { connectMongo, startEmbeddedMongo } from '../../services/platform/database.js';

async function main(): Promise<void> {
  const [dataDir, countArg] = process.argv.slice(2);
  const mongo = await startEmbeddedMongo({ dataDir: dataDir! });
  const conn = await connectMongo(mongo.uri, { dbName: 'crash', embedded: true });
  const coll = conn.db!.collection('acks');
  for (let i = 0; i < Number(countArg); i++) {
    await coll.insertOne({ n: i, at: new Date() });
    process.stdout.write(`acked ${i}\n`);
  }
  process.kill(process.pid, 'SIGKILL');
}

void main();
