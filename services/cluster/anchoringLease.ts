// One anchoring writer among the instances sharing a Redis: a single lease, `copilot:anchoring:lease:{anchoring}`.
// Its holder numbers the stored leaves, closes the batches and sends them (AnchoringService in shared
// mode); when it dies its lease runs out and another instance takes over where the stored batches end.
import type { Logger } from 'pino';
import type { Cache } from '../platform/index.js';
import { RedisCache } from '../platform/index.js';
import { LeaseManager } from './leases.js';

export const ANCHORING_LEASE = 'anchoring';

export interface AnchoringWriter {
  takeOver(): Promise<void>;
  stepDown(): void;
}

export interface AnchoringLease {
  /** Whether this instance holds the lease, with a margin before it runs out. */
  holds(): boolean;
  /** Starts competing for the lease on behalf of `writer`. */
  start(writer: AnchoringWriter): Promise<void>;
  /** Gives the lease back (a clean stop), after the writer stored what it had. */
  stop(): Promise<void>;
  /** Stops renewing without giving the lease back, and the writer stops: what a crash leaves (tests). */
  halt(): void;
}

/** The anchoring lease over the cache's Redis; null without Redis (the one process is the writer). */
export function anchoringLease(cache: Cache, ttlMs: number, logger: Logger, onError: (err: unknown) => void): AnchoringLease | null {
  if (!(cache instanceof RedisCache)) return null;
  let writer: AnchoringWriter | null = null;
  const leases = new LeaseManager({
    redis: cache.client,
    names: [ANCHORING_LEASE],
    ttlMs,
    // Its own members set: the partitions' fair share counts instances, not this lease.
    prefix: 'copilot:anchoring:lease',
    onAcquired: (_name, token) => {
      logger.info({ token }, 'anchoring lease taken');
      writer?.takeOver().catch(onError);
    },
    onLost: () => writer?.stepDown(),
    onError: (err) => logger.warn({ err }, 'the anchoring lease could not be renewed'),
  });
  return {
    holds: () => leases.holds(ANCHORING_LEASE),
    async start(w) {
      writer = w;
      await leases.start();
    },
    stop: () => leases.stop(),
    halt() {
      leases.abandon();
      writer?.stepDown();
    },
  };
}
