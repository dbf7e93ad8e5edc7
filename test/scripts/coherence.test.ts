// The evaluation's coherence figures on a small closed-loop run, and the contradiction detector they rest on.
import { expect } from 'chai';
import { runPolicy } from '../../scripts/evaluate/closedLoop.js';
import { contradictions } from '../../scripts/evaluate/coherence.js';
import type { PlanAction } from '../../eventBus/types.js';
import { at } from '../builders.js';

const action = (id: string, claims: Record<string, number>, status: PlanAction['status'] = 'active'): PlanAction => ({
  id,
  agent: 'energy',
  action: 'curtail_charging',
  target: 'station',
  params: {},
  urgency: 0.5,
  confidence: 0.5,
  claims,
  since: at(0),
  updatedAt: at(0),
  until: null,
  status,
  decisionId: 'd',
});

describe('evaluation: coherence of decisions', function () {
  this.timeout(60_000);

  it('counts two actions in force that pull one resource opposite ways, not pending ones or unrelated ones', () => {
    const curtail = action('curtail_charging:station', { 'charging.rate': -1 });
    const prioritize = action('prioritize_charging:station', { 'charging.rate': 1 });
    const offline = action('take_charger_offline:C1', { 'service.capacity': -1, 'charger:C1': 1 });
    expect(contradictions({ actions: [curtail, prioritize, offline], declined: [], changedAt: null })).to.deep.equal([
      [curtail, prioritize],
    ]);
    expect(
      contradictions({ actions: [curtail, { ...prioritize, status: 'pending_approval' }], declined: [], changedAt: null }),
    ).to.deep.equal([]);
  });

  it('on a simulated rush hour in the closed loop: every decision changes the plan, nothing contradicts, same seed same figures', () => {
    const o = { scenario: 'rush_hour' as const, seeds: [5], stations: 4, durationMin: 90 };
    const c = runPolicy('copilot', o);
    expect(c.stationHours).to.equal(6);
    expect(c.decisionsPerStationHour).to.be.greaterThan(0);
    expect(c.planChangeShare).to.equal(1);
    expect(c.contradictoryPairs).to.equal(0);
    expect(runPolicy('copilot', o)).to.deep.equal(c);
  });
});
