// The pure fold of a station's signals into its StationState. Time comes only
// from `signal.ts`, so replaying the same signals rebuilds the same state.
//
// `applySignal` MUTATES `state` in place and returns it: the fold runs once per
// signal on the hot path, and deep copies there would dominate. A caller that
// needs the previous state (or hands the state to listeners that may keep it)
// copies first, e.g. with `cloneState`.
import { foldSession } from './sessionFold.js';
import type {
  BatteryState,
  ChargerState,
  StockFlow,
  Signal,
  SignalPayloads,
  StationCapacity,
  StationRegistration,
  StationState,
} from '../../eventBus/types.js';
import { metricOf } from '../../utils/anomalyReading.js';
import { emptyPlan, foldDemand } from '../../agents/index.js';
import { own } from '../../utils/own.js';

/** Bounds on every list the state keeps, so a state's size never grows with its age. */
export const STATE_LIMITS = {
  /** Readings per metric in `state.recent` (the auditor's z-score window). */
  recentPerMetric: 50,
  /** Temperature readings kept per charger (enough for a trend over the last minutes). */
  chargerTemps: 20,
  /** Faults kept per charger. */
  chargerFaults: 20,
  /**
   * Open charging sessions kept per charger: one per connector, and chargers have one to a few. More
   * means ends were lost (a `started` on a busy connector replaces its session; the oldest go first).
   */
  chargerSessions: 8,
  /** Prices kept in `state.price.recent`: 96 quarter-hours is one day of tariff slots. */
  recentPrices: 96,
  /**
   * Chargers are bounded by `capacity.chargers` (a new one waits for an admin to raise it); packs by
   * `capacity.batterySlots`. A new pack on a full list retires the pack reported longest ago, if
   * that report is at least this many minutes (signal time) older than the new one: a pack in a slot
   * is reported again within minutes, one that left without a swap report (a rebalance transport)
   * falls silent.
   */
  packStaleMin: 15,
  /**
   * A quarantined pack is retired only after this long without a report, and only when no ordinary
   * pack can go: a pack sent away for repair goes quiet, and one that comes back with its low health
   * is quarantined again on its first reading.
   */
  quarantinedPackStaleMin: 24 * 60,
} as const;

/**
 * Weight of the newest observation in every EWMA. 0.2 gives an effective memory
 * of about 1/0.2 = 5 observations: fast enough to see a rush build up within a
 * few arrivals, slow enough that one odd gap does not swing the estimate.
 */
export const EWMA_ALPHA = 0.2;

/**
 * Time constant of the stock-flow EWMAs, minutes. A pack takes about an hour
 * on charge and drivers come a few an hour per charger, so within one report
 * almost nothing happens: half an hour of memory averages enough events to
 * see the rates, and still follows a derated charger bank or a rush within the hour.
 */
export const STOCK_FLOW_TAU_MIN = 30;
/** Stock reports further apart than this restart the flow estimates. */
export const STOCK_FLOW_MAX_GAP_MIN = 30;

export function initialState(reg: StationRegistration): StationState {
  return {
    id: reg.id,
    name: reg.name,
    location: { lat: reg.location.lat, lng: reg.location.lng },
    capacity: { ...reg.capacity },
    version: 0,
    updatedAt: null,
    // Bays are assumed open until the station reports otherwise.
    bays: { total: reg.capacity.bays, open: reg.capacity.bays },
    inventory: { charged: 0, charging: 0, depleted: 0, faulty: 0, updatedAt: null },
    chargers: {},
    batteries: {},
    power: { drawKW: null, limitKW: null, updatedAt: null },
    price: { current: null, recent: [] },
    staff: { count: null, updatedAt: null },
    // serviceTimeS 0 means "not measured yet"; predictors then use a default.
    queue: {
      waiting: 0,
      arrivalRatePerMin: 0,
      serviceTimeS: 0,
      swapRatePerMin: 0,
      lastArrivalTs: null,
      lastSwapTs: null,
      updatedAt: null,
    },
    recent: {},
    incentives: { hour: null, spent: 0 },
    lastSignalId: null,
    previousUpdatedAt: null,
    plan: emptyPlan(),
  };
}

/** A deep copy, for callers that must keep the pre-fold state (applySignal mutates). */
export function cloneState(state: StationState): StationState {
  return structuredClone(state);
}

