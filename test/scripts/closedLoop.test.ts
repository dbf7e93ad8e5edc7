// The closed-loop simulator (DECISIONS.md): the simulated world obeys the plan. A kW cap bounds a
// charger's power and heat, an isolated charger stops, a reset clears a transient fault, a rebalance
// moves packs after its travel time, an offer sends a share of arriving drivers to the other station,
// and every driver is in the ground truth.
import { expect } from 'chai';
import type { PlanAction, Signal, StationPlan } from '../../eventBus/types.js';
import { createSimulation, simulatorActuator, type SimulationOptions } from '../../simulator/index.js';
import { activeById, commandsBetween, startedSince } from '../../services/actuation/index.js';
import { runPolicy } from '../../scripts/evaluate/closedLoop.js';
import { aPlanAction } from '../builders.js';

const action = (action: PlanAction['action'], target: string, params: PlanAction['params']): PlanAction =>
  aPlanAction({ action, target, params, urgency: 1, confidence: 1 });
const planOf = (...actions: PlanAction[]): StationPlan => ({ actions, declined: [], changedAt: null });

/** Runs a simulation, calling `at(signal, sim)` after each signal (to act at a chosen moment). */
function drive(opts: Partial<SimulationOptions>, at?: (s: Signal, sim: ReturnType<typeof createSimulation>) => void) {
  const sim = createSimulation({ stations: 4, scenario: 'normal', seed: 5, durationMin: 60, ...opts });
  const signals: Signal[] = [];
  for (const s of sim.signals()) {
    signals.push(s);
    at?.(s, sim);
  }
  return { sim, signals };
}

