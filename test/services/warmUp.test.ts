// The decision worker's warm-up run: made-up signals that a sender could have sent (so the warm-up
// compiles the code real signals take), with decisions among them, the same at every start.
import { expect } from 'chai';
import { DEFAULT_POLICY, DEFAULT_THRESHOLDS } from '../../agents/thresholds.js';
import { nearbyReach, policyVersionOf, type AgentSettings } from '../../services/pipeline/index.js';
import { checkSignal } from '../../services/pipeline/signalSchemas.js';
import { WARM_UP_SIGNALS, warmUp, warmUpSignals } from '../../services/pipeline/warmUp.js';

const settings: AgentSettings = {
  thresholds: DEFAULT_THRESHOLDS,
  policy: DEFAULT_POLICY,
  policyVersion: policyVersionOf(DEFAULT_THRESHOLDS, DEFAULT_POLICY),
  disabled: [],
};

describe('decision worker warm-up', function () {
  this.timeout(60_000);

  it('is made of signals a sender could send, of every type a station reports', () => {
    const types = new Set<string>();
    for (const signal of warmUpSignals()) {
      const check = checkSignal(signal, 'sender');
      expect(check.ok, `${signal.id}: ${check.ok ? '' : check.error.message}`).to.equal(true);
      types.add(signal.type);
    }
    expect([...types].sort()).to.deep.equal(
      [
        'arrival',
        'battery_health',
        'battery_stock',
        'charger_status',
        'charger_temp',
        'power_draw',
        'queue_length',
        'swap_completed',
      ].sort(),
    );
  });

  it('makes decisions, the same run every time', () => {
    const reach = nearbyReach(DEFAULT_THRESHOLDS);
    const first = warmUp(settings, reach);
    expect(first, 'the warm-up must reach the code that decides').to.be.above(20);
    expect(warmUp(settings, reach)).to.equal(first);
    expect([...warmUpSignals(50)]).to.deep.equal([...warmUpSignals(WARM_UP_SIGNALS)].slice(0, 50));
  });
});
