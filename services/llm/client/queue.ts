// The bounded LLM queue: p-queue for the concurrency limit, the requests-per-minute cap
// and chat-before-explain priority; our own admission rule keeps it from growing.
import type PQueue from 'p-queue';
import { LlmUnavailableError, type CompletionRequest } from '../types.js';

export interface QueueOptions {
  concurrency: number;
  /** Requests that may wait before explanations are refused; chat may fill as many places again. */
  max: number;
  /** Most requests started in any 60 s. */
  rpm: number;
}

const PRIORITY: Record<CompletionRequest['purpose'], number> = { chat: 1, explain: 0 };

export class LlmQueue {
  // p-queue is ESM-only. Node 20 can require() ESM, but not under tsx's loader hooks
  // (p-queue's import of eventemitter3 fails with "not in cache"), so it is imported.
  private readonly ready: Promise<PQueue>;
  private queue: PQueue | null = null;

  constructor(private readonly opts: QueueOptions) {
    this.ready = import('p-queue').then(({ default: Queue }) => {
      // strict: a sliding 60 s window, as the per-minute limit upstream counts.
      this.queue = new Queue({ concurrency: opts.concurrency, intervalCap: opts.rpm, interval: 60_000, strict: true });
      return this.queue;
    });
    // A failed import surfaces on each run(); this only keeps it from being unhandled.
    this.ready.catch(() => undefined);
  }

  get waiting(): number {
    return this.queue?.size ?? 0;
  }

  get running(): number {
    return this.queue?.pending ?? 0;
  }

  /** Whether run() would refuse `purpose` now for want of a place. */
  full(purpose: CompletionRequest['purpose']): boolean {
    return (this.queue?.size ?? 0) >= (purpose === 'chat' ? 2 * this.opts.max : this.opts.max);
  }

  /**
   * Runs `task` when a place and the rate allow, chat first. Refuses at once with
   * queue_full when `max` are waiting (explain) or twice that (chat), so a stalled
   * upstream cannot pile requests up. Aborting `signal` removes a waiting task, or
   * rejects a running one, with the signal's reason.
   */
  async run<T>(purpose: CompletionRequest['purpose'], signal: AbortSignal, task: () => Promise<T>): Promise<T> {
    const queue = await this.ready;
    // No await between this check and add(): add() enqueues synchronously, so calls made
    // together are counted one after another.
    const limit = purpose === 'chat' ? 2 * this.opts.max : this.opts.max;
    if (queue.size >= limit)
      throw new LlmUnavailableError('queue_full', `${queue.size} LLM requests are already waiting (${purpose} limit ${limit})`);
    return queue.add(task, { priority: PRIORITY[purpose], signal }) as Promise<T>;
  }

  /** Drops what waits (their signals are aborted by the caller) and stops starting tasks. */
  close(): void {
    this.queue?.pause();
    this.queue?.clear();
  }
}