export function applySignal(state: StationState, signal: Signal): StationState {
  const ts = signal.ts;
  switch (signal.type) {
    case 'queue_length':
      state.queue.waiting = signal.payload.waiting;
      state.queue.updatedAt = ts;
      break;
    case 'arrival': {
      const q = state.queue;
      const next = ewmaRateFromGap(q.arrivalRatePerMin, q.lastArrivalTs, ts);
      q.arrivalRatePerMin = next.rate;
      q.lastArrivalTs = next.lastTs;
      q.waiting += 1;
      q.updatedAt = ts;
      if (state.stockFlow) state.stockFlow.arrivalsSinceStock += 1;
      break;
    }
    case 'swap_completed': {
      const q = state.queue;
      const d = signal.payload.durationS;
      q.serviceTimeS = q.serviceTimeS > 0 ? ewma(q.serviceTimeS, d) : d;
      const next = ewmaRateFromGap(q.swapRatePerMin, q.lastSwapTs, ts);
      q.swapRatePerMin = next.rate;
      q.lastSwapTs = next.lastTs;
      q.waiting = Math.max(0, q.waiting - 1);
      q.updatedAt = ts;
      if (state.stockFlow) state.stockFlow.swapsSinceStock += 1;
      const out = signal.payload.batteryOutId;
      if (out !== undefined && leavesOnSwap(own(state.batteries, out))) delete state.batteries[out];
      // A swap hands out a charged pack and takes a depleted one back; only
      // meaningful once the station has reported its stock at least once.
      const inv = state.inventory;
      if (inv.updatedAt !== null && inv.charged > 0) {
        inv.charged -= 1;
        inv.depleted += 1;
        inv.updatedAt = ts;
      }
      break;
    }
    case 'battery_stock':
      state.stockFlow = observeStockFlow(state, signal.payload, ts);
      state.inventory = { ...signal.payload, updatedAt: ts };
      break;
    case 'battery_health': {
      const p = signal.payload;
      const prev = own(state.batteries, p.batteryId);
      if (!prev) {
        const retire = roomForPack(packsOf(state.batteries), state.capacity.batterySlots, ts);
        // No room: the edge refuses such a reading; one that got past it (two batches of one station
        // checked before either was folded) leaves the list as it is.
        if (!retire) break;
        for (const id of retire) delete state.batteries[id];
      }
      state.batteries[p.batteryId] = {
        id: p.batteryId,
        sohPct: p.sohPct,
        cycles: p.cycles,
        tempC: p.tempC,
        // Quarantine is sticky: a later healthy-looking report does not release a pack (an operator does).
        quarantined: prev?.quarantined ?? false,
        updatedAt: ts,
        ...(prev?.releasedAt !== undefined ? { releasedAt: prev.releasedAt } : {}),
      };
      break;
    }
    case 'charger_status': {
      const p = signal.payload;
      const c = chargerFor(state, p.chargerId, ts);
      if (!c) break;
      const wasFaulted = c.status === 'faulted';
      const codeChanged = p.errorCode !== undefined && p.errorCode !== c.lastErrorCode;
      // A fault is counted when the charger enters 'faulted', or reports a new
      // error code while still faulted; repeated identical reports are one fault.
      if (p.status === 'faulted' && (!wasFaulted || codeChanged)) {
        pushBounded(c.faults, p.errorCode === undefined ? { ts } : { ts, errorCode: p.errorCode }, STATE_LIMITS.chargerFaults);
      }
      c.status = p.status;
      if (p.errorCode !== undefined && p.errorCode !== 'NoError') c.lastErrorCode = p.errorCode;
      c.updatedAt = ts;
      break;
    }
    case 'charger_temp': {
      const c = chargerFor(state, signal.payload.chargerId, ts);
      if (!c) break;
      c.tempC = signal.payload.tempC;
      pushBounded(c.temps, { ts, tempC: signal.payload.tempC }, STATE_LIMITS.chargerTemps);
      c.updatedAt = ts;
      break;
    }
    case 'charging_session': {
      const c = chargerFor(state, signal.payload.chargerId, ts);
      if (!c) break;
      foldSession(c, signal.payload, ts, STATE_LIMITS.chargerSessions);
      c.updatedAt = ts;
      break;
    }
    case 'power_draw':
      state.power.drawKW = signal.payload.kW;
      state.power.updatedAt = ts;
      state.power.demand = foldDemand(state.power.demand, ts, signal.payload.kW);
      break;
    case 'grid_limit':
      state.power.limitKW = signal.payload.kW;
      state.power.updatedAt = ts;
      break;
    case 'grid_price': {
      const p = signal.payload;
      state.price.current = { pricePerKWh: p.pricePerKWh, currency: p.currency, validFrom: p.validFrom, validTo: p.validTo };
      pushBounded(state.price.recent, p.pricePerKWh, STATE_LIMITS.recentPrices);
      break;
    }
    case 'staff_on_duty':
      state.staff.count = signal.payload.count;
      state.staff.updatedAt = ts;
      break;
    case 'bay_status':
      state.bays.open = Math.min(state.bays.total, Math.max(0, signal.payload.open));
      break;
    case 'operator_release':
      applyRelease(state, signal.payload.actionId, ts);
      break;
    case 'operator_answer':
    case 'actuation_outcome':
      // Only the plan changes (settle puts the answer in force); the station's readings do not.
      break;
  }

  const reading = metricOf(signal);
  if (reading) {
    const window = (state.recent[reading.metric] ??= []);
    pushBounded(window, reading.value, STATE_LIMITS.recentPerMetric);
  }
  state.previousUpdatedAt = state.updatedAt;
  state.lastSignalId = signal.id;
  state.updatedAt = ts;
  state.version += 1;
  return state;
}

