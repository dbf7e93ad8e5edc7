// Group commit: callers append documents and are answered once the insert that
// carries them has succeeded. A failed insert keeps its documents and retries,
// so nothing acknowledged is dropped while the database is briefly away.
export interface BatchWriterOptions<T> {
  name: string;
  insert(docs: T[]): Promise<void>;
  flushMs: number;
  maxBatch: number;
  onError(err: unknown, attempt: number): void;
  /** Upper bound for the retry backoff. */
  maxBackoffMs?: number;
}

interface Pending<T> {
  docs: T[];
  resolve(): void;
  reject(err: unknown): void;
}

export class BatchWriter<T> {
  private queue: Pending<T>[] = [];
  private queued = 0;
  private timer: NodeJS.Timeout | null = null;
  private inflight: Promise<void> | null = null;
  private failures = 0;
  private closed = false;

  constructor(private readonly opts: BatchWriterOptions<T>) {}

  /** Documents waiting for an insert (the write backlog). */
  get backlog(): number {
    return this.queued;
  }

  get failing(): boolean {
    return this.failures > 0;
  }

  append(docs: T[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`${this.opts.name} writer is closed`));
    if (docs.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ docs, resolve, reject });
      this.queued += docs.length;
      if (this.queued >= this.opts.maxBatch) this.kick(0);
      else this.kick(this.opts.flushMs);
    });
  }

  private kick(delayMs: number): void {
    if (this.inflight) return;
    if (this.timer && delayMs > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.inflight = this.drain().finally(() => {
        this.inflight = null;
        if (this.queue.length) this.kick(this.failures ? this.backoff() : this.queued >= this.opts.maxBatch ? 0 : this.opts.flushMs);
      });
    }, delayMs);
  }

  private backoff(): number {
    return Math.min(this.opts.maxBackoffMs ?? 5000, 50 * 2 ** Math.min(this.failures, 10));
  }

  private async drain(): Promise<void> {
    const take: Pending<T>[] = [];
    let n = 0;
    while (this.queue.length && (n === 0 || n + this.queue[0].docs.length <= this.opts.maxBatch)) {
      const p = this.queue.shift()!;
      take.push(p);
      n += p.docs.length;
    }
    try {
      await this.opts.insert(take.flatMap((p) => p.docs));
      this.failures = 0;
      this.queued -= n;
      for (const p of take) p.resolve();
    } catch (err) {
      this.failures += 1;
      this.opts.onError(err, this.failures);
      // Put them back in front, in order: retried on the next drain.
      this.queue.unshift(...take);
    }
  }

  /** Insert everything queued now; resolves when the queue is empty or the writer keeps failing. */
  async flush(maxAttempts = 5): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    let attempts = 0;
    while (this.inflight || this.queue.length) {
      if (this.inflight) {
        await this.inflight;
        continue;
      }
      if (attempts++ >= maxAttempts) break;
      this.inflight = this.drain().finally(() => {
        this.inflight = null;
      });
      await this.inflight;
    }
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    const err = new Error(`${this.opts.name} writer closed with ${this.queued} documents unwritten`);
    for (const p of this.queue.splice(0)) p.reject(err);
  }
}