describe('closed-loop simulator', () => {
  it('a kW cap (derate) keeps a charger cooler and averts its trips in a heatwave', () => {
    const opts = { scenario: 'heatwave' as const, stations: 6, durationMin: 120, seed: 3 };
    const free = drive(opts);
    const capped = drive(opts, (s, sim) => {
      if (s.type !== 'grid_limit') return;
      const chargers = sim.stations.find((r) => r.id === s.stationId)!.capacity.chargers;
      const caps = Array.from({ length: chargers }, (_, i) => action('derate_charger', `${s.stationId}-C${i + 1}`, { maxKW: 11 }));
      sim.act(s.stationId, planOf(...caps), []);
    });
    const maxTemp = (signals: Signal[]) =>
      Math.max(...signals.filter((x) => x.type === 'charger_temp').map((x) => (x.payload as { tempC: number }).tempC));
    expect(free.sim.truth.failures.filter((f) => f.cause === 'overheat').length).to.be.greaterThan(0);
    expect(capped.sim.truth.failures.filter((f) => f.cause === 'overheat')).to.deep.equal([]);
    expect(maxTemp(capped.signals)).to.be.below(maxTemp(free.signals) - 10);
  });

  it('an isolated charger reports itself offline and draws nothing until released', () => {
    let isolatedAt = -1;
    const { signals } = drive({}, (s, sim) => {
      if (isolatedAt < 0 && s.type === 'power_draw' && s.stationId === 'st-001') {
        isolatedAt = Date.parse(s.ts);
        sim.act('st-001', planOf(action('take_charger_offline', 'st-001-C1', { chargerId: 'st-001-C1' })), []);
      }
    });
    const after = signals.filter(
      (s) => Date.parse(s.ts) > isolatedAt && s.type === 'charger_status' && s.payload.chargerId === 'st-001-C1',
    );
    expect(after[0]!.payload).to.include({ status: 'offline' });
    expect(after.every((s) => (s.payload as { status: string }).status === 'offline')).to.equal(true);
  });

  it('an offer sends a share of arriving drivers to the other station, who arrive after the drive and count from their first arrival', () => {
    const opts = { scenario: 'rush_hour' as const, durationMin: 90 };
    const { sim } = drive(opts, (s, x) => {
      if (s.type === 'grid_limit' && s.stationId === 'st-001')
        x.act('st-001', planOf(action('offer_incentive', 'station', { targetStationId: 'st-002', amount: 5 })), []);
    });
    const moved = sim.truth.waits.filter((w) => w.redirectedFrom === 'st-001');
    expect(sim.truth.counts.redirected).to.be.greaterThan(0);
    expect(moved.length).to.equal(sim.truth.counts.redirected);
    expect(moved.every((w) => w.stationId === 'st-002')).to.equal(true);
    // About 30 % of those arriving at st-001 took it.
    const arrivedAtFirst = sim.truth.waits.filter((w) => w.stationId === 'st-001' || w.redirectedFrom === 'st-001').length;
    expect(moved.length / arrivedAtFirst).to.be.within(0.15, 0.45);
  });

  it('a rebalance takes charged packs from the donor when it leaves and brings them after the drive', () => {
    let requestedAt = -1;
    const stock = (signals: Signal[], id: string) =>
      signals
        .filter((s) => s.stationId === id && s.type === 'battery_stock')
        .map((s) => [Date.parse(s.ts), (s.payload as { charged: number }).charged] as const);
    const { sim, signals } = drive({ durationMin: 90 }, (s, x) => {
      if (
        requestedAt < 0 &&
        s.type === 'battery_stock' &&
        s.stationId === 'st-001' &&
        Date.parse(s.ts) > Date.parse('2025-06-02T07:05:00Z')
      ) {
        requestedAt = Date.parse(s.ts);
        const job = action('request_rebalance', 'station', { fromStationId: 'st-002', packs: 4 });
        x.act('st-001', planOf(job), [job]);
      }
    });
    expect(sim.truth.counts.rebalancedPacks).to.equal(4);
    // The donor's stock drops by 4 within the second the transport leaves (15 min after the request).
    const donor = stock(signals, 'st-002');
    const leave = donor.findIndex(([t], i) => i > 0 && t >= requestedAt + 15 * 60_000 && donor[i - 1]![1] - donor[i]![1] >= 4);
    expect(leave).to.be.greaterThan(0);
  });

  it('a remote reset clears a transient fault when it works', () => {
    const faults: string[] = [];
    const { sim, signals } = drive({ durationMin: 240, stations: 8, world: { resetSuccess: 1 } }, (s, x) => {
      if (s.type === 'charger_status' && s.payload.status === 'faulted') {
        faults.push(s.payload.chargerId);
        const reset = action('reset_charger', s.payload.chargerId, { chargerId: s.payload.chargerId, level: 1 });
        x.act(s.stationId, planOf(), [reset]);
      }
    });
    expect(faults.length).to.be.greaterThan(0);
    expect(sim.truth.counts.resetsCleared).to.be.greaterThan(0);
    // A cleared charger reports available in the same second it faulted.
    const cleared = signals.filter(
      (s, i) =>
        s.type === 'charger_status' &&
        s.payload.status === 'available' &&
        signals
          .slice(Math.max(0, i - 50), i)
          .some(
            (p) =>
              p.type === 'charger_status' && p.payload.status === 'faulted' && p.payload.chargerId === s.payload.chargerId && p.ts === s.ts,
          ),
    );
    expect(cleared.length).to.be.greaterThan(0);
  });

  it('has every driver in the ground truth: served, reneged, turned away or still waiting', () => {
    const { sim } = drive({ scenario: 'stockout', durationMin: 120 });
    expect(sim.truth.waits.length).to.equal(sim.truth.counts.arrivals);
    const outcomes = new Set(sim.truth.waits.map((w) => w.outcome));
    expect([...outcomes].every((o) => ['served', 'reneged', 'turned_away', 'waiting'].includes(o))).to.equal(true);
    expect(outcomes.has('reneged')).to.equal(true);
  });

  it('without actions the world is the same whatever the policy (common random numbers)', () => {
    const a = drive({ scenario: 'rush_hour' }).signals;
    const b = drive({ scenario: 'rush_hour' }, () => undefined).signals;
    expect(b).to.deep.equal(a);
  });

  it('scores a policy with the figures DECISIONS.md lists', () => {
    const o = { scenario: 'rush_hour' as const, seeds: [7], stations: 4, durationMin: 60 };
    const none = runPolicy('none', o);
    expect(Object.keys(none).sort()).to.deep.equal(
      [
        'lostSwaps',
        'swaps',
        'pWaitOver10',
        'energyCostPerSwap',
        'limitViolationIntervals',
        'chargerTrips',
        'maintenanceTickets',
        'decisionsPerStationHour',
        'planChangeShare',
        'contradictoryPairs',
        'conflictsRecorded',
        'stationHours',
      ].sort(),
    );
    expect(none).to.include({ decisionsPerStationHour: 0, conflictsRecorded: 0, stationHours: 4 });
    expect(none.swaps).to.be.greaterThan(0);
    const copilot = runPolicy('copilot', o);
    expect(copilot.decisionsPerStationHour).to.be.greaterThan(0);
  });
});

