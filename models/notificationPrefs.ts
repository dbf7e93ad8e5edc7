// A user's notification preferences: on call or not, the lowest severity worth a push, quiet hours.
// Absent means the defaults (services/notifications/rules.ts DEFAULT_PREFS).
import { Schema, type Connection, type Model } from 'mongoose';

export interface NotificationPrefsDoc {
  userId: string;
  onCall: boolean;
  pushMinSeverity: 'low' | 'medium' | 'high' | 'critical';
  /** `{ start: 'HH:MM', end: 'HH:MM', tzOffsetMin }` in the user's local time, or null. */
  quietHours: { start: string; end: string; tzOffsetMin: number } | null;
  updatedAt: Date;
}

export const notificationPrefsSchema = new Schema<NotificationPrefsDoc>(
  {
    userId: { type: String, required: true },
    onCall: { type: Boolean, required: true },
    pushMinSeverity: { type: String, enum: ['low', 'medium', 'high', 'critical'], required: true },
    quietHours: { type: Schema.Types.Mixed, default: null },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: false },
);
notificationPrefsSchema.index({ userId: 1 }, { unique: true });

/** The model on this connection (registered once; a second call returns the same model). */
export function createNotificationPrefsModel(conn: Connection): Model<NotificationPrefsDoc> {
  return (
    (conn.models.NotificationPrefs as Model<NotificationPrefsDoc> | undefined) ??
    conn.model<NotificationPrefsDoc>('NotificationPrefs', notificationPrefsSchema)
  );
}
