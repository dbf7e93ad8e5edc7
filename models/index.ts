// mongoose models, bound to a given connection so tests can run several apps in one process.
// Our ids live in their own uniquely indexed fields, not in _id: the embedded wire
// server only accepts ObjectId _ids. Mixed fields and minimize:false keep decision content byte-for-byte as hashed (empty objects survive).
import { Schema, type Connection, type Model } from 'mongoose';
import { createDeviceKeyModel, type DeviceKeyDoc } from './deviceKey.js';
import { createChargePointModel, type ChargePointDoc } from './chargePoint.js';
import { createOtpCodeModel, type OtpCodeDoc } from './otpCode.js';

const { Mixed } = Schema.Types;

export interface SignalLogDoc {
  signalId: string;
  stationId: string;
  type: string;
  ts: string;
  payload: Record<string, unknown>;
  receivedAt: Date;
}

export interface StationStateDoc {
  stationId: string;
  name: string;
  location: { lat: number; lng: number };
  capacity: { bays: number; chargers: number; batterySlots: number };
  state: Record<string, unknown>;
  version: number;
  /** With the stream signal log: the id of the last stream entry folded into `state` (where a new owner resumes). */
  logPosition?: string;
  /** Its partition of the stream signal log, fixed when it joined (StationStore.partitionOf). */
  partition?: number;
  registeredAt: Date;
  updatedAt: Date;
}

export interface DecisionLogDoc {
  decisionId: string;
  stationId: string;
  signalId: string;
  ts: string;
  status: string;
  riskLevel: string;
  /** The RFC 8785 text that `hash` is the SHA-256 of: the decision content, byte for byte. */
  canonical: string;
  agents: string[];
  actionNames: string[];
  hash: string;
  explanation: Record<string, unknown>;
  /** Anchoring sequence numbers of the decision's leaf and of its explanation's leaf (see services/anchoring). */
  anchorSeq?: number;
  explanationSeq?: number;
  approval?: Record<string, unknown>;
  approvalSeq?: number;
  createdAt: Date;
}

/** An admin's change (users, device keys, agents, stations), hashed and anchored like a decision. */
export interface AdminActionDoc {
  actionId: string;
  at: string;
  by: string;
  action: string;
  target: string;
  details: Record<string, unknown>;
  hash: string;
  anchorSeq?: number;
}

/** An actuator's answer to one command a decision handed over: the hashed fields (see ActionOutcome) plus its leaf's sequence number. */
export interface ActionOutcomeDoc {
  ref: string;
  decisionId: string;
  decisionHash: string;
  stationId: string;
  kind: string;
  actionId: string;
  action: string;
  target: string;
  params: Record<string, unknown>;
  actuator: string;
  outcome: string;
  detail: string | null;
  at: string;
  latencyMs: number;
  hash: string;
  anchorSeq: number;
}

/** Agent settings changed at run time (PATCH /api/agents/:name), applied over the configured ones at start. */
export interface AgentSettingDoc {
  name: string;
  enabled: boolean;
  thresholds: Record<string, unknown>;
  updatedAt: Date;
}

export type AnchorBatchStatus = 'queued' | 'anchored' | 'failed';

/** One Merkle batch: its leaves (the tree is a pure function of them), and where it was anchored. */
export interface AnchorBatchDoc {
  batchId: number;
  root: string;
  leafCount: number;
  firstSeq: number;
  lastSeq: number;
  leaves: { seq: number; kind: string; refId: string; hash: string; stationId?: string }[];
  status: AnchorBatchStatus;
  reason?: string | null;
  attempts: number;
  txHash?: string | null;
  blockNumber?: number | null;
  blockTime?: Date | null;
  gasUsed?: number | null;
  chainId?: number | null;
  contract?: string | null;
  /** Earlier anchorings of the same root on a chain that was lost (embedded chain restarted, contract replaced). */
  previous?: { txHash: string; blockNumber: number; chainId: number; contract: string }[];
  createdAt: Date;
  anchoredAt?: Date | null;
}