describe('the simulator as the demo actuator (SIMULATE=1)', () => {
  /** Hands plans over as the actuation service does: the commands and what started since the last plan. */
  function hander(actuator: ReturnType<typeof simulatorActuator>) {
    let before = new Map<string, PlanAction>();
    return (plan: StationPlan, decisionId: string) => {
      const now = activeById(plan);
      const h = {
        stationId: 'st-001',
        decisionId,
        commands: commandsBetween(before, now, decisionId),
        started: startedSince(before, now),
        plan,
      };
      before = now;
      return actuator.carryOut(h).then((results) => ({ commands: h.commands.map((c) => `${c.kind} ${c.actionId}`), results }));
    };
  }

  it('carries out every plan put in force, starts once what became active since the last one, and accepts device commands', async () => {
    const sim = createSimulation({ stations: 3, scenario: 'normal', seed: 9, durationMin: 30 });
    const calls: { stationId: string; started: string[] }[] = [];
    const observed = {
      ...sim,
      act: (stationId: string, plan: StationPlan, started: readonly PlanAction[]) => {
        calls.push({ stationId, started: started.map((a) => a.id) });
        sim.act(stationId, plan, started);
      },
    };
    const hand = hander(simulatorActuator(() => observed));
    const offline = action('take_charger_offline', 'st-001-C2', { chargerId: 'st-001-C2' });
    const pending = {
      ...action('offer_incentive', 'station', { targetStationId: 'st-002', amount: 5 }),
      status: 'pending_approval' as const,
    };
    let sent = false;
    const after: Signal[] = [];
    const answers: unknown[] = [];
    for (const s of sim.signals()) {
      if (sent) after.push(s);
      if (!sent && s.type === 'power_draw') {
        sent = true;
        answers.push(await hand(planOf(offline, pending), 'd1'));
        // An approval puts the offer in force: only it is new, and it is a job (no device command).
        answers.push(await hand(planOf(offline, { ...pending, status: 'active' }), 'd1'));
      }
    }
    expect(calls).to.deep.equal([
      { stationId: 'st-001', started: ['take_charger_offline:st-001-C2'] },
      { stationId: 'st-001', started: ['offer_incentive:station'] },
    ]);
    expect(answers).to.deep.equal([
      { commands: ['start take_charger_offline:st-001-C2'], results: [{ outcome: 'accepted' }] },
      { commands: [], results: [] },
    ]);
    const status = after.filter((s) => s.type === 'charger_status' && s.payload.chargerId === 'st-001-C2');
    expect(status[0]!.payload).to.include({ status: 'offline' });
  });

  it('rejects a command for a charger the station does not have, and fails every command while no simulation runs', async () => {
    const sim = createSimulation({ stations: 3, scenario: 'normal', seed: 9, durationMin: 30 });
    const ghost = action('derate_charger', 'st-001-C99', { chargerId: 'st-001-C99', maxKW: 30 });
    const real = action('derate_charger', 'st-001-C1', { chargerId: 'st-001-C1', maxKW: 30 });
    expect(await hander(simulatorActuator(() => sim))(planOf(ghost, real), 'd2')).to.deep.equal({
      commands: ['start derate_charger:st-001-C1', 'start derate_charger:st-001-C99'],
      results: [{ outcome: 'accepted' }, { outcome: 'rejected', detail: 'station st-001 has no charger st-001-C99' }],
    });
    expect((await hander(simulatorActuator(() => null))(planOf(real), 'd3')).results).to.deep.equal([
      { outcome: 'failed', detail: 'the simulation is not running' },
    ]);
  });
});
