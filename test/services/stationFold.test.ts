import { expect } from 'chai';
import { projectedAverageKW } from '../../agents/predictors/demand.js';
import {
  EWMA_ALPHA,
  STATE_LIMITS,
  STOCK_FLOW_MAX_GAP_MIN,
  STOCK_FLOW_TAU_MIN,
  applySignal,
  cloneState,
  initialState,
} from '../../services/pipeline/stationFold.js';
import { REGISTRATION, aSignal, at } from '../builders.js';

const fresh = () => initialState(REGISTRATION);

describe('stationFold', () => {
  it('starts from the registration with all bays open and nothing measured', () => {
    const s = fresh();
    expect(s).to.include({ id: 'S1', name: 'Central', version: 0, updatedAt: null });
    expect(s.bays).to.deep.equal({ total: 4, open: 4 });
    expect(s.power).to.deep.equal({ drawKW: null, limitKW: null, updatedAt: null });
    expect(s.capacity).to.not.equal(REGISTRATION.capacity);
  });

  it('bumps version and takes updatedAt from signal.ts, mutating and returning the same object', () => {
    const s = fresh();
    const out = applySignal(s, aSignal('queue_length', { waiting: 3 }, { id: 'a', ts: at(1) }));
    expect(out).to.equal(s);
    applySignal(s, aSignal('queue_length', { waiting: 4 }, { id: 'b', ts: at(2) }));
    expect(s.version).to.equal(2);
    expect(s.updatedAt).to.equal(at(2));
    expect(s.previousUpdatedAt).to.equal(at(1));
    expect(s.lastSignalId).to.equal('b');
  });

  it('cloneState gives an independent copy', () => {
    const s = fresh();
    const copy = cloneState(s);
    applySignal(s, aSignal('queue_length', { waiting: 3 }));
    expect(copy.queue.waiting).to.equal(0);
  });

  it('queue_length sets waiting and records the reading', () => {
    const s = applySignal(fresh(), aSignal('queue_length', { waiting: 7 }));
    expect(s.queue.waiting).to.equal(7);
    expect(s.recent['queue_length.waiting']).to.deep.equal([7]);
  });

  it('arrival counts one more waiting and learns the arrival rate from the gaps', () => {
    const s = fresh();
    applySignal(s, aSignal('arrival', {}, { ts: at(0) }));
    expect(s.queue.arrivalRatePerMin).to.equal(0);
    expect(s.queue.waiting).to.equal(1);
    applySignal(s, aSignal('arrival', {}, { ts: at(2) }));
    expect(s.queue.arrivalRatePerMin).to.be.closeTo(0.5, 1e-9);
    applySignal(s, aSignal('arrival', {}, { ts: at(3) }));
    // mean gap = 0.2 * 1 + 0.8 * 2 = 1.8 min
    expect(s.queue.arrivalRatePerMin).to.be.closeTo(1 / (EWMA_ALPHA * 1 + (1 - EWMA_ALPHA) * 2), 1e-9);
    expect(s.queue.waiting).to.equal(3);
    expect(s.queue.lastArrivalTs).to.equal(at(3));
  });

  it('arrival out of order leaves the rate alone', () => {
    const s = fresh();
    applySignal(s, aSignal('arrival', {}, { ts: at(0) }));
    applySignal(s, aSignal('arrival', {}, { ts: at(2) }));
    applySignal(s, aSignal('arrival', {}, { ts: at(1) }));
    expect(s.queue.arrivalRatePerMin).to.be.closeTo(0.5, 1e-9);
    expect(s.queue.lastArrivalTs).to.equal(at(2));
  });

  it('swap_completed updates service time, swap rate, queue and stock', () => {
    const s = fresh();
    applySignal(s, aSignal('battery_stock', { charged: 5, charging: 2, depleted: 1, faulty: 0 }, { ts: at(0) }));
    applySignal(s, aSignal('queue_length', { waiting: 1 }, { ts: at(0) }));
    applySignal(s, aSignal('swap_completed', { durationS: 200 }, { ts: at(1) }));
    expect(s.queue.serviceTimeS).to.equal(200);
    expect(s.queue.waiting).to.equal(0);
    expect(s.inventory).to.include({ charged: 4, depleted: 2 });
    applySignal(s, aSignal('swap_completed', { durationS: 100 }, { ts: at(5) }));
    expect(s.queue.serviceTimeS).to.be.closeTo(0.2 * 100 + 0.8 * 200, 1e-9);
    expect(s.queue.swapRatePerMin).to.be.closeTo(0.25, 1e-9);
    expect(s.queue.waiting).to.equal(0);
    expect(s.recent['swap_completed.durationS']).to.deep.equal([200, 100]);
  });

  it('swap_completed leaves unknown stock alone', () => {
    const s = applySignal(fresh(), aSignal('swap_completed', { durationS: 180 }));
    expect(s.inventory).to.include({ charged: 0, depleted: 0, updatedAt: null });
  });

  it('battery_stock sets the inventory', () => {
    const s = applySignal(fresh(), aSignal('battery_stock', { charged: 9, charging: 3, depleted: 2, faulty: 1 }, { ts: at(4) }));
    expect(s.inventory).to.deep.equal({ charged: 9, charging: 3, depleted: 2, faulty: 1, updatedAt: at(4) });
  });

  it('battery_stock learns the stock flow: packs produced, swaps and arrivals between reports', () => {
    const s = fresh();
    applySignal(s, aSignal('battery_stock', { charged: 5, charging: 4, depleted: 1, faulty: 0 }, { ts: at(0) }));
    expect(s.stockFlow).to.include({ lastStockTs: at(0), lastCharged: 5, weight: 0 });
    applySignal(s, aSignal('arrival', {}, { ts: at(1) }));
    applySignal(s, aSignal('arrival', {}, { ts: at(2) }));
    applySignal(s, aSignal('swap_completed', { durationS: 180 }, { ts: at(3) }));
    applySignal(s, aSignal('swap_completed', { durationS: 180 }, { ts: at(4) }));
    expect(s.stockFlow).to.include({ swapsSinceStock: 2, arrivalsSinceStock: 2 });
    // 2 packs left in swaps and the count still rose by 1: the chargers finished 3 in 10 minutes.
    applySignal(s, aSignal('battery_stock', { charged: 6, charging: 4, depleted: 0, faulty: 0 }, { ts: at(10) }));
    const w = 1 - Math.exp(-10 / STOCK_FLOW_TAU_MIN);
    const f = s.stockFlow!;
    expect(f).to.include({ lastStockTs: at(10), lastCharged: 6, swapsSinceStock: 0, arrivalsSinceStock: 0 });
    expect(f.weight).to.be.closeTo(w, 1e-12);
    expect(f.producedEwma).to.be.closeTo(3 * w, 1e-12);
    expect(f.swapsEwma).to.be.closeTo(2 * w, 1e-12);
    expect(f.arrivalsEwma).to.be.closeTo(2 * w, 1e-12);
    expect(f.chargingMinEwma).to.be.closeTo(40 * w, 1e-12);
    expect(f.minutesEwma).to.be.closeTo(10 * w, 1e-12);
    // Ratios are the rates: 3 packs per 40 pack-minutes on charge, 0.2 swaps per minute.
    expect(f.producedEwma / f.chargingMinEwma).to.be.closeTo(3 / 40, 1e-12);
    expect(f.swapsEwma / f.minutesEwma).to.be.closeTo(0.2, 1e-12);
  });

  it('counts packs produced while the folded stock sits at 0', () => {
    const s = fresh();
    applySignal(s, aSignal('battery_stock', { charged: 0, charging: 4, depleted: 3, faulty: 0 }, { ts: at(0) }));
    // A pack finished and went straight out in a swap: the next report still says 0.
    applySignal(s, aSignal('swap_completed', { durationS: 180 }, { ts: at(1) }));
    applySignal(s, aSignal('battery_stock', { charged: 0, charging: 4, depleted: 4, faulty: 0 }, { ts: at(2) }));
    expect(s.stockFlow!.producedEwma).to.be.closeTo(1 - Math.exp(-2 / STOCK_FLOW_TAU_MIN), 1e-12);
  });

  it('stock flow ignores a report out of order and restarts after a long silence', () => {
    const s = fresh();
    applySignal(s, aSignal('battery_stock', { charged: 5, charging: 4, depleted: 1, faulty: 0 }, { ts: at(0) }));
    applySignal(s, aSignal('battery_stock', { charged: 7, charging: 4, depleted: 1, faulty: 0 }, { ts: at(5) }));
    const before = { ...s.stockFlow! };
    applySignal(s, aSignal('battery_stock', { charged: 9, charging: 4, depleted: 1, faulty: 0 }, { ts: at(3) }));
    expect(s.stockFlow).to.deep.equal(before);
    applySignal(
      s,
      aSignal('battery_stock', { charged: 2, charging: 4, depleted: 1, faulty: 0 }, { ts: at(5 + STOCK_FLOW_MAX_GAP_MIN + 1) }),
    );
    expect(s.stockFlow).to.include({ weight: 0, producedEwma: 0, lastCharged: 2 });
  });

  it('battery_health upserts and keeps a quarantine once set', () => {
    const s = applySignal(fresh(), aSignal('battery_health', { batteryId: 'B1', sohPct: 70, cycles: 900, tempC: 30 }));
    expect(s.batteries.B1).to.include({ sohPct: 70, quarantined: false });
    s.batteries.B1!.quarantined = true;
    applySignal(s, aSignal('battery_health', { batteryId: 'B1', sohPct: 90, cycles: 901, tempC: 29 }));
    expect(s.batteries.B1).to.include({ sohPct: 90, cycles: 901, quarantined: true });
  });

  it('charger_status learns new chargers and counts a fault on entering faulted', () => {
    const s = fresh();
    applySignal(s, aSignal('charger_status', { chargerId: 'C9', status: 'available' }, { ts: at(0) }));
    expect(s.chargers.C9).to.include({ status: 'available', tempC: null });
    applySignal(s, aSignal('charger_status', { chargerId: 'C9', status: 'faulted', errorCode: 'OtherError' }, { ts: at(1) }));
    applySignal(s, aSignal('charger_status', { chargerId: 'C9', status: 'faulted', errorCode: 'OtherError' }, { ts: at(2) }));
    expect(s.chargers.C9!.faults).to.deep.equal([{ ts: at(1), errorCode: 'OtherError' }]);
    applySignal(s, aSignal('charger_status', { chargerId: 'C9', status: 'faulted', errorCode: 'GroundFailure' }, { ts: at(3) }));
    applySignal(s, aSignal('charger_status', { chargerId: 'C9', status: 'available' }, { ts: at(4) }));
    applySignal(s, aSignal('charger_status', { chargerId: 'C9', status: 'faulted' }, { ts: at(5) }));
    expect(s.chargers.C9!.faults.map((f) => f.ts)).to.deep.equal([at(1), at(3), at(5)]);
    expect(s.chargers.C9!.lastErrorCode).to.equal('GroundFailure');
  });

  it('bounds the fault list', () => {
    const s = fresh();
    for (let i = 0; i < STATE_LIMITS.chargerFaults + 5; i++) {
      applySignal(s, aSignal('charger_status', { chargerId: 'C1', status: 'faulted' }, { ts: at(2 * i) }));
      applySignal(s, aSignal('charger_status', { chargerId: 'C1', status: 'available' }, { ts: at(2 * i + 1) }));
    }
    expect(s.chargers.C1!.faults).to.have.length(STATE_LIMITS.chargerFaults);
    expect(s.chargers.C1!.faults[0]!.ts).to.equal(at(10));
  });

  it('charger_temp sets the temperature and keeps a bounded history', () => {
    const s = fresh();
    for (let i = 0; i < STATE_LIMITS.chargerTemps + 3; i++) {
      applySignal(s, aSignal('charger_temp', { chargerId: 'C1', tempC: 30 + i }, { ts: at(i) }));
    }
    const c = s.chargers.C1!;
    expect(c.tempC).to.equal(30 + STATE_LIMITS.chargerTemps + 2);
    expect(c.temps).to.have.length(STATE_LIMITS.chargerTemps);
    expect(c.temps[0]).to.deep.equal({ ts: at(3), tempC: 33 });
    expect(s.recent['charger_temp.tempC']).to.have.length(STATE_LIMITS.chargerTemps + 3);
  });

  describe('charging_session', () => {
    type Event = 'started' | 'updated' | 'ended';
    const session = (
      event: Event,
      transactionId: string,
      min: number,
      extra: { chargerId?: string; connectorId?: number; energyWh?: number; socPct?: number; reason?: string } = {},
    ) => aSignal('charging_session', { chargerId: 'C1', connectorId: 1, transactionId, event, ...extra }, { ts: at(min) });

    it('opens a session on started, refreshes it on updated with the energy delivered since the start, removes it on ended', () => {
      const s = fresh();
      applySignal(s, session('started', 'T1', 0, { energyWh: 120_000, socPct: 20 }));
      expect(s.chargers.C1).to.include({ status: 'available', tempC: null, updatedAt: at(0) });
      expect(s.chargers.C1!.sessions).to.deep.equal([
        { transactionId: 'T1', connectorId: 1, startedAt: at(0), meterStartWh: 120_000, energyWh: 0, socPct: 20, updatedAt: at(0) },
      ]);
      applySignal(s, session('updated', 'T1', 5, { energyWh: 124_500, socPct: 31 }));
      applySignal(s, session('updated', 'T1', 6, { socPct: 33 }));
      expect(s.chargers.C1!.sessions).to.deep.equal([
        { transactionId: 'T1', connectorId: 1, startedAt: at(0), meterStartWh: 120_000, energyWh: 4500, socPct: 33, updatedAt: at(6) },
      ]);
      applySignal(s, session('ended', 'T1', 7, { energyWh: 125_000, reason: 'EVDisconnected' }));
      expect(s.chargers.C1!.sessions).to.deep.equal([]);
      expect(s.chargers.C1!.updatedAt).to.equal(at(7));
      // No anomaly window for sessions, and the state moved on as for any signal.
      expect(s.recent).to.deep.equal({});
      expect(s.version).to.equal(4);
    });

    it('leaves the delivered energy unknown without a meter start, or with a reading below it', () => {
      const s = fresh();
      applySignal(s, session('started', 'T1', 0));
      applySignal(s, session('updated', 'T1', 1, { energyWh: 500 }));
      expect(s.chargers.C1!.sessions![0]).to.include({ meterStartWh: null, energyWh: null });
      applySignal(s, session('started', 'T2', 2, { connectorId: 2, energyWh: 1000 }));
      applySignal(s, session('updated', 'T2', 3, { connectorId: 2, energyWh: 900 }));
      expect(s.chargers.C1!.sessions![1]).to.include({ transactionId: 'T2', meterStartWh: 1000, energyWh: null });
    });

    it('opens a session from an update whose start was lost; a start on a busy connector replaces its session', () => {
      const s = fresh();
      applySignal(s, session('updated', 'T1', 0, { energyWh: 5000, socPct: 50 }));
      expect(s.chargers.C1!.sessions).to.deep.equal([
        { transactionId: 'T1', connectorId: 1, startedAt: at(0), meterStartWh: null, energyWh: null, socPct: 50, updatedAt: at(0) },
      ]);
      applySignal(s, session('started', 'T2', 1, { connectorId: 2, energyWh: 100 }));
      applySignal(s, session('started', 'T3', 2, { energyWh: 7000 }));
      expect(s.chargers.C1!.sessions!.map((x) => [x.transactionId, x.connectorId])).to.deep.equal([
        ['T2', 2],
        ['T3', 1],
      ]);
      // An end for a transaction not open changes no session.
      applySignal(s, session('ended', 'T1', 3));
      expect(s.chargers.C1!.sessions!.map((x) => x.transactionId)).to.deep.equal(['T2', 'T3']);
    });

    it(`keeps at most ${STATE_LIMITS.chargerSessions} open sessions per charger, dropping the oldest`, () => {
      expect(STATE_LIMITS.chargerSessions).to.equal(8);
      const s = fresh();
      for (let i = 0; i < STATE_LIMITS.chargerSessions + 3; i++) applySignal(s, session('started', `T${i}`, i, { connectorId: i }));
      const open = s.chargers.C1!.sessions!;
      expect(open).to.have.length(STATE_LIMITS.chargerSessions);
      expect(open.map((x) => x.transactionId)).to.deep.equal(Array.from({ length: STATE_LIMITS.chargerSessions }, (_, i) => `T${i + 3}`));
    });

    it('leaves chargers without a session as they were, and treats prototype names as ordinary ids', () => {
      const s = fresh();
      applySignal(s, aSignal('charger_temp', { chargerId: 'C2', tempC: 30 }, { ts: at(0) }));
      expect(s.chargers.C2).to.not.have.property('sessions');
      for (const id of ['constructor', 'toString']) {
        applySignal(s, session('started', id, 1, { chargerId: id, connectorId: 1, energyWh: 10 }));
        applySignal(s, session('updated', id, 2, { chargerId: id, connectorId: 1, energyWh: 35 }));
      }
      expect(Object.keys(s.chargers)).to.deep.equal(['C2', 'constructor', 'toString']);
      const charger = (id: string) => Object.entries(s.chargers).find(([k]) => k === id)![1];
      expect(charger('constructor').sessions).to.deep.equal([
        { transactionId: 'constructor', connectorId: 1, startedAt: at(1), meterStartWh: 10, energyWh: 25, socPct: null, updatedAt: at(2) },
      ]);
      expect(charger('toString').sessions![0]).to.include({ energyWh: 25 });
      expect(({} as Record<string, unknown>).constructor).to.equal(Object);
      expect(Object.prototype).to.not.have.property('sessions');
    });
  });

  it('power_draw and grid_limit set the power view', () => {
    const s = fresh();
    applySignal(s, aSignal('power_draw', { kW: 120 }, { ts: at(1) }));
    applySignal(s, aSignal('grid_limit', { kW: 150 }, { ts: at(2) }));
    expect(s.power).to.deep.equal({
      drawKW: 120,
      limitKW: 150,
      updatedAt: at(2),
      demand: { start: at(0), kWmin: 120, lastTs: at(1), lastKW: 120 },
    });
    expect(s.recent['power_draw.kW']).to.deep.equal([120]);
  });

  it('integrates the quarter-hour demand as a step function, carrying the level into the next interval', () => {
    const s = fresh();
    applySignal(s, aSignal('power_draw', { kW: 100 }, { ts: at(2) }));
    applySignal(s, aSignal('power_draw', { kW: 200 }, { ts: at(7) }));
    // 100 kW from 12:00 (the interval opens at the first level) to 12:07, then 200 kW.
    expect(s.power.demand).to.deep.equal({ start: at(0), kWmin: 700, lastTs: at(7), lastKW: 200 });
    // At 12:10 drawing 200 kW to the end of the interval: (700 + 200 * 3 + 200 * 5) / 15 = 153.3 kW.
    expect(projectedAverageKW(s.power.demand, at(10), 200)).to.be.closeTo(153.33, 0.01);
    applySignal(s, aSignal('power_draw', { kW: 50 }, { ts: at(16) }));
    // A new quarter-hour: the 200 kW level carries from 12:15 to 12:16.
    expect(s.power.demand).to.deep.equal({ start: at(15), kWmin: 200, lastTs: at(16), lastKW: 50 });
    // No reading yet in an interval: the draw itself.
    expect(projectedAverageKW(s.power.demand, at(31), 80)).to.equal(80);
  });

  it('grid_price sets the current price and a bounded recent window', () => {
    const s = fresh();
    for (let i = 0; i < STATE_LIMITS.recentPrices + 4; i++) {
      applySignal(s, aSignal('grid_price', { pricePerKWh: i, currency: 'EUR', validFrom: at(15 * i), validTo: at(15 * i + 15) }));
    }
    expect(s.price.current).to.deep.equal({
      pricePerKWh: STATE_LIMITS.recentPrices + 3,
      currency: 'EUR',
      validFrom: at(15 * (STATE_LIMITS.recentPrices + 3)),
      validTo: at(15 * (STATE_LIMITS.recentPrices + 4)),
    });
    expect(s.price.recent).to.have.length(STATE_LIMITS.recentPrices);
    expect(s.price.recent[0]).to.equal(4);
    expect(s.recent['grid_price.pricePerKWh']).to.have.length(STATE_LIMITS.recentPerMetric);
  });

  it('staff_on_duty sets the staff count', () => {
    const s = applySignal(fresh(), aSignal('staff_on_duty', { count: 2 }, { ts: at(3) }));
    expect(s.staff).to.deep.equal({ count: 2, updatedAt: at(3) });
  });

  it('bay_status clamps the open bays to 0..total', () => {
    const s = applySignal(fresh(), aSignal('bay_status', { open: 9 }));
    expect(s.bays.open).to.equal(4);
    applySignal(s, aSignal('bay_status', { open: 2 }));
    expect(s.bays.open).to.equal(2);
  });

  it('is a pure function of the signals: the same replay builds the same state', () => {
    const signals = [
      aSignal('arrival', {}, { id: 'x1', ts: at(0) }),
      aSignal('arrival', {}, { id: 'x2', ts: at(1) }),
      aSignal('charger_temp', { chargerId: 'C1', tempC: 55 }, { id: 'x3', ts: at(2) }),
      aSignal('swap_completed', { durationS: 170 }, { id: 'x4', ts: at(3) }),
    ];
    const a = signals.reduce(applySignal, fresh());
    const b = signals.reduce(applySignal, fresh());
    expect(a).to.deep.equal(b);
  });
});
