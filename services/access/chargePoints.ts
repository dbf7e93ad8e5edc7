// OCPP charge points of a station: registered by an admin (the password is in that answer only),
// listed without secrets, removed (its connection closes at once), and checked at the WebSocket
// handshake (OCPP security profile 1/2: HTTP Basic `identity:password`). A charge point's identity is
// also its charger's id in the station state, so it counts against the station's charger capacity.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Model } from 'mongoose';
import type { ChargePointDoc } from '../../models/chargePoint.js';
import type { StationState } from '../../eventBus/types.js';
import { own } from '../../utils/own.js';
import { AppError } from '../platform/index.js';
import type { Revocations } from './revocations.js';

/** What OCPP allows in an identity that is also a URL path segment (1.6: up to 48 in practice; 2.0.1: 48). */
export const CHARGE_POINT_IDENTITY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,47}$/;
export const MAX_CONNECTORS = 16;

/** A charge point as the API shows it: everything but the password's hash, times as ISO strings. */
export type ChargePointInfo = Omit<ChargePointDoc, 'passwordHash' | 'createdAt' | 'lastBootAt'> & {
  createdAt: string;
  lastBootAt: string | null;
};

/** What the central system keeps of an authenticated charge point for its connection. */
export interface AuthenticatedChargePoint {
  identity: string;
  stationId: string;
  connectors: number;
}

export interface BootInfo {
  vendor: string;
  model: string;
  firmware: string | null;
  serial: string | null;
  protocol: string;
}

export interface ChargePointServiceOptions {
  model: Model<ChargePointDoc>;
  stations: { get(id: string): StationState | undefined };
  now: () => Date;
  /** Told of every charge point removed, once the removal is stored: its connection closes. */
  revocations?: Revocations;
}

// SHA-256, not a slow KDF: the password is 24 random bytes (192 bits) we generate, so a leaked hash
// gives nothing to guess offline; a slow hash would only cost CPU at every (re)connection storm.
function hashPassword(password: Buffer | string): Buffer {
  return createHash('sha256').update(password).digest();
}

function unknownStation(stationId: string): AppError {
  return new AppError(404, 'UNKNOWN_STATION', `station ${stationId} is not registered`, [{ field: 'id' }]);
}

function infoOf(d: ChargePointDoc): ChargePointInfo {
  const iso = (x: Date | null) => (x ? new Date(x).toISOString() : null);
  return {
    identity: d.identity,
    stationId: d.stationId,
    connectors: d.connectors,
    createdAt: new Date(d.createdAt).toISOString(),
    createdBy: d.createdBy,
    vendor: d.vendor ?? null,
    model: d.model ?? null,
    firmware: d.firmware ?? null,
    serial: d.serial ?? null,
    protocol: d.protocol ?? null,
    lastBootAt: iso(d.lastBootAt ?? null),
  };
}

export class ChargePointService {
  /** Stations with at least one charge point, and how many (kept for the actuator's routing, a read per handover). */
  private readonly perStation = new Map<string, Set<string>>();

  constructor(private readonly opts: ChargePointServiceOptions) {}

  /** Reads which stations have charge points (at start, and every few seconds with several instances). */
  async load(): Promise<void> {
    const docs = await this.opts.model.find({}, { identity: 1, stationId: 1 }).lean();
    this.perStation.clear();
    for (const d of docs) this.remember(d.stationId, d.identity);
  }

  /** Stations with at least one charge point. */
  get stationCount(): number {
    return this.perStation.size;
  }

  /** Whether the station has any charge point registered (on this instance's knowledge). */
  serves(stationId: string): boolean {
    return (this.perStation.get(stationId)?.size ?? 0) > 0;
  }

  /** The identities of the station's charge points. */
  identitiesOf(stationId: string): string[] {
    return [...(this.perStation.get(stationId) ?? [])].sort();
  }

