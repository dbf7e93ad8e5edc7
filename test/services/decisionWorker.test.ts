// The decision worker decides exactly what the pipeline decides on one thread: the same decisions, in
// the same order, for a stream sent in batches of any size, across a settings change, a capacity change
// and a worker that dies halfway; and the copy folded on the main thread equals the worker's.
import { expect } from 'chai';
import type { Worker } from 'node:worker_threads';
import { DEFAULT_POLICY, DEFAULT_THRESHOLDS } from '../../agents/thresholds.js';
import type { AgentName, Signal, StationRegistration, StationState } from '../../eventBus/types.js';
import { canonicalHash } from '../../services/audit/canonical.js';
import {
  DecisionWorker,
  OfflinePipeline,
  applyEffects,
  applySignal,
  initialState,
  nearbyReach,
  policyVersionOf,
  type AgentSettings,
  type Step,
} from '../../services/pipeline/index.js';
import { checkSignal } from '../../services/pipeline/signalSchemas.js';
import { createSimulation } from '../../simulator/index.js';
import { seededGenerator } from '../../scripts/bench/decide.js';

const settingsWith = (disabled: AgentName[]): AgentSettings => ({
  thresholds: DEFAULT_THRESHOLDS,
  policy: DEFAULT_POLICY,
  policyVersion: policyVersionOf(DEFAULT_THRESHOLDS, DEFAULT_POLICY),
  disabled,
});

function stream(stations: StationRegistration[], n: number): Signal[] {
  const gen = seededGenerator(stations, 11, 0.3);
  return Array.from({ length: n }, () => {
    const c = checkSignal(gen.make());
    if (!c.ok) throw new Error(c.error.message);
    return c.signal;
  });
}

/** The main thread's copy: folded from the steps as the ingestion service folds them. */
class Replica {
  readonly states = new Map<string, StationState>();
  readonly applied: string[] = [];
  readonly decisions: string[] = [];
  readonly errors: Error[] = [];

  constructor(regs: StationRegistration[]) {
    for (const r of regs) this.states.set(r.id, initialState(r));
  }

  apply(signal: Signal, step: Step | Error): void {
    const state = this.states.get(signal.stationId)!;
    applySignal(state, signal);
    this.applied.push(signal.id);
    if (step instanceof Error) return void this.errors.push(step);
    if (step.decision) {
      state.plan = step.plan!;
      applyEffects(state, step.decision, step.plan!);
      this.decisions.push(canonicalHash(step.decision));
    } else if (step.answered) state.plan = step.plan!;
  }
}

