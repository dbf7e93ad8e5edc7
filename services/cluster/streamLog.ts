// SIGNAL_LOG=stream put together: ingestion appends to the partition streams and answers, this
// instance holds a fair share of the partition leases, and its consumer works the partitions it holds
// through the pipeline (services/pipeline/streamPipeline.ts).
import type { Logger } from 'pino';
import type { Signal } from '../../eventBus/types.js';
import { RedisCache } from '../platform/index.js';
import type { Cache } from '../platform/index.js';
import type { StreamPipeline } from '../pipeline/index.js';
import { LeaseManager } from './leases.js';
import { SignalStream } from './signalStream.js';
import { StreamConsumer, leaseName, partitionOfLease } from './streamConsumer.js';

export interface StreamLogOptions {
  cache: Cache;
  partitions: number;
  leaseMs: number;
  /** The station's partition (StationStore.partitionOf). */
  partitionOf(stationId: string): number;
  pipeline: StreamPipeline;
  logger: Logger;
}

export interface StreamLog {
  /** What ingestion appends to (IngestionService.appendTo): claims and appends together. */
  appendNew(signals: readonly Signal[], receivedAtMs: number, dedupeTtlS: number): Promise<boolean[]>;
  /** Takes leases and starts working the partitions held. */
  start(): Promise<void>;
  /** Stops working (the batch in hand is finished) and gives the leases back. */
  stop(): Promise<void>;
  /** Stops working without giving the leases back or writing anything more: what a crash leaves (tests, chaos). */
  halt(): Promise<void>;
  health(): { state: 'up' | 'down'; detail: string };
  readonly leases: LeaseManager;
  readonly stream: SignalStream;
  readonly consumer: StreamConsumer;
}

export async function createStreamLog(o: StreamLogOptions): Promise<StreamLog> {
  if (!(o.cache instanceof RedisCache)) throw new Error('the stream signal log needs Redis (REDIS_URL)');
  const redis = o.cache.client;
  // Blocking reads on a connection of their own, which waits through a Redis outage instead of failing fast.
  const reader = redis.duplicate({ enableOfflineQueue: true, commandTimeout: undefined, maxRetriesPerRequest: null });
  reader.on('error', () => undefined);
  const stream = new SignalStream({ redis, reader, partitions: o.partitions });
  await stream.ensureGroups();
  const names = Array.from({ length: o.partitions }, (_, p) => leaseName(p));
  let consumer: StreamConsumer | null = null;
  const leases = new LeaseManager({
    redis,
    names,
    ttlMs: o.leaseMs,
    busy: (name) => consumer?.busy(partitionOfLease(name)) ?? false,
    onAcquired: (name, token) => o.logger.info({ partition: name, token }, 'stream partition taken'),
    onLost: (name) => o.logger.info({ partition: name }, 'stream partition given up'),
    onError: (err) => o.logger.warn({ err }, 'stream partition leases could not be renewed'),
  });
  consumer = new StreamConsumer({ stream, leases, handler: o.pipeline });
  let lastError: string | null = null;
  const worker = consumer;
  return {
    leases,
    stream,
    consumer: worker,
    async appendNew(signals, receivedAtMs, dedupeTtlS) {
      try {
        const appended = await stream.appendNew(
          signals.map((signal) => ({
            partition: o.partitionOf(signal.stationId),
            signal,
            receivedAt: receivedAtMs,
            dedupeKey: `${signal.stationId}/${signal.id}`,
          })),
          dedupeTtlS,
        );
        lastError = null;
        return appended;
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
        throw err;
      }
    },
    async start() {
      await leases.start();
      worker.start();
    },
    async stop() {
      const stopped = worker.stop();
      // A read blocked on a Redis that is away would hold the stop: the reader is closed after a moment.
      await Promise.race([stopped, new Promise((r) => setTimeout(r, 2000).unref())]);
      reader.disconnect();
      await stopped;
      await leases.stop();
    },
    async halt() {
      leases.abandon();
      await worker.stop();
      reader.disconnect();
    },
    health() {
      const held = worker.partitions;
      const detail = `partitions worked here: ${held.length ? held.join(', ') : 'none'} of ${o.partitions}`;
      return lastError ? { state: 'down', detail: `${detail}; last append failed: ${lastError}` } : { state: 'up', detail };
    },
  };
}
