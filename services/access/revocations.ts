// What ends access at once: a user disabled or changing their password, device keys revoked or
// rotated away. The services that make those changes announce them here, synchronously and after
// the change is stored, so the socket namespaces can close the sockets the change concerns before
// they take another event. One process only: another instance refuses the same sockets at their
// next event from its own state (users), or once its key cache expires (device keys).
import { EventEmitter } from 'eventemitter3';

export interface RevocationEvents {
  /** The user's account changed in a way that may end their sessions (disabled, new password). */
  user: (userId: string) => void;
  /** These device keys of the station stopped working. */
  deviceKeys: (stationId: string, keyIds: readonly string[]) => void;
  /** This OCPP charge point was removed: its connection closes. */
  chargePoint: (identity: string) => void;
}

export class Revocations extends EventEmitter<RevocationEvents> {
  userChanged(userId: string): void {
    this.emit('user', userId);
  }

  deviceKeysRevoked(stationId: string, keyIds: readonly string[]): void {
    if (keyIds.length) this.emit('deviceKeys', stationId, keyIds);
  }

  chargePointRemoved(identity: string): void {
    this.emit('chargePoint', identity);
  }
}
