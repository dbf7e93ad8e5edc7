// Chargers and packs per station are bounded by the registered capacity: in the fold (the hard bound,
// whatever reaches it) and at the edge (BatchRosters: a refusal naming the field, batch-aware).
import { expect } from 'chai';
import type { Signal, StationState } from '../../eventBus/types.js';
import { STATE_LIMITS, applySignal, initialState } from '../../services/pipeline/stationFold.js';
import { BatchRosters } from '../../services/pipeline/stationBounds.js';
import { REGISTRATION, aSignal, at } from '../builders.js';

const PROTO_NAMES = ['constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'];

const station = (chargers: number, batterySlots: number): StationState =>
  initialState({ ...REGISTRATION, capacity: { bays: 2, chargers, batterySlots } });
const temp = (chargerId: string, min = 0) => aSignal('charger_temp', { chargerId, tempC: 30 }, { ts: at(min) });
const session = (chargerId: string, min = 0) =>
  aSignal(
    'charging_session',
    { chargerId, connectorId: 1, transactionId: `T-${chargerId}`, event: 'started', energyWh: 0 },
    { ts: at(min) },
  );
const health = (batteryId: string, min = 0, sohPct = 90) =>
  aSignal('battery_health', { batteryId, sohPct, cycles: 10, tempC: 25 }, { ts: at(min) });
const swap = (min: number, batteryOutId?: string, batteryInId?: string) =>
  aSignal(
    'swap_completed',
    { durationS: 180, ...(batteryOutId ? { batteryOutId } : {}), ...(batteryInId ? { batteryInId } : {}) },
    { ts: at(min) },
  );
const fold = (s: StationState, signals: Signal[]) => {
  for (const sig of signals) applySignal(s, sig);
  return s;
};
const quarantine = (s: StationState, id: string) => {
  s.batteries[id]!.quarantined = true;
};

