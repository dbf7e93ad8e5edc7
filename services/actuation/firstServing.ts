// Several actuators behind the one port.
import type { Actuator } from '../../eventBus/types.js';

/**
 * Several actuators as one: each station's plan goes to the first that serves it (OCPP charge points
 * before the simulator). Its name in an outcome record is the one that carried it out.
 */
export function firstServing(actuators: readonly Actuator[]): Actuator & { nameFor(stationId: string): string | null } {
  const pick = (stationId: string) => actuators.find((a) => !a.serves || a.serves(stationId));
  return {
    name: actuators.map((a) => a.name).join('+'),
    serves: (stationId) => pick(stationId) !== undefined,
    nameFor: (stationId) => pick(stationId)?.name ?? null,
    carryOut: (h) => {
      const a = pick(h.stationId);
      if (!a) return Promise.resolve(h.commands.map(() => ({ outcome: 'failed', detail: 'no actuator serves this station' })));
      return a.carryOut(h);
    },
  };
}
