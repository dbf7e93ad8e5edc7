// Works the partitions this instance holds the lease of: on taking one over it asks the pipeline where
// its stations' durable state stands, claims what a dead owner left pending, processes the stream from
// there (a replay: what was already durable is recognised and not produced twice), then follows new
// entries. Entries are acknowledged only after the pipeline says what they produced is durable, and only
// while the lease is still held: an owner that lost it leaves them to the next one.
import type { LeaseManager } from './leases.js';
import { compareIds, type SignalStream, type StreamEntry } from './signalStream.js';

export interface PartitionHandler {
  /**
   * A partition was taken over: load its stations' durable state; resolves with the stream id the
   * replay starts after ("0" for the whole stream).
   */
  takeover(partition: number): Promise<string>;
  /**
   * Processes entries, each partition's in its order (entries of several partitions may come together:
   * their stations are apart); resolves once they are decided, with `stored` (what they produced is
   * durable) and `settle` (called after `stored`, in batch order: their states may then be written).
   */
  process(entries: StreamEntry[], replay: boolean): Promise<{ stored: Promise<void>; settle(): void }>;
  /** The partition is no longer this instance's (lost or given back). */
  released(partition: number): void;
  /** Where the partition's stream may be trimmed to: everything before it is durable elsewhere; null for not now. */
  trimPoint(partition: number): string | null;
  onError(err: unknown): void;
}

export interface ConsumerOptions {
  stream: SignalStream;
  leases: LeaseManager;
  handler: PartitionHandler;
  /** Entries per read, and per replay page. */
  batch?: number;
  /** The longest a read waits for new entries (and so how soon a new lease is taken up). */
  blockMs?: number;
  /**
   * How long an entry may sit delivered to another consumer before the owner takes it (an instance
   * that read it just before it lost the partition, or died): also how often the owner looks.
   */
  strayMs?: number;
  /** How often the owner trims its partitions' streams to what is durable. */
  trimMs?: number;
}

export const leaseName = (partition: number) => `signals:${partition}`;
/**
 * Rounds decided whose writes are still landing, at most. One: the next round is read once the last one
 * is stored and settled. Deciding ahead (2 to 4) measured no faster on a 2-core machine running two
 * instances, Redis and the database (a decision on another instance's dashboard p50 197 ms against 135 ms
 * at 500 signals/s, within the noise) and has not been through the chaos runs with kills; the settling
 * in order that would make it safe is in place.
 */
const MAX_IN_FLIGHT = 1;
export const partitionOfLease = (lease: string) => Number(lease.slice('signals:'.length));
const partitionOf = partitionOfLease;

export class StreamConsumer {
  private readonly ready = new Set<number>();
  /** Partitions being taken over (their replay under way). */
  private readonly taking = new Set<number>();
  /** Partitions with batches being processed or stored right now, and how many. */
  private readonly working = new Map<number, number>();
  /**
   * The last batch's settling: each batch settles (states written, entries acknowledged) only after the
   * one before it. False once one could not be stored: those after it do not settle either, and the
   * loop drains and starts again (their entries stay pending and come back as strays).
   */
  private tail: Promise<boolean> = Promise.resolve(true);
  private failed = false;
  private inFlight = 0;
  private running: Promise<void> | null = null;
  private stopped = false;
  private processed = 0;
  private lastStrayCheck = 0;
  private lastTrim = 0;
  private trimmed = 0;

  constructor(private readonly o: ConsumerOptions) {}

  /** Entries processed since the start (replayed ones included). */
  get count(): number {
    return this.processed;
  }

  /** Entries trimmed from the streams since the start. */
  get trimmedCount(): number {
    return this.trimmed;
  }

  /** Whether a batch of the partition is being processed (its lease is not given back meanwhile). */
  busy(partition: number): boolean {
    return (this.working.get(partition) ?? 0) > 0;
  }

  /** Whether this instance works the partition (being taken over, or followed). */
  works(partition: number): boolean {
    return this.ready.has(partition) || this.taking.has(partition);
  }

  /** Partitions taken over and being followed. */
  get partitions(): number[] {
    return [...this.ready].sort((a, b) => a - b);
  }