describe('station bounds: chargers and packs within the registered capacity', () => {
  describe('in the fold', () => {
    it('keeps at most capacity.chargers chargers through 5,000 distinct ids; the known ones still update', () => {
      const s = station(6, 40);
      fold(
        s,
        Array.from({ length: 5000 }, (_, i) => temp(`C${i}`, i / 100)),
      );
      expect(Object.keys(s.chargers)).to.deep.equal(['C0', 'C1', 'C2', 'C3', 'C4', 'C5']);
      expect(s.version).to.equal(5000);
      applySignal(s, aSignal('charger_status', { chargerId: 'C3', status: 'faulted', errorCode: 'GroundFailure' }, { ts: at(60) }));
      applySignal(s, aSignal('charger_status', { chargerId: 'C9999', status: 'faulted' }, { ts: at(60) }));
      expect(s.chargers.C3!.status).to.equal('faulted');
      expect(Object.keys(s.chargers)).to.have.length(6);
    });

    it('never holds more than batterySlots packs through 5,000 distinct ids, fresh or stale', () => {
      const fresh = fold(
        station(4, 30),
        Array.from({ length: 5000 }, (_, i) => health(`P${i}`, 0)),
      );
      // All reported at the same moment: nothing is silent long enough to go, the first 30 stay.
      expect(Object.keys(fresh.batteries)).to.have.length(30);
      expect(fresh.batteries.P0).to.not.equal(undefined);
      expect(fresh.batteries.P30).to.equal(undefined);

      const s = station(4, 30);
      let most = 0;
      for (let i = 0; i < 5000; i++) {
        applySignal(s, health(`P${i}`, i));
        most = Math.max(most, Object.keys(s.batteries).length);
      }
      // One a minute: each new pack retires the one reported longest ago (15 min silent at least).
      expect(most).to.equal(30);
      expect(Object.keys(s.batteries).sort()).to.deep.equal(Array.from({ length: 30 }, (_, i) => `P${4970 + i}`).sort());
    });

    it('retires the pack reported longest ago once it is 15 min silent, ties by id; a replay retires the same', () => {
      const signals = [
        health('B', 0),
        health('A', 0),
        health('C', 5),
        // Full (3 slots). At 14 min nothing is 15 min silent: not folded.
        health('D', 14),
        // At 15 min A and B are: A goes (same report time, smaller id).
        health('E', 15),
        // B is refreshed, so C (5 min) is now the oldest: at 20 min it is exactly 15 min silent.
        health('B', 16),
        health('F', 20),
      ];
      const run = () => fold(station(2, 3), signals);
      const s = run();
      expect(Object.keys(s.batteries).sort()).to.deep.equal(['B', 'E', 'F']);
      expect(STATE_LIMITS.packStaleMin).to.equal(15);
      expect(JSON.stringify(run())).to.equal(JSON.stringify(s));
    });

    it('lets the pack a swap hands out leave the list, unless it is quarantined; the pack taken in is not listed unreported', () => {
      const s = fold(station(2, 3), [health('P1', 0), health('P2', 0), health('P3', 0)]);
      quarantine(s, 'P3');
      fold(s, [swap(1, 'P1', 'P9'), swap(2, 'P3', 'P8')]);
      expect(Object.keys(s.batteries).sort()).to.deep.equal(['P2', 'P3']);
      // P1's slot is free at once: a new pack fits though nothing is silent.
      applySignal(s, health('P9', 3));
      expect(Object.keys(s.batteries).sort()).to.deep.equal(['P2', 'P3', 'P9']);
    });

    it('retires a quarantined pack only after a day of silence, and only when no ordinary pack can go', () => {
      const s = fold(station(2, 2), [health('Q', 0, 60), health('P', 0)]);
      quarantine(s, 'Q');
      applySignal(s, health('N1', 60));
      expect(Object.keys(s.batteries).sort()).to.deep.equal(['N1', 'Q']);
      applySignal(s, health('N2', 24 * 60 - 1));
      // N1 is silent long enough: it goes before the quarantined pack.
      expect(Object.keys(s.batteries).sort()).to.deep.equal(['N2', 'Q']);
      applySignal(s, health('N3', 24 * 60));
      // N2 is fresh; Q is 24 h silent.
      expect(Object.keys(s.batteries).sort()).to.deep.equal(['N2', 'N3']);
    });

    it('opens no session on a new charger beyond capacity; a known charger takes it', () => {
      const s = fold(station(2, 10), [temp('C1'), temp('C2')]);
      applySignal(s, session('C3', 1));
      expect(Object.keys(s.chargers)).to.deep.equal(['C1', 'C2']);
      expect(s.version).to.equal(3);
      applySignal(s, session('C2', 2));
      expect(s.chargers.C2!.sessions!.map((x) => x.transactionId)).to.deep.equal(['T-C2']);
    });

    it('takes prototype names as ordinary charger and pack ids: folded, bounded, counted, nothing polluted', () => {
      const s = station(3, 3);
      fold(s, [
        ...PROTO_NAMES.map((id) => temp(id, 0)),
        ...PROTO_NAMES.map((id) => health(id, 0)),
        aSignal('charger_status', { chargerId: 'constructor', status: 'faulted' }, { ts: at(1) }),
        swap(2, 'toString'),
      ]);
      expect(Object.keys(s.chargers)).to.deep.equal(['constructor', 'toString', 'hasOwnProperty']);
      expect(s.chargers.constructor).to.include({ id: 'constructor', status: 'faulted' });
      expect(Object.keys(s.batteries)).to.deep.equal(['constructor', 'hasOwnProperty']);
      applySignal(s, health('valueOf', 20));
      expect(Object.keys(s.batteries).sort()).to.deep.equal(['constructor', 'hasOwnProperty', 'valueOf']);
      expect(Object.keys(Object.prototype)).to.deep.equal([]);
      expect(Object.hasOwn(Object, 'tempC')).to.equal(false);
      expect(({} as Record<string, unknown>).sohPct).to.equal(undefined);
    });
  });

  describe('at the edge (one batch, before any of it is folded)', () => {
    it('refuses the new charger beyond capacity, naming payload.chargerId and how to raise it; known ids always pass', () => {
      const s = fold(station(2, 10), [temp('C1')]);
      const rosters = new BatchRosters();
      expect(rosters.check(s, temp('C2'))).to.equal(null);
      expect(rosters.check(s, temp('C2'))).to.equal(null);
      const refused = rosters.check(s, temp('C3'));
      expect(refused).to.include({ code: 'VALIDATION_FAILED', field: 'payload.chargerId' });
      expect(refused!.message)
        .to.match(/2 chargers/)
        .and.match(/capacity\.chargers/)
        .and.match(/PATCH \/api\/stations\/S1/);
      expect(rosters.check(s, temp('C1'))).to.equal(null);
      // A new batch against the same (unfolded) state starts again from the state.
      expect(new BatchRosters().check(s, temp('C3'))).to.equal(null);
    });

    it('refuses a charging_session for a new charger at capacity, as for the other charger signals', () => {
      const s = fold(station(2, 10), [temp('C1'), session('C2')]);
      expect(Object.keys(s.chargers)).to.deep.equal(['C1', 'C2']);
      const rosters = new BatchRosters();
      expect(rosters.check(s, session('C1', 1))).to.equal(null);
      const refused = rosters.check(s, session('C3', 1));
      expect(refused).to.include({ code: 'VALIDATION_FAILED', field: 'payload.chargerId' });
      expect(refused!.message).to.match(/C3 would be a new charger/);
      // One new id in a batch fills the last place for the signals after it, whatever their type.
      const roomy = fold(station(3, 10), [temp('C1'), temp('C2')]);
      const batch = new BatchRosters();
      expect(batch.check(roomy, session('C3', 1))).to.equal(null);
      expect(batch.check(roomy, temp('C3', 1))).to.equal(null);
      expect(batch.check(roomy, session('C4', 1))?.field).to.equal('payload.chargerId');
    });

    it('follows the fold through a batch: a pack handed out frees its slot, a new pack retires a silent one once', () => {
      const s = fold(station(2, 2), [health('P1', 0), health('P2', 10)]);
      const batch = [health('N1', 1), swap(2, 'P1'), health('N1', 3), health('N2', 26), health('N3', 26), health('N4', 27)];
      const rosters = new BatchRosters();
      const errors = batch.map((sig) => rosters.check(s, sig)?.field ?? null);
      // N1 at 1 min: full, nothing silent. After P1 leaves, N1 fits; at 26 min P2 (10) is silent: N2 retires it;
      // N3 finds N1 (3) silent; N4 finds N2 and N3 fresh.
      expect(errors).to.deep.equal(['payload.batteryId', null, null, null, null, 'payload.batteryId']);
      // The fold of what the edge accepted ends where the edge said.
      fold(
        s,
        batch.filter((_, i) => errors[i] === null),
      );
      expect(Object.keys(s.batteries).sort()).to.deep.equal(['N2', 'N3']);
      const message = new BatchRosters().check(s, health('N9', 27))!.message;
      expect(message)
        .to.match(/2 of its battery slots/)
        .and.match(/batteryOutId/)
        .and.match(/capacity\.batterySlots/);
    });

    it('counts prototype names as ordinary ids', () => {
      const s = station(2, 2);
      const rosters = new BatchRosters();
      const fields = PROTO_NAMES.map((id) => rosters.check(s, temp(id))?.field ?? null);
      expect(fields).to.deep.equal([null, null, 'payload.chargerId', 'payload.chargerId', 'payload.chargerId']);
      const packs = PROTO_NAMES.map((id) => rosters.check(s, health(id))?.field ?? null);
      expect(packs).to.deep.equal([null, null, 'payload.batteryId', 'payload.batteryId', 'payload.batteryId']);
    });
  });
});