/** The contract anchoring writes to, recorded so a lost chain or a changed contract is noticed at start. */
export interface AnchorMetaDoc {
  key: string;
  chainId: number;
  contract: string;
  anchorer: string;
  deployTx?: string | null;
  embedded: boolean;
  recordedAt: Date;
}

export interface EnergyMarketDoc {
  signalId: string;
  stationId: string;
  pricePerKWh: number;
  currency: string;
  validFrom: string;
  validTo: string;
  /** When the signal was taken in: the retention window counts from it (absent on documents from before 2026-12). */
  receivedAt?: Date;
}

export type Role = 'admin' | 'operator' | 'auditor';

export interface UserDoc {
  userId: string;
  email: string;
  passwordHash: string;
  role: Role;
  stationScope: string[] | 'all';
  disabled: boolean;
  /** Set for generated passwords: until the user chooses their own, they may only change it (or sign out). */
  mustChangePassword: boolean;
  /** Raised by a password change: access tokens carry it, and those issued before the change are refused. */
  sessionVersion?: number;
}

/** A refresh token, stored hashed. Rotation chains tokens into a family; reusing a rotated one revokes the family. */
export interface RefreshTokenDoc {
  tokenHash: string;
  userId: string;
  familyId: string;
  expiresAt: Date;
  rotatedAt?: Date | null;
  revokedAt?: Date | null;
  createdAt: Date;
}

export interface NotificationDoc {
  userId: string;
  kind: string;
  severity: string;
  title: string;
  body: string;
  stationId?: string;
  decisionId?: string;
  readAt?: Date;
  createdAt: Date;
  /** Text only its reader may see, encrypted at rest (a one-time code); opened when listed, until it expires. */
  sealed?: { data: string; until: Date };
}

export interface SubDoc {
  userId: string;
  endpoint: string;
  keys: { p256dh: string; auth: string };
  createdAt: Date;
}

const signalLogSchema = new Schema<SignalLogDoc>(
  {
    signalId: { type: String, required: true },
    stationId: { type: String, required: true },
    type: { type: String, required: true },
    ts: { type: String, required: true },
    payload: { type: Mixed, required: true },
    receivedAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: false },
);
// A signal id unique per station is the durable dedupe backstop in real MongoDB.
signalLogSchema.index({ stationId: 1, signalId: 1 }, { unique: true });
signalLogSchema.index({ stationId: 1, ts: -1 });
// The retention TTL index on receivedAt is made at start from SIGNAL_RETENTION_H (signalStore/mongo.ts).

const stationStateSchema = new Schema<StationStateDoc>(
  {
    stationId: { type: String, required: true, unique: true },
    name: { type: String, required: true },
    location: { lat: Number, lng: Number },
    capacity: { bays: Number, chargers: Number, batterySlots: Number },
    state: { type: Mixed, required: true },
    version: { type: Number, required: true },
    logPosition: { type: String },
    partition: { type: Number },
    registeredAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: false },
);

const decisionLogSchema = new Schema<DecisionLogDoc>(
  {
    decisionId: { type: String, required: true, unique: true },
    stationId: { type: String, required: true },
    signalId: { type: String, required: true },
    ts: { type: String, required: true },
    status: { type: String, required: true },
    riskLevel: { type: String, required: true },
    canonical: { type: String, required: true },
    agents: { type: [String], default: undefined },
    actionNames: { type: [String], default: undefined },
    hash: { type: String, required: true },
    explanation: { type: Mixed, required: true },
    anchorSeq: Number,
    explanationSeq: Number,
    approval: { type: Mixed, default: undefined },
    approvalSeq: Number,
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: false },
);
decisionLogSchema.index({ stationId: 1, ts: -1, decisionId: -1 });
decisionLogSchema.index({ ts: -1, decisionId: -1 });
decisionLogSchema.index({ agents: 1, ts: -1 });
decisionLogSchema.index({ actionNames: 1, ts: -1 });
decisionLogSchema.index({ status: 1, ts: -1 });
decisionLogSchema.index({ hash: 1 });
decisionLogSchema.index({ anchorSeq: -1 });
// Anchoring's start reads the highest sequence numbers and the leaves numbered after the last batch.
decisionLogSchema.index({ explanationSeq: -1 });
decisionLogSchema.index({ approvalSeq: -1 });

