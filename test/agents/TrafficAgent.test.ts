import { expect } from 'chai';
import { evaluate } from '../../agents/TrafficAgent.js';
import type { StationState } from '../../eventBus/types.js';
import { aContext, aNearby, aSignal, aStation, at } from '../builders.js';

// 12 waiting at 4 staffed bays of 3 min: the 13th bay to free up, (3 + 1/5) swaps = 9.6 min, under the threshold.
// 12 waiting at 2 staffed bays: (6 + 1/3) swaps = 19 min, over it.
const congested = (mutate?: (s: StationState) => void) =>
  aStation((s) => {
    s.queue.waiting = 12;
    s.staff.count = 2;
    s.bays.open = 2;
    mutate?.(s);
  });
const queueSignal = aSignal('queue_length', { waiting: 12 });
const actions = (ps: { action: string }[]) => ps.map((p) => p.action);

describe('TrafficAgent', () => {
  it('proposes nothing while the predicted wait is short', () => {
    const s = aStation((x) => (x.queue.waiting = 12));
    expect(
      evaluate(
        s,
        queueSignal,
        aContext((c) => c.nearby.push(aNearby())),
      ),
    ).to.deep.equal([]);
  });

  it('judges the line on any signal: a power reading does not make a long wait go away', () => {
    expect(
      actions(
        evaluate(
          congested(),
          aSignal('power_draw', { kW: 10 }),
          aContext((c) => c.nearby.push(aNearby())),
        ),
      ),
    ).to.include('offer_incentive');
  });

  it('hysteresis: with traffic actions in force, they are wanted until the wait falls below 7 min, not 10', () => {
    const offer = {
      id: 'offer_incentive:station',
      agent: 'traffic' as const,
      action: 'offer_incentive' as const,
      target: 'station',
      params: { targetStationId: 'S2', amount: 5 },
      urgency: 0.5,
      confidence: 0.8,
      claims: {},
      since: at(-2),
      updatedAt: at(-2),
      until: null,
      status: 'active' as const,
      decisionId: 'dec-0',
    };
    // At 2 staffed bays of 3 min: 5 waiting is (2 + 2/3) swaps = 8 min, 3 waiting is (1 + 2/3) swaps = 5 min.
    const line = (waiting: number, acting: boolean) =>
      congested((s) => ((s.queue.waiting = waiting), (s.plan.actions = acting ? [offer] : [])));
    const ctx = aContext((c) => c.nearby.push(aNearby({ predictedWaitMin: 0, distanceKm: 0.5 })));
    expect(evaluate(line(5, false), queueSignal, ctx)).to.deep.equal([]);
    expect(actions(evaluate(line(5, true), queueSignal, ctx))).to.include('offer_incentive');
    expect(evaluate(line(3, true), queueSignal, ctx)).to.deep.equal([]);
  });

  it('counts the drive: a short line farther than the saving is no reason to send anyone', () => {
    // S2 waits 0 min but is 8 km away: 16 min of driving eats the 19 min saved.
    const ctx = aContext((c) => c.nearby.push(aNearby({ id: 'S2', distanceKm: 8, predictedWaitMin: 0 })));
    expect(actions(evaluate(congested(), queueSignal, ctx))).to.not.include('offer_incentive');
  });

  describe('offer_incentive', () => {
    it('points drivers to the nearest station that saves at least 5 minutes, amount scaled to the saving', () => {
      const ctx = aContext((c) => {
        c.nearby.push(
          aNearby({ id: 'S2', distanceKm: 1, predictedWaitMin: 16 }),
          aNearby({ id: 'S3', distanceKm: 2, predictedWaitMin: 4.5 }),
        );
      });
      const [p] = evaluate(congested(), queueSignal, ctx).filter((x) => x.action === 'offer_incentive');
      // 19 - 4.5 min less 4 min driving 2 km at 30 km/h: 10.5 min saved, 0.5 per minute.
      expect(p!.params).to.deep.equal({ targetStationId: 'S3', amount: 5.25 });
      expect(p!.evidence).to.include({
        predictedWaitMin: 19,
        queueWaiting: 12,
        targetStationId: 'S3',
        targetWaitMin: 4.5,
        driveMin: 4,
        savingMin: 10.5,
        amount: 5.25,
        budgetRemaining: 50,
        distanceKm: 2,
      });
      expect(p!.claims).to.deep.equal({ 'budget.incentive': 5.25, 'drivers@S3': 0 });
      expect(p!.urgency).to.be.closeTo(0.95, 1e-9);
    });

    it('no herding: passes over a station that other offers already fill, and claims the drivers it sends', () => {
      // 2 arrivals a minute, 30 % take the offer: 0.6 drivers a minute sent. The target swaps 4 a
      // minute, so offers may send it at most 1 a minute (25 %).
      const busy = congested((s) => (s.queue.arrivalRatePerMin = 2));
      const pick = (redirectedInPerMin: number) =>
        evaluate(
          busy,
          queueSignal,
          aContext((c) =>
            c.nearby.push(
              aNearby({ id: 'S3', distanceKm: 2, predictedWaitMin: 4.5, servicePerMin: 4, redirectedInPerMin, charged: 40 }),
              aNearby({ id: 'S4', distanceKm: 3, predictedWaitMin: 4.5, servicePerMin: 4 }),
            ),
          ),
        ).find((x) => x.action === 'offer_incentive')!;
      const free = pick(0.4);
      expect(free.params.targetStationId).to.equal('S3');
      expect(free.claims).to.deep.include({ 'drivers@S3': 0.6 });
      expect(free.evidence).to.include({ sendPerMin: 0.6, targetRedirectedInPerMin: 0.4, targetServicePerMin: 4, herdSharePct: 25 });
      // Another 0.6 on top of 0.5 already sent passes 1 a minute: the next station it is.
      const full = pick(0.5);
      expect(full.params.targetStationId).to.equal('S4');
      expect(full.claims).to.deep.include({ 'drivers@S4': 0.6 });
    });

    it('sends drivers only where packs wait for them: the shelf, less pledges, outlasts 20 min of drain plus every offer', () => {
      // 2 arrivals a minute, 30 % take the offer: 0.6 a minute sent. S3 loses 0.3 a minute on its own
      // and 0.1 to others' offers: 1 a minute over 20 minutes needs more than 20 packs not pledged.
      const busy = congested((s) => (s.queue.arrivalRatePerMin = 2));
      const pick = (charged: number, pledgedPacks = 0) =>
        evaluate(
          busy,
          queueSignal,
          aContext((c) =>
            c.nearby.push(
              aNearby({
                id: 'S3',
                distanceKm: 2,
                predictedWaitMin: 4.5,
                servicePerMin: 4,
                charged,
                pledgedPacks,
                netDrainPerMin: 0.3,
                redirectedInPerMin: 0.1,
              }),
              aNearby({ id: 'S4', distanceKm: 3, predictedWaitMin: 4.5, servicePerMin: 4, charged: 40 }),
            ),
          ),
        ).find((x) => x.action === 'offer_incentive')!;
      const stocked = pick(21);
      expect(stocked.params.targetStationId).to.equal('S3');
      expect(stocked.evidence).to.include({ targetCharged: 21, targetNetDrainPerMin: 0.3, packCoverMinutes: 20 });
      expect(pick(20).params.targetStationId).to.equal('S4');
      expect(pick(25, 5).params.targetStationId).to.equal('S4');
      // Everyone short: no offer at all.
      const shortage = aContext((c) =>
        c.nearby.push(aNearby({ id: 'S3', distanceKm: 2, predictedWaitMin: 4.5, charged: 3, netDrainPerMin: 0.5 })),
      );
      expect(actions(evaluate(busy, queueSignal, shortage))).to.not.include('offer_incentive');
    });

    it('skips stations beyond reach, without packs, or without enough saving', () => {
      const ctx = aContext((c) => {
        c.nearby.push(
          aNearby({ id: 'S2', distanceKm: 1, predictedWaitMin: 15 }),
          aNearby({ id: 'S3', distanceKm: 2, predictedWaitMin: 1, charged: 0 }),
          aNearby({ id: 'S4', distanceKm: 30, predictedWaitMin: 0 }),
        );
      });
      expect(actions(evaluate(congested(), queueSignal, ctx))).to.not.include('offer_incentive');
    });

    it('caps the amount at the hourly budget and reports what this hour has spent', () => {
      const ctx = aContext((c) => {
        c.thresholds.traffic.incentivePerMinute = 10;
        c.nearby.push(aNearby({ predictedWaitMin: 0 }));
      });
      const s = congested((x) => (x.incentives = { hour: at(0).slice(0, 13), spent: 20 }));
      const p = evaluate(s, queueSignal, ctx).find((x) => x.action === 'offer_incentive')!;
      expect(p.params.amount).to.equal(50);
      expect(p.evidence).to.include({ budgetSpent: 20, budgetRemaining: 30 });
    });

    it('ignores spend recorded for another hour', () => {
      const ctx = aContext((c) => c.nearby.push(aNearby({ predictedWaitMin: 0 })));
      const s = congested((x) => (x.incentives = { hour: at(-60).slice(0, 13), spent: 50 }));
      const p = evaluate(s, queueSignal, ctx).find((x) => x.action === 'offer_incentive')!;
      expect(p.evidence.budgetRemaining).to.equal(50);
    });
  });

  describe('divert_staff', () => {
    it('borrows from the least-loaded nearby station when staff is the bottleneck', () => {
      const s = congested((x) => (x.bays.open = 4));
      const ctx = aContext((c) => {
        c.nearby.push(
          aNearby({ id: 'S2', distanceKm: 1, predictedWaitMin: 6, staff: 4 }),
          aNearby({ id: 'S3', distanceKm: 2, predictedWaitMin: 1, staff: 3 }),
          aNearby({ id: 'S4', distanceKm: 3, predictedWaitMin: 0, staff: 1 }),
        );
      });
      const p = evaluate(s, queueSignal, ctx).find((x) => x.action === 'divert_staff')!;
      expect(p.params).to.deep.equal({ fromStationId: 'S3', count: 2 });
      expect(p.evidence).to.include({
        fromStationId: 'S3',
        donorStaff: 3,
        staffOnDuty: 2,
        openBays: 4,
        count: 2,
        predictedWaitAfterMin: 9.6,
      });
      expect(p.claims).to.deep.equal({ 'staff@S3': 2 });
    });

    it('does not fire when bays, not staff, are the bottleneck, or no donor can spare anyone', () => {
      const ctx = aContext((c) => c.nearby.push(aNearby({ staff: 4, predictedWaitMin: 0 })));
      expect(actions(evaluate(congested(), queueSignal, ctx))).to.not.include('divert_staff');
      const short = congested((x) => (x.bays.open = 4));
      const busy = aContext((c) => c.nearby.push(aNearby({ staff: 4, predictedWaitMin: 12 }), aNearby({ id: 'S3', staff: 1 })));
      expect(actions(evaluate(short, queueSignal, busy))).to.not.include('divert_staff');
    });
  });

  describe('open_bay', () => {
    it('opens closed bays that idle staff can run', () => {
      const s = congested((x) => (x.staff.count = 3));
      // 3 staff, 2 open of 4: one idle person, one bay to open. Wait 19 min; with 3 bays (4 + 1/4) swaps = 12.75.
      const p = evaluate(s, aSignal('bay_status', { open: 2 }), aContext()).find((x) => x.action === 'open_bay')!;
      expect(p.params).to.deep.equal({ count: 1 });
      expect(p.evidence).to.include({ closedBays: 2, idleStaff: 1, count: 1, predictedWaitAfterMin: 12.8 });
      expect(p.claims).to.deep.equal({ bays: 1, staff: 1, 'service.capacity': 1 });
    });

    it('opens every closed bay when staff is unknown', () => {
      const s = congested((x) => (x.staff.count = null));
      const p = evaluate(s, queueSignal, aContext()).find((x) => x.action === 'open_bay')!;
      expect(p.params.count).to.equal(2);
    });

    it('does not fire with all bays open or nobody free to run one', () => {
      expect(actions(evaluate(congested(), queueSignal, aContext()))).to.not.include('open_bay');
      const allOpen = aStation((x) => ((x.queue.waiting = 30), (x.staff.count = 4)));
      expect(actions(evaluate(allOpen, queueSignal, aContext()))).to.not.include('open_bay');
    });
  });
});
