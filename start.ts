// The process entry: `npm start` runs its build (dist/start.js), `npm run dev` this source. Loading
// the app's modules holds the main thread for about a second; the embedded database's thread loads
// its own for as long. So this file reads the config and starts that thread (and opens the signal
// journal) first, with the few modules they need, and only then loads the app (main.ts, server.ts),
// while the thread starts on the other core.
import path from 'node:path';
import { ConfigError, loadConfig } from './config/index.js';
import { launchEmbeddedMongo } from './services/platform/embeddedMongo/start.js';
import { EmbeddedSignalStore, SIGNAL_JOURNAL_FILE } from './services/pipeline/signalStore/embedded.js';

async function start(): Promise<void> {
  const config = loadConfig();
  // DATA_DIR holds the database (password hashes) and generated secrets: owner-only files.
  process.umask(0o077);
  const embedded = config.mongodbUri
    ? null
    : {
        signals: EmbeddedSignalStore.open(path.resolve(config.dataDir, SIGNAL_JOURNAL_FILE)),
        db: (await launchEmbeddedMongo({ dataDir: config.dataDir })).started,
      };
  // A failed start of the thread is reported by main(), which awaits it; until then it is not unhandled.
  embedded?.db.catch(() => undefined);
  const { main } = await import('./main.js');
  await main({ config, embedded });
}

start().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
