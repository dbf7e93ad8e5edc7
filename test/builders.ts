// Builders for the pure agent and fold tests: plain objects, defaults that
// draw no proposal, and a mutator for the one thing a test is about.
import type {
  AgentContext,
  NearbyStation,
  PlanAction,
  Proposal,
  Signal,
  SignalPayloads,
  SignalType,
  StationRegistration,
  StationState,
} from '../eventBus/types.js';
import { DEFAULT_THRESHOLDS } from '../agents/thresholds.js';
import { initialState } from '../services/pipeline/stationFold.js';

export const T0 = '2025-06-02T12:00:00.000Z';

/** ISO time `minutes` after T0 (negative for before). */
export function at(minutes: number): string {
  return new Date(Date.parse(T0) + minutes * 60_000).toISOString();
}

export const REGISTRATION: StationRegistration = {
  id: 'S1',
  name: 'Central',
  location: { lat: 52.52, lng: 13.405 },
  capacity: { bays: 4, chargers: 4, batterySlots: 40 },
};

/** A quiet station at T0: stock known and healthy, power well within the limit, nobody waiting. */
export function aStation(mutate?: (s: StationState) => void): StationState {
  const s = initialState(REGISTRATION);
  s.version = 10;
  s.updatedAt = T0;
  s.inventory = { charged: 20, charging: 6, depleted: 4, faulty: 0, updatedAt: T0 };
  s.power = { drawKW: 100, limitKW: 200, updatedAt: T0 };
  s.staff = { count: 4, updatedAt: T0 };
  s.queue.serviceTimeS = 180;
  s.chargers = {
    C1: { id: 'C1', status: 'available', tempC: 40, temps: [], faults: [], updatedAt: T0 },
    C2: { id: 'C2', status: 'occupied', tempC: 42, temps: [], faults: [], updatedAt: T0 },
  };
  mutate?.(s);
  return s;
}

let seq = 0;

export function aSignal<K extends SignalType>(
  type: K,
  payload: SignalPayloads[K],
  over: { id?: string; ts?: string; stationId?: string } = {},
): Extract<Signal, { type: K }> {
  seq += 1;
  return { id: over.id ?? `sig-${seq}`, stationId: over.stationId ?? 'S1', type, ts: over.ts ?? T0, payload } as Extract<
    Signal,
    { type: K }
  >;
}

export function aContext(mutate?: (c: AgentContext) => void): AgentContext {
  const c: AgentContext = {
    now: T0,
    policyVersion: 'pv-test',
    thresholds: structuredClone(DEFAULT_THRESHOLDS),
    nearby: [],
    assessment: { anomalous: false, zScore: null, stale: false, ageS: 0, reasons: [] },
    disabled: [],
  };
  mutate?.(c);
  return c;
}

export function aNearby(over: Partial<NearbyStation> = {}): NearbyStation {
  return {
    id: 'S2',
    name: 'North',
    distanceKm: 3,
    predictedWaitMin: 2,
    charged: 20,
    batterySlots: 40,
    staff: 3,
    openBays: 3,
    queueWaiting: 1,
    netDrainPerMin: 0,
    pledgedPacks: 0,
    redirectedInPerMin: 0,
    servicePerMin: 1,
    ...over,
  };
}

export function aProposal(over: Partial<Proposal> & Pick<Proposal, 'agent' | 'action'>): Proposal {
  return { params: {}, urgency: 0.5, confidence: 0.5, evidence: {}, claims: {}, ...over };
}

/** A grid price history of `n` evenly spread prices 0.20, 0.21, ... */
export function priceWindow(n = 16): number[] {
  return Array.from({ length: n }, (_, i) => Math.round((0.2 + i * 0.01) * 100) / 100);
}

/** An action in force since T0: `id` is `<action>:<target>` (target `station` unless given). */
export function aPlanAction(over: Partial<PlanAction> & Pick<PlanAction, 'action'>): PlanAction {
  const target = over.target ?? 'station';
  return {
    id: `${over.action}:${target}`,
    agent: 'mechanic',
    target,
    params: {},
    urgency: 0.7,
    confidence: 0.8,
    claims: {},
    since: T0,
    updatedAt: T0,
    until: null,
    status: 'active',
    decisionId: 'dec-0',
    ...over,
  };
}