const anchorBatchSchema = new Schema<AnchorBatchDoc>(
  {
    batchId: { type: Number, required: true, unique: true },
    root: { type: String, required: true },
    leafCount: { type: Number, required: true },
    firstSeq: { type: Number, required: true },
    lastSeq: { type: Number, required: true },
    leaves: { type: Mixed, required: true },
    status: { type: String, enum: ['queued', 'anchored', 'failed'], required: true },
    reason: String,
    attempts: { type: Number, default: 0 },
    txHash: String,
    blockNumber: Number,
    blockTime: Date,
    gasUsed: Number,
    chainId: Number,
    contract: String,
    previous: { type: Mixed, default: undefined },
    createdAt: { type: Date, required: true },
    anchoredAt: Date,
  },
  { versionKey: false, minimize: false },
);
anchorBatchSchema.index({ status: 1, batchId: 1 });
anchorBatchSchema.index({ lastSeq: 1 });
anchorBatchSchema.index({ root: 1 });

const adminActionSchema = new Schema<AdminActionDoc>(
  {
    actionId: { type: String, required: true, unique: true },
    at: { type: String, required: true },
    by: { type: String, required: true },
    action: { type: String, required: true },
    target: { type: String, required: true },
    details: { type: Mixed, required: true },
    hash: { type: String, required: true },
    anchorSeq: Number,
  },
  { versionKey: false, minimize: false },
);
adminActionSchema.index({ at: -1 });
adminActionSchema.index({ anchorSeq: -1 });

const actionOutcomeSchema = new Schema<ActionOutcomeDoc>(
  {
    ref: { type: String, required: true, unique: true },
    decisionId: { type: String, required: true },
    decisionHash: { type: String, required: true },
    stationId: { type: String, required: true },
    kind: { type: String, required: true },
    actionId: { type: String, required: true },
    action: { type: String, required: true },
    target: { type: String, required: true },
    params: { type: Mixed, required: true },
    actuator: { type: String, required: true },
    outcome: { type: String, required: true },
    detail: { type: String, default: null },
    at: { type: String, required: true },
    latencyMs: { type: Number, required: true },
    hash: { type: String, required: true },
    anchorSeq: { type: Number, required: true },
  },
  { versionKey: false, minimize: false },
);
actionOutcomeSchema.index({ decisionId: 1, anchorSeq: 1 });
actionOutcomeSchema.index({ anchorSeq: -1 });