describe('decision worker', function () {
  this.timeout(60_000);
  const regs = createSimulation({ stations: 6, scenario: 'normal', seed: 2, durationMin: 1 }).stations;
  const signals = stream(regs, 3000);
  const CHANGE_SETTINGS_AT = 1200;
  const CHANGE_CAPACITY_AT = 2000;
  const capacityOf = (r: StationRegistration) => ({ ...r.capacity, chargers: r.capacity.chargers + 2, bays: 1 });

  /** The same stream on one thread: the offline pipeline, with the same changes at the same points. */
  function reference(): { decisions: string[]; states: ReadonlyMap<string, StationState> } {
    const settings = settingsWith([]);
    const pipeline = new OfflinePipeline(regs, settings, nearbyReach(DEFAULT_THRESHOLDS));
    const decisions: string[] = [];
    signals.forEach((s, i) => {
      if (i === CHANGE_SETTINGS_AT) settings.disabled = ['mechanic'];
      if (i === CHANGE_CAPACITY_AT) {
        const state = pipeline.states.get(regs[0]!.id)!;
        state.capacity = capacityOf(regs[0]!);
        state.bays.total = state.capacity.bays;
      }
      const d = pipeline.ingest(s);
      if (d) decisions.push(canonicalHash(d));
    });
    return { decisions, states: pipeline.states };
  }

  it('decides what one thread decides, in order, across batching, a settings change, a capacity change and a crash', async () => {
    const ref = reference();
    expect(ref.decisions.length, 'the stream must make decisions to compare').to.be.above(20);

    const replica = new Replica(regs);
    let settings = settingsWith([]);
    const errors: unknown[] = [];
    const worker = new DecisionWorker({
      reach: nearbyReach(DEFAULT_THRESHOLDS),
      // Each start (and the start after the crash) first decides the made-up warm-up run: what it
      // decides must not reach the real states or change one decision below.
      warmUp: true,
      settings: () => settings,
      states: () => [...replica.states.values()],
      applied: (signal, step) => replica.apply(signal, step),
      onError: (err) => errors.push(err),
    });
    await worker.start();
    try {
      let i = 0;
      let crashed = false;
      while (i < signals.length) {
        if (i >= CHANGE_SETTINGS_AT && settings.disabled.length === 0) settings = settingsWith(['mechanic']);
        if (i >= CHANGE_CAPACITY_AT && replica.states.get(regs[0]!.id)!.capacity.bays !== 1) {
          await worker.whenIdle();
          const state = replica.states.get(regs[0]!.id)!;
          state.capacity = capacityOf(regs[0]!);
          state.bays.total = state.capacity.bays;
          worker.change({ kind: 'capacity', id: state.id, capacity: state.capacity });
        }
        // Several calls in one turn (one batch to the worker), of uneven sizes; the changes above fall
        // exactly on their signal.
        const calls: Promise<void>[] = [];
        for (let k = 0; k < 4 && i < signals.length; k++) {
          const stop = i < CHANGE_SETTINGS_AT ? CHANGE_SETTINGS_AT : i < CHANGE_CAPACITY_AT ? CHANGE_CAPACITY_AT : signals.length;
          const n = Math.min(1 + ((i * 7) % 23), stop - i);
          calls.push(worker.decide(signals.slice(i, i + n), 0));
          i += n;
        }
        expect(worker.backlog).to.be.above(0);
        if (!crashed && i > 1600) {
          // A crash, as a thread that dies would: the batches sent to it are decided again by the next one.
          crashed = true;
          await (worker as unknown as { worker: Worker }).worker.terminate();
        }
        await Promise.all(calls);
      }
      expect(worker.backlog).to.equal(0);
      expect(worker.restarted).to.equal(1);
      expect(errors.map(String)).to.deep.equal(['Error: the decision worker stopped (exit 1); starting it again']);
      expect(replica.errors).to.deep.equal([]);
      expect(replica.applied).to.deep.equal(signals.map((s) => s.id));
      expect(replica.decisions).to.deep.equal(ref.decisions);
      for (const r of regs) expect(replica.states.get(r.id), r.id).to.deep.equal(ref.states.get(r.id));
    } finally {
      await worker.close();
    }
  });

  /** A worker over `replica`, no warm-up, every agent on, that throws on any error. */
  const strictWorker = (replica: Replica) =>
    new DecisionWorker({
      reach: nearbyReach(DEFAULT_THRESHOLDS),
      warmUp: false,
      settings: () => settingsWith([]),
      states: () => [...replica.states.values()],
      applied: (signal, step) => replica.apply(signal, step),
      onError: (err) => {
        throw err;
      },
    });

  it('keeps one batch with the worker at a time: what is taken meanwhile gathers into the next, in order', async () => {
    const replica = new Replica(regs);
    const worker = strictWorker(replica);
    await worker.start();
    const internals = worker as unknown as { inFlight: unknown[]; seq: number };
    try {
      // One signal per turn of the event loop, 600 turns, none awaited: without the gathering each
      // turn would be a batch of its own.
      const calls: Promise<void>[] = [];
      let mostInFlight = 0;
      for (let i = 0; i < 600; i++) {
        calls.push(worker.decide([signals[i]!], 0));
        await new Promise((resolve) => setImmediate(resolve));
        mostInFlight = Math.max(mostInFlight, internals.inFlight.length);
      }
      await Promise.all(calls);
      expect(mostInFlight).to.equal(1);
      expect(internals.seq, 'batches sent').to.be.below(600);
      expect(replica.applied).to.deep.equal(signals.slice(0, 600).map((s) => s.id));
    } finally {
      await worker.close();
    }
  });

  it('refuses a capacity change while signals are in flight, and closes only once all are decided', async () => {
    const replica = new Replica(regs);
    const worker = strictWorker(replica);
    await worker.start();
    const pending = worker.decide(signals.slice(0, 500), 0);
    expect(() => worker.change({ kind: 'capacity', id: regs[0]!.id, capacity: regs[0]!.capacity })).to.not.throw();
    await new Promise((resolve) => setImmediate(resolve));
    expect(worker.backlog).to.equal(500);
    expect(() => worker.change({ kind: 'capacity', id: regs[0]!.id, capacity: regs[0]!.capacity })).to.throw(/whenIdle/);
    await worker.close();
    expect(replica.applied).to.have.length(500);
    expect(worker.running).to.equal(false);
    await pending;
    await worker.decide(signals.slice(500, 501), 0).then(
      () => expect.fail('a closed worker took a signal'),
      (err: Error) => expect(err.message).to.match(/closing/),
    );
  });
});
