// opossum's circuit breaker around LLM calls, opened by a count of consecutive failures.
import CircuitBreaker from 'opossum';
import type pino from 'pino';
import type { BreakerState } from '../types.js';
import { isCallerError } from './errors.js';

export interface BreakerOptions {
  /** Consecutive counted failures that open the breaker. */
  failures: number;
  /** How long it stays open before one half-open probe is let through. */
  resetMs: number;
}

type Call = () => Promise<unknown>;

/**
 * opossum's own rule opens on an error percentage over a rolling window once a volume
 * is reached, which can open on fewer failures than configured (4 failures after 3
 * successes is 57 %). LLM_BREAKER_FAILURES names a count, so the percentage rule is
 * switched off (volumeThreshold never reached) and we open the breaker ourselves after
 * that many consecutive failures; opossum still runs open -> half-open (one probe) ->
 * closed, or back to open when the probe fails.
 */
export class LlmBreaker {
  private readonly breaker: CircuitBreaker<[Call], unknown>;
  private consecutive = 0;

  constructor(opts: BreakerOptions, logger: pino.Logger) {
    this.breaker = new CircuitBreaker<[Call], unknown>((call) => call(), {
      name: 'groq',
      // groq-sdk and our deadline time requests out; a second timer here would race them.
      timeout: false,
      resetTimeout: opts.resetMs,
      volumeThreshold: Number.MAX_SAFE_INTEGER,
      errorFilter: (err: unknown) => isCallerError(err),
      enableSnapshots: false,
      rollingPercentilesEnabled: false,
    });
    this.breaker.on('failure', () => {
      this.consecutive++;
      if (this.consecutive >= opts.failures && this.breaker.closed) this.breaker.open();
    });
    this.breaker.on('success', () => {
      this.consecutive = 0;
    });
    this.breaker.on('open', () =>
      logger.warn({ resetMs: opts.resetMs }, 'LLM circuit breaker opened: LLM calls refused until a probe succeeds'),
    );
    this.breaker.on('halfOpen', () => logger.info('LLM circuit breaker half-open: the next call probes Groq'));
    this.breaker.on('close', () => {
      this.consecutive = 0;
      logger.info('LLM circuit breaker closed');
    });
  }

  /** Open and not yet due for a probe: callers are refused without queueing. */
  get refusing(): boolean {
    return this.breaker.opened;
  }

  get state(): BreakerState {
    if (this.breaker.opened) return 'open';
    if (this.breaker.halfOpen) return 'half_open';
    return 'closed';
  }

  /** Runs `call` unless the breaker is open (or half-open with its probe in flight): then rejects with code EOPENBREAKER. */
  fire<T>(call: () => Promise<T>): Promise<T> {
    return this.breaker.fire(call) as Promise<T>;
  }

  shutdown(): void {
    this.breaker.shutdown();
  }
}