  /**
   * Trims the streams of the partitions worked here to what is durable (the pipeline's trim point, never
   * past an entry still pending); resolves with how many entries went.
   */
  async trim(): Promise<number> {
    const { stream, leases, handler } = this.o;
    let removed = 0;
    for (const p of [...this.ready]) {
      let bound = handler.trimPoint(p);
      if (!bound) continue;
      const pending = await stream.oldestPending(p);
      if (pending && compareIds(pending, bound) < 0) bound = pending;
      if (leases.holds(leaseName(p))) removed += await stream.trim(p, bound);
    }
    this.trimmed += removed;
    return removed;
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** Stops after the batch in hand (processed and acknowledged). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private async loop(): Promise<void> {
    const { stream, leases, handler } = this.o;
    const batch = this.o.batch ?? 500;
    const blockMs = this.o.blockMs ?? 200;
    const strayMs = this.o.strayMs ?? 2000;
    const trimMs = this.o.trimMs ?? 5000;
    while (!this.stopped) {
      try {
        const owned = new Set(leases.owned.map(partitionOf));
        for (const p of this.ready) {
          if (owned.has(p)) continue;
          this.ready.delete(p);
          handler.released(p);
        }
        if (this.failed) {
          // A batch could not be stored: what came after it was not settled either. Start afresh.
          await this.drain();
          this.failed = false;
          this.tail = Promise.resolve(true);
        }
        // A takeover, strays and trimming work on settled ground: the batches in flight land first.
        if ([...owned].some((p) => !this.ready.has(p))) await this.drain();
        for (const p of owned) if (!this.ready.has(p) && !this.stopped) await this.takeOver(p, batch);
        if (this.ready.size === 0) {
          await new Promise((r) => setTimeout(r, blockMs));
          continue;
        }
        if (performance.now() - this.lastStrayCheck > strayMs) {
          await this.drain();
          this.lastStrayCheck = performance.now();
          for (const p of [...this.ready]) {
            const strays = await stream.claimIdle(p, leases.id, strayMs, batch);
            if (strays.length) await this.work(new Map([[p, strays]]), true);
          }
        }
        if (performance.now() - this.lastTrim > trimMs) {
          await this.drain();
          this.lastTrim = performance.now();
          await this.trim();
        }
        const entries = await stream.read(leases.id, [...this.ready], batch, blockMs);
        const byPartition = new Map<number, StreamEntry[]>();
        for (const e of entries) {
          let list = byPartition.get(e.partition);
          if (!list) byPartition.set(e.partition, (list = []));
          list.push(e);
        }
        // One round for all the partitions read: one decision pass and one write of each kind, instead of
        // one per partition in turn (whose round trips added up to the wait of the last one's signals).
        if (byPartition.size) await this.work(byPartition, false);
        // Deciding runs ahead of storing by at most MAX_IN_FLIGHT rounds.
        if (this.inFlight >= MAX_IN_FLIGHT) await this.drain();
      } catch (err) {
        handler.onError(err);
        // Redis away or the pipeline failing: try again shortly rather than spin.
        if (!this.stopped) await new Promise((r) => setTimeout(r, blockMs));
      }
    }
    await this.drain();
    for (const p of this.ready) handler.released(p);
    this.ready.clear();
  }

  /** Waits until every batch in flight is stored and settled (or failed). */
  private async drain(): Promise<void> {
    await this.tail;
  }

  private async takeOver(p: number, batch: number): Promise<void> {
    this.taking.add(p);
    try {
      await this.replayFrom(p, batch);
    } finally {
      this.taking.delete(p);
    }
  }

  private async replayFrom(p: number, batch: number): Promise<void> {
    const { stream, leases, handler } = this.o;
    let after = await handler.takeover(p);
    await stream.claimPending(p, leases.id);
    for (;;) {
      const page = await stream.range(p, after, batch);
      if (page.length === 0) break;
      await this.work(new Map([[p, page]]), true);
      after = page[page.length - 1].id;
      if (this.stopped || !leases.holds(leaseName(p))) return;
    }
    this.ready.add(p);
  }

  /**
   * Decides a batch and returns; its storing, settling and acknowledgement follow in the background,
   * after the batch before it (a replay waits for all of it: the next page builds on its settled states).
   */
  private async work(byPartition: Map<number, StreamEntry[]>, replay: boolean): Promise<void> {
    const { stream, leases, handler } = this.o;
    const held = [...byPartition.keys()].filter((p) => leases.holds(leaseName(p)));
    if (held.length === 0) return;
    for (const p of held) this.working.set(p, (this.working.get(p) ?? 0) + 1);
    const done = () => {
      for (const p of held) {
        const n = (this.working.get(p) ?? 1) - 1;
        if (n > 0) this.working.set(p, n);
        else this.working.delete(p);
      }
    };
    const entries = held.flatMap((p) => byPartition.get(p)!);
    let batch: { stored: Promise<void>; settle(): void };
    try {
      batch = await handler.process(entries, replay);
    } catch (err) {
      done();
      throw err;
    }
    const before = this.tail;
    this.inFlight += 1;
    this.tail = (async () => {
      try {
        const ok = await before;
        await batch.stored;
        if (!ok) {
          this.failed = true;
          return false;
        }
        batch.settle();
        this.processed += entries.length;
        await Promise.all(
          held
            .filter((p) => leases.holds(leaseName(p)))
            .map((p) =>
              stream.ack(
                p,
                byPartition.get(p)!.map((e) => e.id),
              ),
            ),
        );
        return true;
      } catch (err) {
        handler.onError(err);
        this.failed = true;
        return false;
      } finally {
        this.inFlight -= 1;
        done();
      }
    })();
    if (replay) await this.drain();
  }
}