const agentSettingSchema = new Schema<AgentSettingDoc>(
  {
    name: { type: String, required: true, unique: true },
    enabled: { type: Boolean, required: true },
    thresholds: { type: Mixed, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: false },
);

const anchorMetaSchema = new Schema<AnchorMetaDoc>(
  {
    key: { type: String, required: true, unique: true },
    chainId: { type: Number, required: true },
    contract: { type: String, required: true },
    anchorer: { type: String, required: true },
    deployTx: String,
    embedded: { type: Boolean, required: true },
    recordedAt: { type: Date, required: true },
  },
  { versionKey: false },
);

const energyMarketSchema = new Schema<EnergyMarketDoc>(
  {
    signalId: { type: String, required: true },
    stationId: { type: String, required: true },
    pricePerKWh: { type: Number, required: true },
    currency: { type: String, required: true },
    validFrom: { type: String, required: true },
    validTo: { type: String, required: true },
    receivedAt: { type: Date },
  },
  { versionKey: false },
);
energyMarketSchema.index({ stationId: 1, validFrom: -1 });
energyMarketSchema.index({ stationId: 1, signalId: 1 }, { unique: true });

const userSchema = new Schema<UserDoc>(
  {
    userId: { type: String, required: true, unique: true },
    email: { type: String, required: true, unique: true, lowercase: true },
    passwordHash: { type: String, required: true },
    role: { type: String, enum: ['admin', 'operator', 'auditor'], required: true },
    stationScope: { type: Mixed, default: 'all' },
    disabled: { type: Boolean, default: false },
    mustChangePassword: { type: Boolean, default: false },
    sessionVersion: { type: Number, default: 0 },
  },
  { versionKey: false, timestamps: true },
);

const refreshTokenSchema = new Schema<RefreshTokenDoc>(
  {
    tokenHash: { type: String, required: true, unique: true },
    userId: { type: String, required: true },
    familyId: { type: String, required: true },
    expiresAt: { type: Date, required: true },
    rotatedAt: Date,
    revokedAt: Date,
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);
refreshTokenSchema.index({ familyId: 1 });
refreshTokenSchema.index({ userId: 1 });

const notificationSchema = new Schema<NotificationDoc>(
  {
    userId: { type: String, required: true },
    kind: { type: String, required: true },
    severity: { type: String, required: true },
    title: { type: String, required: true },
    body: { type: String, required: true },
    stationId: String,
    decisionId: String,
    readAt: Date,
    createdAt: { type: Date, required: true },
    sealed: { type: new Schema({ data: String, until: Date }, { _id: false }), default: undefined },
  },
  { versionKey: false },
);
notificationSchema.index({ userId: 1, createdAt: -1 });

const subSchema = new Schema<SubDoc>(
  {
    userId: { type: String, required: true },
    endpoint: { type: String, required: true, unique: true },
    keys: { p256dh: String, auth: String },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);
subSchema.index({ userId: 1 });

export interface Models {
  SignalLog: Model<SignalLogDoc>;
  StationState: Model<StationStateDoc>;
  DecisionLog: Model<DecisionLogDoc>;
  AnchorBatch: Model<AnchorBatchDoc>;
  AnchorMeta: Model<AnchorMetaDoc>;
  AdminAction: Model<AdminActionDoc>;
  ActionOutcome: Model<ActionOutcomeDoc>;
  AgentSetting: Model<AgentSettingDoc>;
  EnergyMarket: Model<EnergyMarketDoc>;
  User: Model<UserDoc>;
  RefreshToken: Model<RefreshTokenDoc>;
  DeviceKey: Model<DeviceKeyDoc>;
  ChargePoint: Model<ChargePointDoc>;
  OtpCode: Model<OtpCodeDoc>;
  Notification: Model<NotificationDoc>;
  Sub: Model<SubDoc>;
}

export function createModels(conn: Connection): Models {
  return {
    SignalLog: conn.model<SignalLogDoc>('SignalLog', signalLogSchema),
    StationState: conn.model<StationStateDoc>('StationState', stationStateSchema),
    DecisionLog: conn.model<DecisionLogDoc>('DecisionLog', decisionLogSchema),
    AnchorBatch: conn.model<AnchorBatchDoc>('AnchorBatch', anchorBatchSchema),
    AnchorMeta: conn.model<AnchorMetaDoc>('AnchorMeta', anchorMetaSchema),
    AdminAction: conn.model<AdminActionDoc>('AdminAction', adminActionSchema),
    ActionOutcome: conn.model<ActionOutcomeDoc>('ActionOutcome', actionOutcomeSchema),
    AgentSetting: conn.model<AgentSettingDoc>('AgentSetting', agentSettingSchema),
    EnergyMarket: conn.model<EnergyMarketDoc>('EnergyMarket', energyMarketSchema),
    User: conn.model<UserDoc>('User', userSchema),
    RefreshToken: conn.model<RefreshTokenDoc>('RefreshToken', refreshTokenSchema),
    DeviceKey: createDeviceKeyModel(conn),
    ChargePoint: createChargePointModel(conn),
    OtpCode: createOtpCodeModel(conn),
    Notification: conn.model<NotificationDoc>('Notification', notificationSchema),
    Sub: conn.model<SubDoc>('Sub', subSchema),
  };
}
