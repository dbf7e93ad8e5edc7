// Price-aware charging through the whole pipeline (fold, agents, supervisor, plan): a 45-minute spike
// published as one price window is deferred for as long as it holds, and the normal price after it is
// not taken for a cheap one.
import { expect } from 'chai';
import { DEFAULT_POLICY, DEFAULT_THRESHOLDS } from '../../agents/thresholds.js';
import type { Decision, Signal } from '../../eventBus/types.js';
import { OfflinePipeline, policyVersionOf } from '../../services/pipeline/index.js';
import { REGISTRATION, aSignal, at } from '../builders.js';

describe('a 45-minute price spike', () => {
  const pipeline = () =>
    new OfflinePipeline(
      [REGISTRATION],
      {
        thresholds: DEFAULT_THRESHOLDS,
        policy: DEFAULT_POLICY,
        policyVersion: policyVersionOf(DEFAULT_THRESHOLDS, DEFAULT_POLICY),
        disabled: [],
      },
      { nearbyKm: 10, maxNearby: 10 },
    );
  const price = (p: number, from: number, to: number): Signal =>
    aSignal('grid_price', { pricePerKWh: p, currency: 'EUR', validFrom: at(from), validTo: at(to) }, { ts: at(from) });
  const started = (ds: Decision[]) => ds.flatMap((d) => d.changes.started.map((a) => a.action));
  const stopped = (ds: Decision[]) => ds.flatMap((d) => d.changes.stopped.map((a) => `${a.action}:${a.reason}`));

  it('defers charging for the whole window, stops when it ends, and boosts nothing at the normal price after it', () => {
    const p = pipeline();
    const run = (signals: Signal[]) => signals.map((s) => p.ingest(s)).filter((d): d is Decision => d !== null);
    // Four hours of quarter-hour prices between 0.20 and 0.35, a healthy stock, power well under the limit.
    const history: Signal[] = [
      aSignal('grid_limit', { kW: 200 }, { ts: at(-241) }),
      aSignal('power_draw', { kW: 80 }, { ts: at(-241) }),
      aSignal('battery_stock', { charged: 30, charging: 4, depleted: 2, faulty: 0 }, { ts: at(-241) }),
    ];
    const cents = [26, 21, 33, 24, 30, 20, 35, 22, 28, 31, 23, 34, 25, 29, 32, 27];
    cents.forEach((c, i) => history.push(price(c / 100, -240 + 15 * i, -225 + 15 * i)));
    run(history);
    // The last price (0.27) is mid-window: whatever the dear quarter-hours before it deferred has ended by minute 0.
    run([-14, -10, -5, -1].map((m) => aSignal('power_draw', { kW: 80 }, { ts: at(m) })));
    const inForce = () => p.states.get('S1')!.plan.actions.map((a) => a.action);
    expect(inForce()).to.not.include('defer_charging');

    // One signal announces 0.60 from minute 0 to minute 45.
    const spike = run([price(0.6, 0, 45)]);
    expect(started(spike)).to.deep.equal(['defer_charging']);
    // Readings inside the window keep it; nothing is re-decided.
    const during = run([10, 20, 30, 40, 44].map((m) => aSignal('power_draw', { kW: 60 }, { ts: at(m) })));
    expect(during).to.deep.equal([]);
    expect(inForce()).to.include('defer_charging');
    // The window ends: the next reading finds no valid price and the deferral stops.
    const after = run([aSignal('power_draw', { kW: 60 }, { ts: at(46) })]);
    expect(stopped(after)).to.deep.equal(['defer_charging:released']);
    // The normal price after the spike sits mid-window: no boost.
    const normal = run([price(0.27, 45, 60), aSignal('power_draw', { kW: 60 }, { ts: at(50) })]);
    expect(started(normal)).to.not.include('boost_charging');
    expect(inForce()).to.not.include('defer_charging');
  });
});
