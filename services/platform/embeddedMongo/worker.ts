// The embedded wire server's thread: BSON decoding, queries and the journal's writes use the second
// core instead of the request path's event loop. Loaded by database.ts (through tsx when run as .ts).
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { journaledStorage, type MemoryAdapter } from './journal.js';

export interface WorkerOptions {
  port: number;
  host: string;
  /** The LMDB file documents are journaled to; null keeps them in memory only (tests). */
  journalPath: string | null;
  legacySnapshot: string | null;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the wire server's dist has no usable types */
const congo = (file: string): Promise<any> => import(pathToFileURL(require.resolve(`@push.rocks/smartmongo/dist_ts/congodb/${file}`)).href);

async function main(opts: WorkerOptions): Promise<void> {
  const { CongoServer } = await congo('index.js');
  const server = new CongoServer({ port: opts.port, host: opts.host, storage: 'memory' });
  if (opts.journalPath) {
    const [{ MemoryStorageAdapter }, { CommandRouter }, plugins] = await Promise.all([
      congo('storage/MemoryStorageAdapter.js'),
      congo('server/CommandRouter.js'),
      congo('congodb.plugins.js'),
    ]);
    const Journaled = journaledStorage(MemoryStorageAdapter as new (o: Record<string, unknown>) => MemoryAdapter, plugins.bson);
    const storage = new Journaled(opts.journalPath, opts.legacySnapshot);
    const router = new CommandRouter(storage, server);
    const route = router.route.bind(router);
    // A command is answered once what it wrote is committed to the journal: an acknowledged write
    // survives a crash of the process.
    router.route = async (command: unknown) => {
      const answer = await route(command);
      await storage.committed();
      return answer;
    };
    server.storage = storage;
    server.commandRouter = router;
  }
  await server.start();
  parentPort!.postMessage({ uri: server.getConnectionUri() });
  parentPort!.on('message', (m: unknown) => {
    if (m !== 'stop') return;
    void server.stop().then(
      () => parentPort!.postMessage({ stopped: true }),
      (err: unknown) => parentPort!.postMessage({ stopped: true, error: String(err) }),
    );
  });
}

main(workerData as WorkerOptions).catch((err: unknown) => parentPort!.postMessage({ error: String((err as Error)?.stack ?? err) }));
