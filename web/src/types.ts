// The shapes the console reads from the API and the dashboard socket (docs/api.md), as far as it uses them.

export type Role = 'admin' | 'operator' | 'auditor';

export interface User {
  id: string;
  email: string;
  role: Role;
  stationScope: string[] | 'all';
  disabled: boolean;
  mustChangePassword: boolean;
}

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  /** Seconds the access token is good for. */
  expiresIn: number;
  user: User;
}

export interface Charger {
  id: string;
  status: string;
  tempC?: number | null;
  [k: string]: unknown;
}

/** A station as `GET /api/stations` and `station:updated` carry it; the console reads what it shows. */
export interface Station {
  id: string;
  name: string;
  location: { lat: number; lng: number };
  capacity: { bays: number; chargers: number; batterySlots: number };
  version?: number;
  [k: string]: unknown;
}

export interface DecisionAction {
  agent: string;
  action: string;
  params?: Record<string, unknown>;
  urgency?: string;
  target?: string;
}

/** `decision:created` on /dashboard (the full record is `GET /api/decisions/:id`). */
export interface DecisionSummary {
  id: string;
  stationId: string;
  signalId: string;
  ts: string;
  status: string;
  risk?: { level?: string; score?: number; [k: string]: unknown };
  actions: DecisionAction[];
  rejected?: number | unknown[];
  conflicts?: number | unknown[];
  hash: string;
  explanation?: { text: string; source: string } | null;
  anchor?: { status: string; [k: string]: unknown };
  /** An operator's answer, once given (the record keeps `status: pending_approval`; the list filter says approved/rejected). */
  approval?: Approval | null;
  [k: string]: unknown;
}

/** `POST /api/decisions/:id/approve` and `/reject` answer this; `decision:approved` carries it without the two decision fields. */
export interface Approval {
  decisionId?: string;
  decisionHash?: string;
  outcome: 'approved' | 'rejected';
  by: string;
  note: string | null;
  at: string;
  hash: string;
  anchor?: { status: string; [k: string]: unknown };
}

export interface Notification {
  id: string;
  kind: string;
  severity: string;
  title: string;
  body: string;
  stationId?: string | null;
  decisionId?: string | null;
  readAt: string | null;
  createdAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** A station in the list and in `station:updated` (services/pipeline/stationView.ts). */
export interface StationSummary {
  id: string;
  name: string;
  location: { lat: number; lng: number };
  capacity: { bays: number; chargers: number; batterySlots: number };
  version: number;
  updatedAt: string | null;
  queueWaiting: number;
  predictedWaitMin: number;
  inventory: { charged: number; charging: number; depleted: number; faulty: number };
  power: { drawKW: number | null; limitKW: number | null };
  bays: { total: number; open: number };
  chargers: { id: string; status: string; tempC: number | null }[];
  actions: { id: string; agent: string; action: string; target: string; status: 'active' | 'pending_approval' }[];
}
