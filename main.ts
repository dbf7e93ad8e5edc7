// Running the copilot as a process: the embedded parts (database thread, signal journal, chain node)
// or the configured servers, the app from server.ts, the first admin, the demo city and simulator, and
// a stop that drains what was acknowledged. The process entry, start.ts, loads this module.
import { ConfigError, type Config } from './config/index.js';
import { MemoryCache, RedisCache, connectMongo, createLogger, type Cache, type EmbeddedMongo } from './services/platform/index.js';
import { moveLegacySignals, type EmbeddedSignalStore } from './services/pipeline/index.js';
import { startEmbeddedChain, type EmbeddedChain } from './services/audit/index.js';
import { createApp } from './server.js';
import { banner } from './utils/banner.js';

/** A stop (SIGTERM, SIGINT) that has not finished by then exits anyway. */
const STOP_DEADLINE_MS = 9_000;

/** What the process entry (start.ts) starts before it loads this module: see there. */
export interface EarlyStart {
  /** Read and checked by start.ts, which also set the owner-only umask. */
  config: Config;
  /** Without MONGODB_URI: the embedded database's thread, started, and the signal journal, opened. */
  embedded: { db: Promise<EmbeddedMongo>; signals: EmbeddedSignalStore } | null;
}

/** Runs the copilot until SIGTERM/SIGINT, on what the process entry (start.ts) started. */
export async function main({ config, embedded: early }: EarlyStart): Promise<void> {
  const logger = createLogger(config);
  // The embedded chain starts once the app is listening: its node takes a core for seconds as it loads,
  // which a restart would otherwise wait on. The app serves (and queues anchors) until it is up.
  let chain: Promise<EmbeddedChain> | null = null;
  let startChain = () => {};
  // A stop while the node is still starting kills it instead of waiting for it.
  const chainStop = new AbortController();
  if (config.chainMode === 'embedded') {
    const dataDir = config.dataDir;
    chain = new Promise<void>((resolve) => (startChain = resolve)).then(() => startEmbeddedChain({ dataDir, signal: chainStop.signal }));
    chain.then(
      (c) => {
        logger.info(
          { rpcUrl: c.target.rpcUrl },
          'embedded Hardhat node started (for demos and development; it starts empty, so stored history is re-anchored)',
        );
        void c.exited.then((code) => {
          if (!stopping) logger.error({ code }, 'the embedded Hardhat node exited; anchoring waits for a chain');
        });
      },
      (err: unknown) => {
        if (!stopping) logger.error({ err }, 'the embedded Hardhat node did not start; anchoring stays queued');
      },
    );
  }
  let stopping = false;
  let embedded: EmbeddedMongo | null = null;
  let uri = config.mongodbUri;
  // Raw signals, days of them, go to their own journal, not to the embedded database.
  const signals = early?.signals;
  let recentIds: Promise<{ stationId: string; signalId: string }[]> | undefined;
  if (early) {
    // While the database's thread loads its documents, this one reads the ids the dedupe cache reloads.
    recentIds = early.signals.recentIds(config.dedupeReloadLimit);
    embedded = await early.db;
    uri = embedded.uri;
    logger.info(
      { dataDir: config.dataDir },
      'embedded MongoDB wire server started (in memory, every write journaled to DATA_DIR; for demos and development)',
    );
  }
  if (!uri) throw new Error('neither MONGODB_URI nor the embedded database: start through start.ts');
  const conn = await connectMongo(uri, { embedded: embedded !== null });
  // Signals moved in from an older data folder were not in the journal when its ids were read ahead.
  if (signals && (await moveLegacySignals(conn, signals, logger)) > 0) recentIds = undefined;
  // A REDIS_URL that does not answer stops the start (exit 2) rather than queueing against nothing.
  const cache: Cache = config.redisUrl
    ? await RedisCache.open(config.redisUrl).catch((err: Error) => {
        throw new ConfigError(`REDIS_URL: ${err.message}`);
      })
    : new MemoryCache({ maxClaims: config.dedupeMaxIds });
  // The simulator is loaded only for the demo; with SIMULATE=1 it also carries out the plans.
  const demo = config.seedDemo || config.simulate ? await import('./simulator/demo.js') : null;
  const loop = demo && config.simulate ? demo.demoLoop() : null;
  const app = await createApp({
    actuator: loop?.actuator ?? null,
    config,
    conn,
    cache,
    logger,
    embedded: { db: embedded !== null },
    chain: chain ? chain.then((c) => c.target) : undefined,
    secretsDir: config.dataDir,
    signals,
    recentIds,
  });
  const admin = await app.services.users.ensureFirstAdmin(config.adminEmail, config.adminPassword);
  if (admin) logger.info({ email: admin.email }, 'first admin created');

  if (demo && config.seedDemo) await demo.seedDemoCity(app.services.stations, config.simulateStations, logger);

  const url = await app.listen();
  startChain();
  // Since the process started (performance's time origin), loading the modules included.
  logger.info({ url, readyMs: Math.round(performance.now()) }, 'copilot ready');
  process.stdout.write(
    banner({
      url,
      createdAdmin: admin,
      adminEmail: config.adminEmail,
      demo:
        demo && app.services.stations.list().length
          ? { stations: app.services.stations.list().length, simulating: loop !== null, scenario: config.simulateScenario }
          : null,
      embeddedDataDir: embedded ? config.dataDir : null,
    }),
  );

  const stopSim = loop
    ? loop.start({
        stations: app.services.stations.list(),
        scenario: config.simulateScenario,
        rate: config.simulateRate,
        send: (signals) => app.services.ingestion.ingest(signals, performance.now()).then(() => undefined),
        log: logger,
      })
    : null;

  const shutdown = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal: sig }, 'shutting down: draining acknowledged work');
    // A node still starting is of no use to the stop: killed at once rather than waited for.
    chainStop.abort();
    // Whatever is acknowledged is already in the signal log (an ack waits for the write), so a stop
    // that cannot drain in time may exit: the folded state's last write-behind is what it can miss.
    const deadline = setTimeout(() => {
      logger.error({ afterMs: STOP_DEADLINE_MS }, 'stop did not finish in time; exiting (acknowledged signals are in the log)');
      process.exit(1);
    }, STOP_DEADLINE_MS);
    deadline.unref();
    try {
      if (stopSim) await stopSim();
      await app.close();
      await conn.close();
      await cache.close();
      if (embedded) await embedded.stop();
      if (chain)
        await chain.then(
          (c) => c.stop(),
          () => undefined,
        );
      logger.info('stopped cleanly');
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'unclean shutdown');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}
