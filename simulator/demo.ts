// The demo of `npm start` on embedded defaults: a seeded city of stations (SEED_DEMO) and, with
// SIMULATE=1, the simulator feeding them in-process while it carries out the plans the pipeline puts
// in force (the closed loop). Narrow dependencies, so the composition root only hands them over.
import type { Actuator, StationRegistration } from '../eventBus/types.js';
import { simulatorActuator } from './actuator.js';
import { feedInProcess, type SendFn } from './run.js';
import type { Simulation } from './simulation.js';
import { demoCity } from './simulation.js';

interface Log {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Registers the demo city when no station is registered yet; how many it registered. */
export async function seedDemoCity(
  stations: { size: number; register(reg: StationRegistration): Promise<unknown> },
  count: number,
  log: Log,
): Promise<number> {
  if (stations.size > 0) return 0;
  const regs = demoCity({ stations: count, seed: 1 });
  for (const reg of regs) await stations.register(reg);
  log.info({ stations: regs.length }, 'demo city seeded');
  return regs.length;
}

/**
 * The demo's closed loop: `actuator` carries out the plans put in force in whichever simulation is
 * running (hand it to the app), and `start` feeds the registered stations from a new simulation; its
 * result stops the feed.
 */
export function demoLoop(): {
  actuator: Actuator;
  start(opts: { stations: StationRegistration[]; scenario: string; rate: number; send: SendFn; log: Log }): () => Promise<void>;
} {
  let running: Simulation | null = null;
  return {
    actuator: simulatorActuator(() => running),
    start(opts) {
      const stop = feedInProcess({
        stations: opts.stations,
        scenario: opts.scenario,
        rate: opts.rate,
        send: opts.send,
        onError: (err) => opts.log.error({ err }, 'simulator error'),
        onSimulation: (sim) => (running = sim),
      });
      opts.log.info({ scenario: opts.scenario, rate: opts.rate }, 'simulator feeding signals; the simulator carries out the plans');
      return async () => {
        await stop();
        running = null;
      };
    },
  };
}
