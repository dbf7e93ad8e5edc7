// The embedded wire server's thread: BSON decoding, queries and the store's writes use the second
// core instead of the request path's event loop. Loaded by database.ts (through tsx when run as .ts).
import { AsyncLocalStorage } from 'node:async_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { DrainGate } from './drainGate.js';
import { LmdbStorage, type StoreQuery } from './store.js';

export interface WorkerOptions {
  port: number;
  host: string;
  /** The LMDB file documents are stored in. */
  storePath: string;
  /** A whole-database JSON snapshot from earlier versions, imported once when the store is new. */
  legacySnapshot: string | null;
  /** Bytes written between two mappings of the store's file (store.ts); its default when absent. */
  remapBytes?: number;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the wire server's dist has no usable types */
const congo = (file: string): Promise<any> => import(pathToFileURL(require.resolve(`@push.rocks/smartmongo/dist_ts/congodb/${file}`)).href);

interface Served {
  coll: string;
  /** One query per statement, in the order the handler reads the collection for them. */
  queries: StoreQuery[] | 'none';
  next: number;
}

const count = (skip: unknown, limit: unknown): number => (Number(limit) ? Math.abs(Number(limit)) + (Number(skip) || 0) : 0);

/** What a command will ask of its collection, so that the store reads only the ranges that can match. */
function served(name: string, command: any, sequences: Map<string, any[]> | undefined): Served | undefined {
  const of = (coll: unknown, queries: StoreQuery[] | 'none'): Served | undefined =>
    typeof coll === 'string' ? { coll, queries, next: 0 } : undefined;
  switch (name) {
    case 'find':
      return of(command.find, [{ filter: command.filter, sort: command.sort, limit: count(command.skip, command.limit) }]);
    case 'count':
      return of(command.count, [{ filter: command.query, limit: count(command.skip, command.limit) }]);
    case 'distinct':
      return of(command.distinct, [{ filter: command.query, limit: 0 }]);
    case 'findAndModify':
      return of(command.findAndModify, [{ filter: command.query, sort: command.sort, limit: 1 }]);
    case 'update': {
      const updates: any[] = sequences?.get('updates') ?? command.updates ?? [];
      return of(
        command.update,
        updates.map((u) => ({ filter: u.q ?? u.filter, limit: u.multi ? 0 : 1 })),
      );
    }
    case 'delete': {
      const deletes: any[] = sequences?.get('deletes') ?? command.deletes ?? [];
      return of(
        command.delete,
        deletes.map((d) => ({ filter: d.q ?? d.filter, limit: d.limit === 0 ? 0 : 1 })),
      );
    }
    case 'aggregate': {
      const match = command.pipeline?.[0]?.$match;
      return match ? of(command.aggregate, [{ filter: match, limit: 0 }]) : undefined;
    }
    case 'createIndexes':
    case 'dropIndexes':
    case 'listIndexes':
      // The wire server's index engine reads every document into a map it never queries.
      return of(command[name], 'none');
    default:
      return undefined;
  }
}

async function main(opts: WorkerOptions): Promise<void> {
  const [{ CongoServer }, { CommandRouter }, { QueryEngine }, { MemoryStorageAdapter }, plugins] = await Promise.all([
    congo('index.js'),
    congo('server/CommandRouter.js'),
    congo('engine/QueryEngine.js'),
    congo('storage/MemoryStorageAdapter.js'),
    congo('congodb.plugins.js'),
  ]);
  // MongoDB orders strings by their bytes (the simple collation); the wire server used localeCompare,
  // which neither MongoDB nor the store's index order follows.
  const compare = QueryEngine.compareValues.bind(QueryEngine);
  QueryEngine.compareValues = (a: unknown, b: unknown) =>
    typeof a === 'string' && typeof b === 'string' ? (a < b ? -1 : a > b ? 1 : 0) : compare(a, b);

  const context = new AsyncLocalStorage<Served>();
  const storage = new LmdbStorage({
    path: opts.storePath,
    remapBytes: opts.remapBytes,
    bson: plugins.bson,
    matcher: (filter) => {
      const query = new plugins.Query(filter);
      return (doc) => query.test(doc);
    },
    queryFor: (_db, coll) => {
      const now = context.getStore();
      if (!now || now.coll !== coll) return undefined;
      if (now.queries === 'none') return 'none';
      return now.queries[now.next++];
    },
    legacy: opts.legacySnapshot
      ? {
          file: opts.legacySnapshot,
          load: async (file) => {
            const memory = new MemoryStorageAdapter({ persistPath: file });
            await memory.restore();
            return memory.databases;
          },
        }
      : undefined,
  });
  const server = new CongoServer({ port: opts.port, host: opts.host, storage: 'memory' });
  const router = new CommandRouter(storage, server);
  const route = router.route.bind(router);
  const gate = new DrainGate();
  const remapFailed = (err: unknown) => process.stderr.write(`embedded MongoDB: mapping the store's file again failed: ${String(err)}\n`);
  // A command is answered once what it wrote is committed: an acknowledged write survives a crash.
  router.route = (parsed: any) =>
    gate.run(async () => {
      if (parsed.commandName === 'embeddedStats')
        return { ok: 1, fullScans: Object.fromEntries(storage.fullScans), remapped: storage.remapped };
      const answer = await context.run(served(parsed.commandName, parsed.command, parsed.documentSequences) as Served, () => route(parsed));
      await storage.committed();
      if (storage.remapDue) gate.pause(() => storage.remap(), remapFailed);
      return answer;
    });
  server.storage = storage;
  server.commandRouter = router;
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
