// How far behind the event loop runs: a 10 ms timer's lateness, smoothed. Ingestion sheds new signals
// while it is high, so a burst past what the machine can fold is answered at once with BACKPRESSURE
// (cheap) instead of queueing behind agent work and stretching every acknowledgement.
export class LoopLag {
  private smoothed = 0;
  private last: number;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly intervalMs = 10,
    /** Weight of the newest sample: 0.3 forgets a 200 ms stall within ~50 ms of it ending. */
    private readonly alpha = 0.3,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.last = now();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  /** Smoothed lateness of the loop in ms. */
  get ms(): number {
    return this.smoothed;
  }

  /** One tick of the timer (public for tests that drive the clock). */
  sample(): void {
    const t = this.now();
    const lag = Math.max(0, t - this.last - this.intervalMs);
    this.last = t;
    this.smoothed += this.alpha * (lag - this.smoothed);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
