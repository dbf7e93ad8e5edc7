// Station device keys: issue (shown once), verify on the ingest hot path from an
// in-memory cache, rotate, revoke, list; and the pure rule that a key sends only for its own station.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Model } from 'mongoose';
import type { DeviceKeyDoc } from '../../models/deviceKey.js';
import { AppError } from '../platform/index.js';
import type { Revocations } from './revocations.js';

/** `dk_<12 hex>.<43 base64url chars>`: the key id, then 32 random bytes. */
const KEY_PATTERN = /^(dk_[0-9a-f]{12})\.([A-Za-z0-9_-]{43})$/;
export const KEY_ID_PATTERN = /^dk_[0-9a-f]{12}$/;

export interface VerifiedDeviceKey {
  stationId: string;
  keyId: string;
}

export interface IssuedDeviceKey {
  keyId: string;
  /** The only time the whole key is ever seen: it is not stored, only its hash. */
  deviceKey: string;
}

export interface DeviceKeyInfo {
  keyId: string;
  stationId: string;
  status: 'active' | 'revoked';
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export interface DeviceKeyServiceOptions {
  model: Model<DeviceKeyDoc>;
  /** Keys are issued only for registered stations. */
  stations: { has(id: string): boolean };
  now: () => Date;
  /** Verified keys held in memory (least recently used beyond this are dropped). */
  cacheMax: number;
  /**
   * How long a verified key is trusted from memory. Revocation on this instance clears the entry at once;
   * another instance notices within this time.
   */
  cacheTtlMs: number;
  /** lastUsedAt is written at most this often per key. */
  lastUsedEveryMs: number;
  /** Live keys a station may hold at once (issuing without rotating beyond it is refused). */
  maxLivePerStation: number;
  onError(err: unknown): void;
  /** Told of every key revoked (by id), once the revocation is stored: open sockets on those keys close. */
  revocations?: Revocations;
}

export const DEVICE_KEY_DEFAULTS = { cacheMax: 10_000, cacheTtlMs: 60_000, lastUsedEveryMs: 3_600_000, maxLivePerStation: 5 } as const;

interface CacheEntry {
  stationId: string;
  keyHash: Buffer;
  cachedAt: number;
  lastUsedWrittenAt: number;
}

// SHA-256, not a slow KDF: the secret is 32 random bytes (256 bits), so there is nothing to
// guess offline from a leaked hash, unlike a password; a slow hash would only cost CPU on every
// cache miss of the ingest path and invite a denial of service with made-up keys.
function hashKey(deviceKey: string): Buffer {
  return createHash('sha256').update(deviceKey, 'utf8').digest();
}

function unknownStation(stationId: string): AppError {
  return new AppError(404, 'UNKNOWN_STATION', `station ${stationId} is not registered`, [{ field: 'id' }]);
}

export class DeviceKeyService {
  private readonly cache = new Map<string, CacheEntry>();
  /** Bumped by every revocation: a lookup that started before one does not fill the cache. */
  private epoch = 0;

  constructor(private readonly opts: DeviceKeyServiceOptions) {}

  /** A new key for the station, alongside any it holds. */
  async issue(stationId: string): Promise<IssuedDeviceKey> {
    if (!this.opts.stations.has(stationId)) throw unknownStation(stationId);
    const live = await this.opts.model.countDocuments({ stationId, revokedAt: null });
    if (live >= this.opts.maxLivePerStation) {
      throw new AppError(
        409,
        'TOO_MANY_DEVICE_KEYS',
        `station ${stationId} already holds ${live} live device keys; rotate or revoke first`,
        [{ field: 'id' }],
      );
    }
    return this.create(stationId);
  }

  /** A new key for the station; every key it held before is revoked once the new one is stored. */
  async rotate(stationId: string): Promise<IssuedDeviceKey> {
    if (!this.opts.stations.has(stationId)) throw unknownStation(stationId);
    const issued = await this.create(stationId);
    await this.revokeWhere({ stationId, keyId: { $ne: issued.keyId } }, (e) => e.stationId === stationId);
    return issued;
  }

  /** Revoke one key of the station, or all of them; answers how many keys this call revoked. */
  async revoke(stationId: string, keyId?: string): Promise<number> {
    if (!this.opts.stations.has(stationId)) throw unknownStation(stationId);
    if (keyId === undefined) return this.revokeWhere({ stationId }, (e) => e.stationId === stationId);
    return this.revokeWhere({ stationId, keyId }, (e, id) => id === keyId);
  }

  /**
   * Undoes an issue or a rotation whose admin record could not be written: deletes the new key and
   * brings back the keys the rotation revoked (revocations made since by anyone else stay).
   */
  async undo(issued: { keyId: string; revokedOthers?: string[] }): Promise<void> {
    this.epoch++;
    this.dropCached((_e, id) => id === issued.keyId);
    await this.opts.model.deleteOne({ keyId: issued.keyId });
    if (issued.revokedOthers?.length)
      await this.opts.model.updateMany({ keyId: { $in: issued.revokedOthers } }, { $set: { revokedAt: null } });
  }

  /** The ids of the station's live keys (what a rotation is about to revoke). */
  async liveKeyIds(stationId: string): Promise<string[]> {
    return (await this.opts.model.find({ stationId, revokedAt: null }, { keyId: 1 }).lean()).map((d) => d.keyId);
  }

  /** Whether the station has (or had) this key: lets a revocation tell "unknown key" from "already revoked". */
  async exists(stationId: string, keyId: string): Promise<boolean> {
    return (await this.opts.model.countDocuments({ stationId, keyId })) > 0;
  }

