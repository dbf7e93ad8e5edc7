// Folding and deciding run in arrival order, in slices. A burst of signals (one socket read can carry
// a hundred) used to be folded and decided in one go, and the acks of the first ones, already in the
// log, waited behind the decisions of all the others: that wait was most of the ack tail. Now after
// SLICE_MS of work the next signal waits for a turn of the event loop, and what is done goes out.
import { performance } from 'node:perf_hooks';

/** Work done before letting I/O through; a decision takes about half a millisecond. */
export const SLICE_MS = 4;

export class Turns {
  private tail: Promise<void> = Promise.resolve();
  private sliceStart = performance.now();
  /** When each unfinished run was queued, oldest (the one running) first. */
  private readonly queuedAt: number[] = [];

  /**
   * Runs `step(0..n-1)` after every run queued before it, yielding to the event loop between steps
   * once the current slice is used up. Resolves when the last step ran; a step that throws ends the run.
   */
  run(n: number, step: (i: number) => void): Promise<void> {
    if (this.queuedAt.length === 0) this.sliceStart = performance.now();
    this.queuedAt.push(performance.now());
    const mine = this.tail.then(async () => {
      try {
        for (let i = 0; i < n; i++) {
          if (performance.now() - this.sliceStart >= SLICE_MS) {
            await new Promise<void>((resolve) => setImmediate(resolve));
            this.sliceStart = performance.now();
          }
          step(i);
        }
      } finally {
        this.queuedAt.shift();
      }
    });
    this.tail = mine.catch(() => undefined);
    return mine;
  }

  /** Resolves once every run queued so far has run. */
  idle(): Promise<void> {
    return this.tail;
  }

  /** How long the oldest unfinished run has waited for all its signals to be done (ms): how far behind folding and deciding run. */
  delayMs(): number {
    return this.queuedAt.length === 0 ? 0 : performance.now() - this.queuedAt[0]!;
  }

  /** Runs not finished yet (the one running included). */
  get waiting(): number {
    return this.queuedAt.length;
  }
}
