// The platform subsystem's public surface: other code imports it only through this file.
export { BatchWriter } from './batchWriter.js';
export { MemoryCache } from './cache/memoryCache.js';
export { RedisCache } from './cache/redisCache.js';
export type { Cache } from './cache/types.js';
export { connectMongo, pingMongo, startEmbeddedMongo } from './database.js';
export type { EmbeddedMongo } from './database.js';
export { AppError } from './errors.js';
export { HealthService } from './health.js';
export type { PartReport } from './health.js';
export { insertIgnoringDuplicates } from './insertMany.js';
export type { InsertTarget } from './insertMany.js';
export { createMetrics } from './metrics.js';
export type { Metrics } from './metrics.js';
export { protoKeyPath, protoKeyRefusal, rejectProtoKeys, validate } from './validation.js';
export { LoopLag } from './loopLag.js';
export { createLogger } from './logger.js';