  /** The station's keys, newest first, without anything secret. */
  async list(stationId: string): Promise<DeviceKeyInfo[]> {
    if (!this.opts.stations.has(stationId)) throw unknownStation(stationId);
    const docs = await this.opts.model.find({ stationId }).sort({ createdAt: -1 }).lean();
    return docs.map((d) => ({
      keyId: d.keyId,
      stationId: d.stationId,
      status: d.revokedAt ? 'revoked' : 'active',
      createdAt: new Date(d.createdAt).toISOString(),
      revokedAt: d.revokedAt ? new Date(d.revokedAt).toISOString() : null,
      lastUsedAt: d.lastUsedAt ? new Date(d.lastUsedAt).toISOString() : null,
    }));
  }

  /** The station and key id a presented key belongs to, or null (malformed, unknown, wrong secret, revoked). */
  async verify(deviceKey: unknown): Promise<VerifiedDeviceKey | null> {
    if (typeof deviceKey !== 'string') return null;
    const m = KEY_PATTERN.exec(deviceKey);
    if (!m) return null;
    const keyId = m[1];
    const presented = hashKey(deviceKey);
    const now = this.opts.now().getTime();

    const hit = this.cache.get(keyId);
    if (hit && now - hit.cachedAt < this.opts.cacheTtlMs) {
      // A wrong secret for a known key id is answered from memory too: guessing costs no database query.
      if (!timingSafeEqual(presented, hit.keyHash)) return null;
      this.cache.delete(keyId);
      this.cache.set(keyId, hit);
      this.touch(keyId, hit, now);
      return { stationId: hit.stationId, keyId };
    }
    if (hit) this.cache.delete(keyId);

    const epoch = this.epoch;
    const doc = await this.opts.model.findOne({ keyId }).lean();
    if (!doc || doc.revokedAt) return null;
    const stored = Buffer.from(doc.keyHash, 'hex');
    if (stored.length !== presented.length || !timingSafeEqual(presented, stored)) return null;
    const entry: CacheEntry = {
      stationId: doc.stationId,
      keyHash: stored,
      cachedAt: now,
      lastUsedWrittenAt: doc.lastUsedAt ? new Date(doc.lastUsedAt).getTime() : 0,
    };
    if (epoch === this.epoch) {
      this.cache.set(keyId, entry);
      while (this.cache.size > this.opts.cacheMax) this.cache.delete(this.cache.keys().next().value!);
    }
    this.touch(keyId, entry, now);
    return { stationId: doc.stationId, keyId };
  }

  /** Verified keys held in memory (for metrics and tests). */
  get cached(): number {
    return this.cache.size;
  }

  private async create(stationId: string): Promise<IssuedDeviceKey> {
    const keyId = `dk_${randomBytes(6).toString('hex')}`;
    const deviceKey = `${keyId}.${randomBytes(32).toString('base64url')}`;
    await this.opts.model.create({
      keyId,
      stationId,
      keyHash: hashKey(deviceKey).toString('hex'),
      createdAt: this.opts.now(),
      revokedAt: null,
      lastUsedAt: null,
    });
    return { keyId, deviceKey };
  }

  private async revokeWhere(filter: Record<string, unknown>, cached: (e: CacheEntry, keyId: string) => boolean): Promise<number> {
    this.epoch++;
    this.dropCached(cached);
    const live = { ...filter, revokedAt: null };
    const keyIds = (await this.opts.model.find(live, { keyId: 1, stationId: 1 }).lean()).map((d) => ({
      keyId: d.keyId,
      stationId: d.stationId,
    }));
    const res = await this.opts.model.updateMany(live, { $set: { revokedAt: this.opts.now() } });
    // Again after the write: a verification that read the key before it was revoked may have cached it meanwhile.
    this.epoch++;
    this.dropCached(cached);
    // Keys found live before the write are revoked now, whoever's write it was (a concurrent revocation included).
    const byStation = new Map<string, string[]>();
    for (const k of keyIds) byStation.set(k.stationId, [...(byStation.get(k.stationId) ?? []), k.keyId]);
    for (const [stationId, ids] of byStation) this.opts.revocations?.deviceKeysRevoked(stationId, ids);
    return res.modifiedCount;
  }

  private dropCached(match: (e: CacheEntry, keyId: string) => boolean): void {
    for (const [keyId, e] of this.cache) if (match(e, keyId)) this.cache.delete(keyId);
  }

  private touch(keyId: string, entry: CacheEntry, now: number): void {
    if (now - entry.lastUsedWrittenAt < this.opts.lastUsedEveryMs) return;
    entry.lastUsedWrittenAt = now;
    this.opts.model.updateOne({ keyId }, { $set: { lastUsedAt: new Date(now) } }).then(
      () => undefined,
      (err: unknown) => this.opts.onError(err),
    );
  }
}

export interface StationRejection {
  index: number;
  error: { code: 'FORBIDDEN_STATION'; field: 'stationId'; message: string };
}

/**
 * The signals a verified key may not send: every one that does not name the key's own station.
 * The edge rejects these and passes only the rest on, so nothing from them is stored.
 */
export function deviceKeyMayIngest(verified: VerifiedDeviceKey, signals: readonly unknown[]): StationRejection[] {
  const out: StationRejection[] = [];
  signals.forEach((s, index) => {
    const named = s !== null && typeof s === 'object' ? (s as { stationId?: unknown }).stationId : undefined;
    if (named === verified.stationId) return;
    const shown = typeof named === 'string' ? `station ${JSON.stringify(named.slice(0, 64))}` : 'no station';
    out.push({
      index,
      error: {
        code: 'FORBIDDEN_STATION',
        field: 'stationId',
        message: `device key ${verified.keyId} may only send signals for station ${verified.stationId}; this signal names ${shown}`,
      },
    });
  });
  return out;
}
