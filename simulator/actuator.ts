// The simulator as an actuator (the actuator port of DECISIONS.md): in the demo (SIMULATE=1) every plan
// change the pipeline puts in force is handed to the running simulated world, which carries it out from
// its next second. What became active since the station's last plan is started once (a remote reset, a
// rebalance transport); the rest are standing controls (kW caps, isolation, deferral, offers). A device
// command is accepted when the station and the charger it names exist in the world, rejected otherwise,
// and failed while no simulation runs; whether a reset cleared the fault shows in the next signals, as
// with a real charger.
import type { ActuationCommand, Actuator, CommandResult, Handover } from '../eventBus/types.js';
import type { Simulation } from './simulation.js';

export function simulatorActuator(current: () => Simulation | null): Actuator {
  return {
    name: 'simulator',
    async carryOut(h: Handover): Promise<CommandResult[]> {
      const sim = current();
      if (!sim) return h.commands.map(() => ({ outcome: 'failed', detail: 'the simulation is not running' }));
      const station = sim.stations.find((s) => s.id === h.stationId);
      if (!station) return h.commands.map(() => ({ outcome: 'rejected', detail: `station ${h.stationId} is not in the simulation` }));
      sim.act(h.stationId, h.plan, h.started);
      const chargers = new Set(Array.from({ length: station.capacity.chargers }, (_, i) => `${station.id}-C${i + 1}`));
      return h.commands.map((c) => {
        const charger = chargerOf(c);
        return charger === null || chargers.has(charger)
          ? { outcome: 'accepted' }
          : { outcome: 'rejected', detail: `station ${h.stationId} has no charger ${charger}` };
      });
    },
  };
}

/** The charger a command acts on, or null for a station-wide command. */
function chargerOf(c: ActuationCommand): string | null {
  if (c.target !== 'station') return c.target;
  return typeof c.params.chargerId === 'string' ? c.params.chargerId : null;
}
