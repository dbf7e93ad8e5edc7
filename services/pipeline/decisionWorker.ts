// The main thread's side of the decision worker. Accepted signals go to the worker in the order they
// were accepted (the signal log's order), batched per turn of the event loop, and while the worker
// decides one batch the next one gathers (one batch in flight); their steps come back in that order
// and are handed to `applied` one by one, synchronously, before the batch's promise resolves. So the
// station store folds exactly what the worker folded, in the same order, and a sender is answered
// only once what its signals decided is on the bus, as when deciding ran on this thread.
// If the worker dies, a new one starts from the station store's states (everything applied so far)
// and is sent again every batch not yet answered: nothing accepted goes undecided, nothing twice.
import { Worker } from 'node:worker_threads';
import { extname, join } from 'node:path';
import type { Signal, StationState } from '../../eventBus/types.js';
import type { AgentSettings, Reach, StationChange, Step } from './decider.js';
import type { FromWorker, StepOrError, ToWorker, WorkerStart } from './deciderWorker.js';

export interface DecisionWorkerOptions {
  reach: Reach;
  /** A started worker decides made-up signals first (warmUp.ts), so the first real ones meet compiled code. */
  warmUp: boolean;
  /** The agents' settings in force; read on every batch, and a change is sent ahead of the next signals. */
  settings(): AgentSettings;
  /** The station store's states: where a (re)started worker begins. */
  states(): StationState[];
  /** One signal's step, in acceptance order, on this thread; an Error when deciding it failed. */
  applied(signal: Signal, step: Step | Error, receivedAt: number): void;
  /** The worker died (it is started again). */
  onError(err: unknown): void;
}

interface Batch {
  seq: number;
  signals: Signal[];
  receivedAt: number[];
  waiters: { resolve(): void; reject(err: Error): void }[];
}

function workerSource(): string {
  const file = join(__dirname, `deciderWorker${extname(__filename)}`);
  // Under tsx (tests, npm start) the worker compiles TypeScript the same way; compiled, it is plain JS.
  const register = extname(__filename) === '.ts' ? `require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register();` : '';
  return `${register}require(${JSON.stringify(file)});`;
}

export class DecisionWorker {
  private worker: Worker | null = null;
  /** Sent, not yet answered, oldest first. */
  private readonly inFlight: Batch[] = [];
  /** Called each time nothing is left in flight. */
  private idle: (() => void)[] = [];
  /** Taken this turn, sent at its end as one batch. */
  private next: Batch | null = null;
  private seq = 0;
  private waiting = 0;
  private sentSettings: { thresholds: unknown; policy: unknown; disabled: string } | null = null;
  private closing = false;
  private restarts = 0;

  constructor(private readonly opts: DecisionWorkerOptions) {}

  /** Starts the worker on the station store's states; resolves once it runs. */
  async start(): Promise<void> {
    await this.spawn();
  }

  /** Signals accepted but not yet decided (sent or about to be). */
  get backlog(): number {
    return this.waiting;
  }

  /** Whether a worker thread runs (false while one starts again, or after close). */
  get running(): boolean {
    return this.worker !== null;
  }

  /** How many times the worker had to be started again. */
  get restarted(): number {
    return this.restarts;
  }

  /** Decides the signals, in order after everything taken before; resolves once each step was applied. */
  decide(signals: readonly Signal[], receivedAt: number): Promise<void> {
    if (this.closing) return Promise.reject(new Error('the decision worker is closing'));
    if (signals.length === 0) return Promise.resolve();
    this.sendSettingsIfChanged();
    if (!this.next) {
      this.next = { seq: 0, signals: [], receivedAt: [], waiters: [] };
      setImmediate(() => this.flush(false));
    }
    const batch = this.next;
    for (const s of signals) {
      batch.signals.push(s);
      batch.receivedAt.push(receivedAt);
    }
    this.waiting += signals.length;
    return new Promise((resolve, reject) => batch.waiters.push({ resolve, reject }));
  }

