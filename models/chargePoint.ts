// OCPP charge points registered to a station: the identity a charger connects with at /ocpp/<identity>,
// and a hash of its HTTP Basic password (shown once, when registered). What the charger says of itself
// at BootNotification is kept beside it.
import { Schema, type Connection, type Model } from 'mongoose';

export interface ChargePointDoc {
  /** The OCPP identity, also the charger's id in the station state. */
  identity: string;
  stationId: string;
  /** Connectors the charge point declared at registration (1..); a message for another one is refused. */
  connectors: number;
  /** SHA-256 (hex) of the password; see services/access/chargePoints.ts for why a fast hash is right here. */
  passwordHash: string;
  createdAt: Date;
  createdBy: string;
  /** From the last BootNotification (null until the first). */
  vendor: string | null;
  model: string | null;
  firmware: string | null;
  serial: string | null;
  /** The OCPP version it last connected with. */
  protocol: string | null;
  lastBootAt: Date | null;
}

export const chargePointSchema = new Schema<ChargePointDoc>(
  {
    identity: { type: String, required: true },
    stationId: { type: String, required: true },
    connectors: { type: Number, required: true },
    passwordHash: { type: String, required: true },
    createdAt: { type: Date, required: true },
    createdBy: { type: String, required: true },
    vendor: { type: String, default: null },
    model: { type: String, default: null },
    firmware: { type: String, default: null },
    serial: { type: String, default: null },
    protocol: { type: String, default: null },
    lastBootAt: { type: Date, default: null },
  },
  { versionKey: false },
);
chargePointSchema.index({ identity: 1 }, { unique: true });
chargePointSchema.index({ stationId: 1, identity: 1 });

/** The model on this connection (registered once; a second call returns the same model). */
export function createChargePointModel(conn: Connection): Model<ChargePointDoc> {
  return (conn.models.ChargePoint as Model<ChargePointDoc> | undefined) ?? conn.model<ChargePointDoc>('ChargePoint', chargePointSchema);
}
