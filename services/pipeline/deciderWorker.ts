// The decision worker's thread: a Decider over the states it was started with, fed in order by the
// DecisionWorker on the main thread (decisionWorker.ts). It answers each batch with one step per signal,
// in the order given; an agent that throws costs that signal its decision, not the thread.
import { parentPort, workerData } from 'node:worker_threads';
import type { Signal } from '../../eventBus/types.js';
import { Decider, type AgentSettings, type Reach, type StationChange, type Step } from './decider.js';
import { warmUp } from './warmUp.js';

export interface WorkerStart {
  states: import('../../eventBus/types.js').StationState[];
  settings: AgentSettings;
  reach: Reach;
  /** Decide made-up signals first (warmUp.ts), so the first real ones meet compiled code. */
  warmUp: boolean;
}

export type ToWorker =
  { t: 'signals'; seq: number; signals: Signal[] } | { t: 'settings'; settings: AgentSettings } | { t: 'change'; change: StationChange };

export type StepOrError = Step | { error: string };

export type FromWorker = { t: 'steps'; seq: number; steps: StepOrError[] };

const start = workerData as WorkerStart;
// Before the first real signal (those sent meanwhile wait in the port): compiled code from the start.
if (start.warmUp) warmUp(start.settings, start.reach);
const decider = new Decider(start.states, start.settings, start.reach);
const port = parentPort!;

port.on('message', (m: ToWorker) => {
  if (m.t === 'settings') decider.setSettings(m.settings);
  else if (m.t === 'change') decider.change(m.change);
  else {
    const steps = m.signals.map((signal): StepOrError => {
      try {
        return decider.step(signal);
      } catch (err) {
        return { error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
      }
    });
    port.postMessage({ t: 'steps', seq: m.seq, steps } satisfies FromWorker);
  }
});
