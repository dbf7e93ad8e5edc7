// One-time sign-in codes: only a keyed hash of the code is stored (see services/otpService.ts).
import { Schema, type Connection, type Model } from 'mongoose';

export interface OtpCodeDoc {
  /** Normalised as services/auth/users.ts normaliseEmail does (NFKC, trimmed, lowercase ASCII). */
  email: string;
  /** HMAC-SHA256 (hex) of email and code under a server secret that is not in the database. */
  codeHash: string;
  expiresAt: Date;
  /** Verification attempts made against this code, right or wrong. */
  attempts: number;
  /** Set when the code was used, or when a newer code for the same email replaced it. */
  usedAt: Date | null;
  createdAt: Date;
}

export const otpCodeSchema = new Schema<OtpCodeDoc>(
  {
    email: { type: String, required: true },
    codeHash: { type: String, required: true },
    expiresAt: { type: Date, required: true },
    attempts: { type: Number, required: true, default: 0 },
    usedAt: { type: Date, default: null },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);
otpCodeSchema.index({ email: 1, createdAt: -1 });
// Real MongoDB drops dead codes a day after expiry (kept that long to count requests per window and for inquiries).
otpCodeSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 86_400 });

/** The model on this connection (registered once; a second call returns the same model). */
export function createOtpCodeModel(conn: Connection): Model<OtpCodeDoc> {
  return (conn.models.OtpCode as Model<OtpCodeDoc> | undefined) ?? conn.model<OtpCodeDoc>('OtpCode', otpCodeSchema);
}