  /**
   * Registers a charge point; the password is in this answer only. Its identity becomes a charger of the
   * station, so there must be room for it within the station's charger capacity.
   */
  async register(
    by: string,
    stationId: string,
    input: { identity: string; connectors: number },
  ): Promise<{ chargePoint: ChargePointInfo; password: string }> {
    const state = this.opts.stations.get(stationId);
    if (!state) throw unknownStation(stationId);
    const { identity, connectors } = input;
    const existing = await this.opts.model.findOne({ identity }, { stationId: 1 }).lean();
    if (existing)
      throw new AppError(409, 'CHARGE_POINT_EXISTS', `charge point ${identity} is already registered (station ${existing.stationId})`, [
        { field: 'identity' },
      ]);
    const mine = await this.opts.model.find({ stationId }, { identity: 1 }).lean();
    const chargers = new Set([...Object.keys(state.chargers), ...mine.map((d) => d.identity)]);
    if (!own(state.chargers, identity) && chargers.size >= state.capacity.chargers)
      throw new AppError(
        409,
        'CHARGER_CAPACITY',
        `station ${stationId} has room for ${state.capacity.chargers} chargers and knows ${chargers.size}; raise its capacity (PATCH /api/stations/${stationId}) before registering ${identity}`,
        [{ field: 'identity' }],
      );
    const password = randomBytes(24).toString('base64url');
    const doc: ChargePointDoc = {
      identity,
      stationId,
      connectors,
      passwordHash: hashPassword(password).toString('hex'),
      createdAt: this.opts.now(),
      createdBy: by,
      vendor: null,
      model: null,
      firmware: null,
      serial: null,
      protocol: null,
      lastBootAt: null,
    };
    try {
      await this.opts.model.create(doc);
    } catch (err) {
      if ((err as { code?: number }).code === 11000)
        throw new AppError(409, 'CHARGE_POINT_EXISTS', `charge point ${identity} is already registered`, [{ field: 'identity' }]);
      throw err;
    }
    this.remember(stationId, identity);
    return { chargePoint: infoOf(doc), password };
  }

  /** The station's charge points, by identity, without anything secret. */
  async list(stationId: string): Promise<ChargePointInfo[]> {
    if (!this.opts.stations.get(stationId)) throw unknownStation(stationId);
    const docs = await this.opts.model.find({ stationId }).sort({ identity: 1 }).lean();
    return docs.map(infoOf);
  }

  /** Removes one; answers whether it was there. Its connection is closed at once (revocations). */
  async remove(stationId: string, identity: string): Promise<boolean> {
    if (!this.opts.stations.get(stationId)) throw unknownStation(stationId);
    const res = await this.opts.model.deleteOne({ stationId, identity });
    this.forget(stationId, identity);
    if (res.deletedCount > 0) this.opts.revocations?.chargePointRemoved(identity);
    return res.deletedCount > 0;
  }

  /** Undoes a registration whose admin record could not be written. */
  async undo(stationId: string, identity: string): Promise<void> {
    await this.opts.model.deleteOne({ stationId, identity });
    this.forget(stationId, identity);
  }

  /** The charge point a handshake names, if the password is its own; null otherwise (unknown, wrong, none). */
  async authenticate(identity: string, password: Buffer | undefined): Promise<AuthenticatedChargePoint | null> {
    if (!CHARGE_POINT_IDENTITY.test(identity)) return null;
    const doc = await this.opts.model.findOne({ identity }).lean();
    if (!doc || password === undefined) return null;
    const stored = Buffer.from(doc.passwordHash, 'hex');
    const presented = hashPassword(password);
    if (stored.length !== presented.length || !timingSafeEqual(stored, presented)) return null;
    this.remember(doc.stationId, doc.identity);
    return { identity: doc.identity, stationId: doc.stationId, connectors: doc.connectors };
  }

  /** Of these identities, those still registered (another instance may have removed some). */
  async stillRegistered(identities: readonly string[]): Promise<Set<string>> {
    if (identities.length === 0) return new Set();
    const docs = await this.opts.model.find({ identity: { $in: [...identities] } }, { identity: 1 }).lean();
    return new Set(docs.map((d) => d.identity));
  }

  /** Keeps what the charger said of itself at BootNotification. */
  async booted(identity: string, info: BootInfo): Promise<void> {
    await this.opts.model.updateOne(
      { identity },
      {
        $set: {
          vendor: info.vendor,
          model: info.model,
          firmware: info.firmware,
          serial: info.serial,
          protocol: info.protocol,
          lastBootAt: this.opts.now(),
        },
      },
    );
  }

  private remember(stationId: string, identity: string): void {
    const set = this.perStation.get(stationId) ?? new Set<string>();
    set.add(identity);
    this.perStation.set(stationId, set);
  }

  private forget(stationId: string, identity: string): void {
    const set = this.perStation.get(stationId);
    set?.delete(identity);
    if (set?.size === 0) this.perStation.delete(stationId);
  }
}
