// The signals stations send (AGENTS.md) and those the copilot makes itself, with their payloads.
// Re-exported by types.ts.
export type SignalType =
  | 'queue_length'
  | 'arrival'
  | 'swap_completed'
  | 'battery_stock'
  | 'battery_health'
  | 'charger_status'
  | 'charger_temp'
  | 'charging_session'
  | 'power_draw'
  | 'grid_limit'
  | 'grid_price'
  | 'staff_on_duty'
  | 'bay_status'
  | 'operator_release'
  | 'operator_answer'
  | 'actuation_outcome';

export type ChargerStatus = 'available' | 'occupied' | 'faulted' | 'offline';

export interface SignalPayloads {
  queue_length: { waiting: number };
  arrival: { vehicleId?: string };
  swap_completed: { durationS: number; batteryOutId?: string; batteryInId?: string };
  battery_stock: { charged: number; charging: number; depleted: number; faulty: number };
  battery_health: { batteryId: string; sohPct: number; cycles: number; tempC: number };
  charger_status: { chargerId: string; status: ChargerStatus; errorCode?: string };
  charger_temp: { chargerId: string; tempC: number };
  /**
   * A charging transaction on one of a charger's connectors (OCPP 1.6 StartTransaction/StopTransaction,
   * 2.0.1 TransactionEvent, or a sender's own report). `energyWh` is the meter register reading in Wh at
   * that moment; `socPct` the vehicle's (or pack's) state of charge, where the charger reports it;
   * `reason` why the transaction ended.
   */
  charging_session: {
    chargerId: string;
    connectorId: number;
    transactionId: string;
    event: 'started' | 'updated' | 'ended';
    energyWh?: number;
    socPct?: number;
    reason?: string;
  };
  power_draw: { kW: number };
  grid_limit: { kW: number };
  grid_price: { pricePerKWh: number; currency: string; validFrom: string; validTo: string };
  staff_on_duty: { count: number };
  /** Extension to AGENTS.md: how many bays are open right now (the rest are closed). */
  bay_status: { open: number };
  /** An operator ends a sticky action; made only by POST /api/stations/:id/plan/release, never taken from a sender. */
  operator_release: { actionId: string; by: string; note: string | null };
  /** An operator answers a pending_approval decision; made only by POST /api/decisions/:id/approve or /reject, never taken from a sender. */
  operator_answer: { decisionId: string; outcome: 'approved' | 'rejected'; by: string; note: string | null };
  /**
   * A device did not carry out a command (rejected, failed, or no answer in time); made only by the
   * actuation service, never taken from a sender. `params` are the action's as handed, so a later
   * version of it is not taken out by an answer about an earlier one.
   */
  actuation_outcome: {
    decisionId: string;
    actionId: string;
    kind: 'start' | 'adjust';
    params: Record<string, number | string | boolean>;
    outcome: 'rejected' | 'failed' | 'timeout';
    detail: string | null;
  };
}

/** A signal as validated at the edge; `ts` is ISO 8601 (the time of measurement). */
export type Signal = {
  [K in SignalType]: { id: string; stationId: string; type: K; ts: string; payload: SignalPayloads[K] };
}[SignalType];

export type SignalOf<K extends SignalType> = Extract<Signal, { type: K }>;
