// Lets the wire server's commands run concurrently, except around a task that needs none running
// (mapping the store's file again): new commands wait, those in flight finish, the task runs, and the
// waiting commands go on in the order they came.

export class DrainGate {
  private inFlight = 0;
  private gate: Promise<void> | null = null;
  private drained: (() => void) | null = null;

  /** Runs one command, after any task the gate is holding commands for. */
  async run<T>(command: () => Promise<T>): Promise<T> {
    while (this.gate) await this.gate;
    this.inFlight++;
    try {
      return await command();
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) this.drained?.();
    }
  }

  /**
   * Holds new commands, runs `task` once none is in flight, then lets them go (also when it failed:
   * `failed` hears why). One task at a time: a call while one is pending does nothing.
   */
  pause(task: () => Promise<void>, failed: (err: unknown) => void): void {
    if (this.gate) return;
    const drained = new Promise<void>((resolve) => (this.drained = resolve));
    if (this.inFlight === 0) this.drained!();
    this.gate = drained
      .then(task)
      .catch(failed)
      .finally(() => {
        this.gate = null;
        this.drained = null;
      });
  }

  /** Whether commands are being held (tests). */
  get holding(): boolean {
    return this.gate !== null;
  }
}