/**
 * Folds one interval between stock reports into the flow EWMAs. Packs
 * produced = change in the reported charged count + swaps completed in the
 * interval (each took a charged pack out; a swap still in a bay shows as a
 * small lag that cancels over the next intervals). Per-interval weights
 * 1 - exp(-dt / tau) make the memory a time, not a count of reports.
 */
function observeStockFlow(state: StationState, next: SignalPayloads['battery_stock'], ts: string): StockFlow {
  const prev = state.stockFlow;
  const restart: StockFlow = {
    lastStockTs: ts,
    lastCharged: next.charged,
    swapsSinceStock: 0,
    arrivalsSinceStock: 0,
    producedEwma: 0,
    swapsEwma: 0,
    arrivalsEwma: 0,
    chargingMinEwma: 0,
    minutesEwma: 0,
    weight: 0,
  };
  // The first report only sets the baseline; before it the folded stock means nothing.
  if (!prev) return restart;
  const dtMin = (Date.parse(ts) - Date.parse(prev.lastStockTs)) / 60_000;
  // A report out of order or at the same instant carries no interval: keep counting into the next one.
  if (!(dtMin > 0)) return prev;
  // A long silence is a restart, not one interval.
  if (dtMin > STOCK_FLOW_MAX_GAP_MIN) return restart;
  const w = 1 - Math.exp(-dtMin / STOCK_FLOW_TAU_MIN);
  const mix = (old: number, sample: number) => (1 - w) * old + w * sample;
  const produced = next.charged - prev.lastCharged + prev.swapsSinceStock;
  return {
    lastStockTs: ts,
    lastCharged: next.charged,
    swapsSinceStock: 0,
    arrivalsSinceStock: 0,
    producedEwma: mix(prev.producedEwma, produced),
    swapsEwma: mix(prev.swapsEwma, prev.swapsSinceStock),
    arrivalsEwma: mix(prev.arrivalsEwma, prev.arrivalsSinceStock),
    chargingMinEwma: mix(prev.chargingMinEwma, state.inventory.charging * dtMin),
    minutesEwma: mix(prev.minutesEwma, dtMin),
    weight: mix(prev.weight, 1),
  };
}

function ewma(prev: number, sample: number): number {
  return EWMA_ALPHA * sample + (1 - EWMA_ALPHA) * prev;
}

/**
 * Events-per-minute EWMA from the gap since the previous event. The EWMA runs
 * over the gaps (stored as its reciprocal, the rate), not over 1/gap: two
 * events in the same second would otherwise put a spike of 60/min into the
 * average. An out-of-order event (negative gap) leaves the rate unchanged.
 */
function ewmaRateFromGap(rate: number, lastTs: string | null, ts: string): { rate: number; lastTs: string } {
  if (lastTs === null) return { rate, lastTs: ts };
  const gapMin = (Date.parse(ts) - Date.parse(lastTs)) / 60_000;
  if (!(gapMin >= 0)) return { rate, lastTs };
  const meanGap = rate > 0 ? ewma(1 / rate, gapMin) : gapMin;
  return { rate: meanGap > 0 ? 1 / meanGap : rate, lastTs: ts };
}

