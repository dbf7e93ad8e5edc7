// The LlmClient on Groq: each call waits its turn in the bounded queue, passes the
// circuit breaker, and runs under a deadline, so a slow or failing Groq costs callers
// a quick LlmUnavailableError (and a template fallback) instead of piled-up requests.
import Groq from 'groq-sdk';
import type pino from 'pino';
import {
  LlmUnavailableError,
  type Completion,
  type CompletionRequest,
  type LlmClient,
  type LlmStats,
  type LlmUnavailableReason,
} from '../types.js';
import { LlmBreaker } from './breaker.js';
import { isCallerError, toUnavailable } from './errors.js';
import { fromGroqToolCalls, requestBody, StreamAssembler } from './mapping.js';
import { LlmQueue } from './queue.js';

export interface GroqClientOptions {
  apiKey: string;
  /** Groq's API root; groq-sdk appends /openai/v1/... */
  baseURL: string;
  model: string;
  timeoutMs: number;
  maxRetries: number;
  concurrency: number;
  queueMax: number;
  rpm: number;
  breakerFailures: number;
  breakerResetMs: number;
}

type Answer = Omit<Completion, 'latencyMs'>;

export class GroqLlmClient implements LlmClient {
  readonly configured = true;
  readonly model: string;
  private readonly groq: Groq;
  private readonly breaker: LlmBreaker;
  private readonly queue: LlmQueue;
  /** One controller per call not yet settled: close() aborts them all. */
  private readonly pending = new Set<AbortController>();
  private closed = false;
  private calls = 0;
  private failures = 0;
  private readonly rejected: Record<LlmUnavailableReason, number> = {
    not_configured: 0,
    circuit_open: 0,
    queue_full: 0,
    timeout: 0,
    rate_limited: 0,
    upstream_error: 0,
  };

  constructor(
    private readonly opts: GroqClientOptions,
    private readonly logger: pino.Logger,
  ) {
    this.model = opts.model;
    // groq-sdk's defaults (60 s, 2 retries) would hold a queue place for minutes.
    this.groq = new Groq({
      apiKey: opts.apiKey,
      baseURL: opts.baseURL,
      timeout: opts.timeoutMs,
      maxRetries: opts.maxRetries,
      logLevel: 'warn',
      logger: logger.child({ component: 'groq-sdk' }),
    });
    this.breaker = new LlmBreaker({ failures: opts.breakerFailures, resetMs: opts.breakerResetMs }, logger);
    this.queue = new LlmQueue({ concurrency: opts.concurrency, max: opts.queueMax, rpm: opts.rpm });
  }

  complete(req: CompletionRequest): Promise<Completion> {
    return this.call(req, null);
  }

  stream(req: CompletionRequest, onDelta: (text: string) => void): Promise<Completion> {
    return this.call(req, onDelta);
  }

  refusal(purpose: CompletionRequest['purpose']): LlmUnavailableReason | null {
    if (this.closed) return 'upstream_error';
    if (this.breaker.refusing) return 'circuit_open';
    return this.queue.full(purpose) ? 'queue_full' : null;
  }

  stats(): LlmStats {
    return {
      state: this.breaker.state,
      model: this.model,
      queued: this.queue.waiting,
      running: this.queue.running,
      calls: this.calls,
      failures: this.failures,
      rejected: { ...this.rejected },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const ctl of this.pending) ctl.abort(new LlmUnavailableError('upstream_error', 'LLM client closed'));
    this.queue.close();
    this.breaker.shutdown();
  }

