// Group commit: callers append documents and are answered once the insert that
// carries them has succeeded. An idle writer inserts at once (after the current
// I/O phase, so one tick's appends share a batch); while inserts are in flight,
// what arrives queues up and goes in the next batch. A failed insert keeps its
// documents and retries with backoff, so nothing acknowledged is dropped while
// the database is briefly away.
export interface BatchWriterOptions<T> {
  name: string;
  insert(docs: T[]): Promise<void>;
  /** Extra wait before an insert, to gather bigger batches; 0 inserts as soon as the writer is idle. */
  lingerMs: number;
  maxBatch: number;
  /** Inserts in flight at once. */
  maxInflight?: number;
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
  private scheduled: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private readonly inflight = new Set<Promise<void>>();
  private failures = 0;
  private closed = false;

  constructor(private readonly opts: BatchWriterOptions<T>) {}

  /** Documents waiting for or inside an insert (the write backlog). */
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
      this.schedule();
    });
  }

  private get maxInflight(): number {
    return this.opts.maxInflight ?? 2;
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0 || this.inflight.size >= this.maxInflight) return;
    const run = () => {
      this.scheduled = null;
      void this.startDrain();
    };
    if (this.failures > 0) this.scheduled = setTimeout(run, this.backoff());
    else if (this.opts.lingerMs > 0 && this.queuedNotInFlight() < this.opts.maxBatch) this.scheduled = setTimeout(run, this.opts.lingerMs);
    else this.scheduled = setImmediate(run);
  }

  private queuedNotInFlight(): number {
    let n = 0;
    for (const p of this.queue) n += p.docs.length;
    return n;
  }

  private backoff(): number {
    return Math.min(this.opts.maxBackoffMs ?? 5000, 50 * 2 ** Math.min(this.failures, 10));
  }

  private startDrain(): Promise<void> {
    const p = this.drain().finally(() => {
      this.inflight.delete(p);
      this.schedule();
    });
    this.inflight.add(p);
    this.schedule();
    return p;
  }

  private async drain(): Promise<void> {
    const take: Pending<T>[] = [];
    let n = 0;
    while (this.queue.length && (n === 0 || n + this.queue[0].docs.length <= this.opts.maxBatch)) {
      const p = this.queue.shift()!;
      take.push(p);
      n += p.docs.length;
    }
    if (take.length === 0) return;
    try {
      await this.opts.insert(take.flatMap((p) => p.docs));
      this.failures = 0;
      this.queued -= n;
      for (const p of take) p.resolve();
    } catch (err) {
      this.failures += 1;
      this.opts.onError(err, this.failures);
      // Back in front, in order: retried after the backoff.
      this.queue.unshift(...take);
    }
  }

  /** Insert everything queued now; resolves when the queue is empty or the writer keeps failing. */
  async flush(maxAttempts = 5): Promise<void> {
    if (this.scheduled) {
      clearTimeout(this.scheduled as NodeJS.Timeout);
      clearImmediate(this.scheduled as NodeJS.Immediate);
      this.scheduled = null;
    }
    let attempts = 0;
    while (this.inflight.size || this.queue.length) {
      if (this.inflight.size) {
        await Promise.all(this.inflight);
        continue;
      }
      if (attempts++ >= maxAttempts) break;
      await this.startDrain();
    }
    if (this.scheduled) {
      clearTimeout(this.scheduled as NodeJS.Timeout);
      clearImmediate(this.scheduled as NodeJS.Immediate);
      this.scheduled = null;
    }
  }

  async close(): Promise<void> {
    // Appends that arrive while flushing are still taken (the flush loops until empty).
    await this.flush();
    this.closed = true;
    const err = new Error(`${this.opts.name} writer closed with ${this.queued} documents unwritten`);
    for (const p of this.queue.splice(0)) p.reject(err);
  }
}