/**
 * An operator's release, when the action it names is in the plan (the supervisor stops it on the same
 * signal). A charger returned to service is available until it reports otherwise, so its next fault
 * counts as a new one; the evidence from before the return is no longer held against it (the mechanic
 * reads `returnedAt`). A pack released from quarantine is quarantined again only on a later reading.
 */
function applyRelease(state: StationState, actionId: string, ts: string): void {
  if (!state.plan.actions.some((a) => a.id === actionId)) return;
  const at = actionId.indexOf(':');
  const kind = actionId.slice(0, at);
  const target = actionId.slice(at + 1);
  if (kind === 'take_charger_offline') {
    const c = own(state.chargers, target);
    if (!c) return;
    c.returnedAt = ts;
    if (c.status === 'faulted' || c.status === 'offline') c.status = 'available';
    c.updatedAt = ts;
  } else if (kind === 'quarantine_battery') {
    const b = own(state.batteries, target);
    if (!b) return;
    b.quarantined = false;
    b.releasedAt = ts;
  }
}

/**
 * The charger, or null for a new one beyond the station's capacity: the edge refuses those, and one
 * that got past it (two batches of one station checked before either was folded) changes nothing.
 */
function chargerFor(state: StationState, id: string, ts: string): ChargerState | null {
  let c = own(state.chargers, id);
  if (!c) {
    if (!roomForCharger(Object.keys(state.chargers).length, state.capacity)) return null;
    // A charger first seen through a temperature reading is assumed available
    // until it reports a status.
    c = { id, status: 'available', tempC: null, temps: [], faults: [], updatedAt: ts };
    state.chargers[id] = c;
  }
  return c;
}

/** Whether a charger the station has not reported before fits: fewer chargers known than its capacity. */
export function roomForCharger(known: number, capacity: StationCapacity): boolean {
  return known < capacity.chargers;
}

/** What the pack rules read of a pack. */
export type PackMark = Pick<BatteryState, 'updatedAt' | 'quarantined'>;

/** A station's packs as the rules see them: the folded state's own, or (at the edge) the state plus a batch's changes. */
export interface PackRoster {
  readonly size: number;
  entries(): Iterable<[string, PackMark]>;
}

function packsOf(batteries: Record<string, BatteryState>): PackRoster {
  return { size: Object.keys(batteries).length, entries: () => Object.entries(batteries) };
}

/**
 * Room for a pack the station has not reported before, reported at `ts`: the packs to retire first
 * (none while the list is below `slots`), or null when it does not fit. Retired first: ordinary packs
 * silent for packStaleMin, then quarantined ones silent for quarantinedPackStaleMin; each group oldest
 * report first, ties by id. Signal time only, so a replay retires the same packs.
 */
export function roomForPack(packs: PackRoster, slots: number, ts: string): string[] | null {
  const need = packs.size - slots + 1;
  if (need <= 0) return [];
  const now = Date.parse(ts);
  const silent = (m: PackMark, min: number) => now - Date.parse(m.updatedAt) >= min * 60_000;
  const ordinary: [string, PackMark][] = [];
  const quarantined: [string, PackMark][] = [];
  for (const e of packs.entries()) {
    if (e[1].quarantined) {
      if (silent(e[1], STATE_LIMITS.quarantinedPackStaleMin)) quarantined.push(e);
    } else if (silent(e[1], STATE_LIMITS.packStaleMin)) ordinary.push(e);
  }
  const oldestFirst = (a: [string, PackMark], b: [string, PackMark]) =>
    Date.parse(a[1].updatedAt) - Date.parse(b[1].updatedAt) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  const candidates = [...ordinary.sort(oldestFirst), ...quarantined.sort(oldestFirst)];
  return candidates.length < need ? null : candidates.slice(0, need).map(([id]) => id);
}

/**
 * Whether the pack a swap hands to the driver (`batteryOutId`) leaves the list: it does, unless it is
 * quarantined. A quarantine ends only by an operator; the record of a quarantined pack that went out
 * is what they need to act on, and it is retired only after a long silence (quarantinedPackStaleMin).
 */
export function leavesOnSwap(pack: PackMark | undefined): boolean {
  return pack !== undefined && !pack.quarantined;
}

function pushBounded<T>(list: T[], item: T, max: number): void {
  list.push(item);
  if (list.length > max) list.splice(0, list.length - max);
}