  private async call(req: CompletionRequest, onDelta: ((text: string) => void) | null): Promise<Completion> {
    const ctl = new AbortController();
    let waitTimer: NodeJS.Timeout | undefined;
    try {
      if (this.closed) throw new LlmUnavailableError('upstream_error', 'LLM client closed');
      // While open nothing is queued: the caller falls back now, not after a wait.
      if (this.breaker.refusing) throw new LlmUnavailableError('circuit_open', 'LLM circuit breaker is open after repeated failures');
      this.pending.add(ctl);
      // Chat is interactive: waiting longer than a request may take is pointless.
      if (req.purpose === 'chat')
        waitTimer = setTimeout(
          () => ctl.abort(new LlmUnavailableError('timeout', `chat waited ${this.opts.timeoutMs} ms for an LLM place`)),
          this.opts.timeoutMs,
        );
      return await this.queue.run(req.purpose, ctl.signal, () => {
        clearTimeout(waitTimer);
        return this.breaker.fire(() => this.send(req, onDelta, ctl));
      });
    } catch (err) {
      const unavailable = toUnavailable(err, ctl.signal);
      this.rejected[unavailable.reason]++;
      this.logger.debug({ reason: unavailable.reason, purpose: req.purpose }, unavailable.message);
      throw unavailable;
    } finally {
      clearTimeout(waitTimer);
      this.pending.delete(ctl);
    }
  }

  /** One upstream call inside the breaker; rejects with the raw error so the breaker can tell caller errors apart. */
  private async send(req: CompletionRequest, onDelta: ((text: string) => void) | null, ctl: AbortController): Promise<Completion> {
    this.calls++;
    const started = Date.now();
    // groq-sdk's timeout is per try and ends once headers arrive; it also sleeps out any
    // Retry-After before a retry. The deadline bounds the whole call.
    const budget = this.opts.timeoutMs * (this.opts.maxRetries + 1);
    const deadline = setTimeout(() => ctl.abort(new LlmUnavailableError('timeout', `no LLM answer within ${budget} ms`)), budget);
    try {
      const answer = await raceAbort(
        ctl.signal,
        onDelta ? this.streamed(req, onDelta, ctl, () => clearTimeout(deadline)) : this.whole(req, ctl.signal),
      );
      return { ...answer, latencyMs: Date.now() - started };
    } catch (err) {
      this.failures++;
      if (isCallerError(err))
        this.logger.error({ err }, 'Groq refused the request as malformed: a bug on our side, not counted against the breaker');
      else this.logger.warn({ reason: toUnavailable(err, ctl.signal).reason, purpose: req.purpose }, 'LLM call failed');
      throw err;
    } finally {
      clearTimeout(deadline);
    }
  }

  private async whole(req: CompletionRequest, signal: AbortSignal): Promise<Answer> {
    const res = await this.groq.chat.completions.create({ ...requestBody(req, this.model), stream: false }, { signal });
    const message = res.choices[0]?.message;
    return { content: message?.content ?? null, toolCalls: fromGroqToolCalls(message?.tool_calls), model: res.model || this.model };
  }

  /** Once the stream is open the deadline gives way to an idle timeout, so a long answer that keeps coming is not cut. */
  private async streamed(
    req: CompletionRequest,
    onDelta: (text: string) => void,
    ctl: AbortController,
    stopDeadline: () => void,
  ): Promise<Answer> {
    const stream = await this.groq.chat.completions.create({ ...requestBody(req, this.model), stream: true }, { signal: ctl.signal });
    stopDeadline();
    const idleMs = this.opts.timeoutMs;
    const idle = setTimeout(() => ctl.abort(new LlmUnavailableError('timeout', `LLM stream stalled for ${idleMs} ms`)), idleMs);
    const assembler = new StreamAssembler();
    try {
      for await (const chunk of stream) {
        idle.refresh();
        const piece = assembler.add(chunk);
        if (piece) this.deliver(onDelta, piece);
      }
    } finally {
      clearTimeout(idle);
    }
    return { content: assembler.content, toolCalls: assembler.toolCalls, model: assembler.model ?? this.model };
  }

  /** A throwing onDelta is the caller's bug; it must not count as Groq failing. */
  private deliver(onDelta: (text: string) => void, piece: string): void {
    try {
      onDelta(piece);
    } catch (err) {
      this.logger.error({ err }, 'LLM stream onDelta threw; delta dropped');
    }
  }
}

/** Rejects with the signal's reason as soon as it aborts, whatever `work` is still doing. */
function raceAbort<T>(signal: AbortSignal, work: Promise<T>): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err as Error);
      },
    );
  });
}