  /**
   * Resolves at a moment when nothing sent is still being decided. A change that the fold depends on
   * (a station's capacity) is made then, synchronously, on the station store and sent with `change`:
   * the worker and the store then both fold every later signal after it, and every earlier one before.
   */
  async whenIdle(): Promise<void> {
    while (this.inFlight.length > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  /**
   * A change to the stations, sent ahead of the signals not yet sent. A capacity change must be made
   * when idle (`whenIdle`); a registration may be made at any time (no signal of the station was taken
   * before it), a removal too (signals of the station still in flight are decided, then dropped here).
   */
  change(change: StationChange): void {
    if (change.kind === 'capacity' && this.inFlight.length > 0)
      throw new Error('a capacity change must wait until nothing is being decided (whenIdle)');
    this.post({ t: 'change', change });
  }

  /** Waits for everything taken to be decided, then stops the worker. */
  async close(): Promise<void> {
    this.flush();
    this.closing = true;
    await this.whenIdle();
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }

  /**
   * Sends the batch taken so far. While the worker is still deciding an earlier batch (unless
   * `evenIfBusy`: settings go ahead of later signals), it waits and grows, and goes when that batch is
   * answered: one message and one wake-up of the worker per batch it can take, instead of one per turn.
   * The worker would not have started on it any sooner.
   */
  private flush(evenIfBusy = true): void {
    const batch = this.next;
    if (!batch || (!evenIfBusy && this.inFlight.length > 0)) return;
    this.next = null;
    batch.seq = ++this.seq;
    this.inFlight.push(batch);
    this.post({ t: 'signals', seq: batch.seq, signals: batch.signals });
  }

  private post(m: ToWorker): void {
    // While a worker starts again, what is sent goes to the new one (spawn sends what is in flight).
    this.worker?.postMessage(m);
  }

  private sendSettingsIfChanged(): void {
    const s = this.opts.settings();
    const sent = this.sentSettings;
    const disabled = s.disabled.join(',');
    if (sent && sent.thresholds === s.thresholds && sent.policy === s.policy && sent.disabled === disabled) return;
    this.flush();
    this.sentSettings = { thresholds: s.thresholds, policy: s.policy, disabled };
    this.post({ t: 'settings', settings: s });
  }

  private spawn(): Promise<void> {
    const settings = this.opts.settings();
    const start: WorkerStart = { states: this.opts.states(), settings, reach: this.opts.reach, warmUp: this.opts.warmUp };
    this.sentSettings = { thresholds: settings.thresholds, policy: settings.policy, disabled: settings.disabled.join(',') };
    const worker = new Worker(workerSource(), { eval: true, workerData: start });
    this.worker = worker;
    // Batches sent to a worker that died: the new one decides them again, in order.
    for (const b of this.inFlight) worker.postMessage({ t: 'signals', seq: b.seq, signals: b.signals } satisfies ToWorker);
    worker.on('message', (m: FromWorker) => this.answered(m));
    return new Promise((resolve, reject) => {
      let online = false;
      worker.once('online', () => {
        online = true;
        resolve();
      });
      worker.once('error', (err) => {
        if (!online) reject(err);
        else this.opts.onError(err);
      });
      worker.once('exit', (code) => {
        if (this.worker !== worker || this.closing) return;
        this.worker = null;
        this.opts.onError(new Error(`the decision worker stopped (exit ${code}); starting it again`));
        this.restarts += 1;
        this.spawn().catch((err) => this.failAll(err));
      });
    });
  }

  private answered(m: FromWorker): void {
    const batch = this.inFlight[0];
    if (!batch || batch.seq !== m.seq) return; // an answer from a worker that died meanwhile, already sent again
    this.inFlight.shift();
    for (let i = 0; i < batch.signals.length; i++) {
      const step: StepOrError = m.steps[i]!;
      this.opts.applied(batch.signals[i]!, 'error' in step ? new Error(step.error) : step, batch.receivedAt[i]!);
    }
    this.waiting -= batch.signals.length;
    for (const w of batch.waiters) w.resolve();
    if (this.inFlight.length === 0) {
      this.wakeIdle();
      // After this turn's promises: whoever waited for idle (a capacity change) goes first.
      if (this.next) setImmediate(() => this.flush(false));
    }
  }

  private wakeIdle(): void {
    const idle = this.idle;
    this.idle = [];
    for (const f of idle) f();
  }

  private failAll(err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err));
    this.opts.onError(e);
    for (const b of this.inFlight.splice(0)) {
      this.waiting -= b.signals.length;
      for (const w of b.waiters) w.reject(e);
    }
    this.wakeIdle();
  }
}
