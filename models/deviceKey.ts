// Station device keys: what a charger presents (X-Device-Key, /ingest handshake) to send signals.
// Only a hash of the key is stored; the key itself is shown once, when issued.
import { Schema, type Connection, type Model } from 'mongoose';

export interface DeviceKeyDoc {
  /** Public part of the key (`dk_<12 hex>`): names the key in lists, logs and revocations. */
  keyId: string;
  stationId: string;
  /** SHA-256 (hex) of the whole key `<keyId>.<secret>`; see services/deviceKeys.ts for why a fast hash is right here. */
  keyHash: string;
  createdAt: Date;
  revokedAt: Date | null;
  /** Coarse (written at most once per interval, not per signal). */
  lastUsedAt: Date | null;
}

export const deviceKeySchema = new Schema<DeviceKeyDoc>(
  {
    keyId: { type: String, required: true },
    stationId: { type: String, required: true },
    keyHash: { type: String, required: true },
    createdAt: { type: Date, required: true },
    revokedAt: { type: Date, default: null },
    lastUsedAt: { type: Date, default: null },
  },
  { versionKey: false },
);
deviceKeySchema.index({ keyId: 1 }, { unique: true });
deviceKeySchema.index({ stationId: 1, createdAt: -1 });

/** The model on this connection (registered once; a second call returns the same model). */
export function createDeviceKeyModel(conn: Connection): Model<DeviceKeyDoc> {
  return (conn.models.DeviceKey as Model<DeviceKeyDoc> | undefined) ?? conn.model<DeviceKeyDoc>('DeviceKey', deviceKeySchema);
}
