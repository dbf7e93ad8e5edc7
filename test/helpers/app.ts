// Builds the real app on port 0 against the in-process MongoDB wire server
// (one per test process, a fresh database per app) and a chosen cache.
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import type { Connection } from 'mongoose';
import { createApp, type App } from '../../server.js';
import { loadConfig, type Config } from '../../config/index.js';
import { connectMongo, startEmbeddedMongo, type EmbeddedMongo } from '../../services/platform/database.js';
import { MemoryCache } from '../../services/platform/cache/memoryCache.js';
import { RedisCache } from '../../services/platform/cache/redisCache.js';
import type { Cache } from '../../services/platform/cache/types.js';
import type { Actuator, StationRegistration } from '../../eventBus/types.js';
import type { ChainTarget } from '../../services/audit/anchoring/chain.js';
import type { EventBus } from '../../eventBus/index.js';
import { startAdminProxy } from './asAdmin.js';
import type { Agent } from 'node:https';

let mongo: Promise<EmbeddedMongo> | null = null;

export function embeddedMongo(): Promise<EmbeddedMongo> {
  mongo ??= startEmbeddedMongo({ dataDir: null });
  return mongo;
}

export async function stopEmbeddedMongo(): Promise<void> {
  if (mongo) await (await mongo).stop();
  mongo = null;
}

export interface TestApp {
  app: App;
  /** Signs requests in as an admin unless they bring credentials (see asAdmin.ts). */
  url: string;
  /** The app itself: requests carry only the credentials the test sets. */
  directUrl: string;
  /** An admin's access token (the proxy's). */
  adminToken: string;
  conn: Connection;
  cache: Cache;
  dbName: string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  redisUrl?: string;
  env?: Record<string, string>;
  dbName?: string;
  /** Reuse a cache across app restarts (to test reloads). */
  cache?: Cache;
  /** Anchor on this chain; without it batches only queue in the database. */
  chain?: ChainTarget;
  /** Wire the app on this bus, so a test can listen before the app starts. */
  bus?: EventBus;
  /** The TLS agent the app's web push sends with. */
  pushAgent?: Agent;
  /** Who carries out the plans; none by default (decisions are recorded only). */
  actuator?: Actuator;
  /** Reach the database at this URI (e.g. through a proxy a test can cut) instead of the shared one. */
  mongoUri?: string;
  /** The built console to serve; default TEST_CONSOLE_DIR from the environment, else dist/console. */
  consoleDir?: string;
}

export async function startTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const config: Config = loadConfig({
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SIGNAL_FLUSH_MS: '5',
    STATE_FLUSH_MS: '50',
    ANCHOR_BATCH_MS: '1000',
    // Tests feed whole simulated runs as fast as the machine goes, as an operator or a device; the
    // per-sender signal limit has its own tests (which set it low).
    RATE_SIGNALS_PER_S: '100000',
    // ...and on a shared machine the event loop runs late now and then: load shedding has its own test.
    SHED_LAG_MS: '0',
    // Hundreds of starts here: the warm-up (half a second of a core each) has its own test.
    DECIDE_WARM_UP: '0',
    ...(opts.redisUrl ? { REDIS_URL: opts.redisUrl } : {}),
    ...opts.env,
  });
  const uri = opts.mongoUri ?? (process.env.MONGODB_URI || (await embeddedMongo()).uri);
  const dbName = opts.dbName ?? `test_${randomUUID().replace(/-/g, '')}`;
  const conn = await connectMongo(uri, { dbName, embedded: !process.env.MONGODB_URI });
  const cache = opts.cache ?? (opts.redisUrl ? await RedisCache.open(opts.redisUrl) : new MemoryCache({ maxClaims: config.dedupeMaxIds }));
  const app = await createApp({
    config,
    conn,
    cache,
    logger: pino({ level: 'silent' }),
    chain: opts.chain ?? null,
    bus: opts.bus,
    pushAgent: opts.pushAgent,
    actuator: opts.actuator ?? null,
    consoleDir: opts.consoleDir ?? (process.env.TEST_CONSOLE_DIR || undefined),
  });
  const directUrl = await app.listen();
  const admin = await app.services.users.create({
    email: `admin-${randomUUID().slice(0, 8)}@test.example`,
    password: randomUUID(),
    role: 'admin',
    stationScope: 'all',
  });
  const adminToken = await app.services.tokens.access(admin.user.id, 'admin');
  const proxy = await startAdminProxy(directUrl, () => adminToken);
  return {
    app,
    url: proxy.url,
    directUrl,
    adminToken,
    conn,
    cache,
    dbName,
    close: async () => {
      await proxy.close();
      await app.close();
      await conn.close();
      if (!opts.cache) await cache.close();
    },
  };
}

export function aRegistration(id: string, over: Partial<StationRegistration> = {}): StationRegistration {
  return {
    id,
    name: `Station ${id}`,
    location: { lat: 52.52, lng: 13.405 },
    capacity: { bays: 4, chargers: 6, batterySlots: 40 },
    ...over,
  };
}
