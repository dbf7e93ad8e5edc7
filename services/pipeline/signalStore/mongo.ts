// The signal log in MongoDB: batched inserts (the unique station+id index is the durable dedupe
// backstop) and a TTL index that lets the server drop signals past the retention window by itself.
import { isValidObjectId, type FilterQuery, type Model } from 'mongoose';
import type { EnergyMarketDoc, Models, SignalLogDoc } from '../../../models/index.js';
import { insertIgnoringDuplicates } from '../../platform/index.js';
import type { SignalListing, SignalStore } from './types.js';

/** The name of the TTL index; the retention window is its `expireAfterSeconds`. */
export const RETENTION_INDEX = 'retention';

/**
 * Creates the TTL index, or changes its window when SIGNAL_RETENTION_H changed since the last start
 * (`collMod` changes it in place; a server without it gets the index made again).
 */
async function ensureRetention(model: Model<unknown>, retentionS: number): Promise<void> {
  const coll = model.collection;
  // The plain receivedAt index of earlier versions would duplicate the TTL index.
  await coll.dropIndex('receivedAt_-1').catch(() => undefined);
  const window = async () => (await coll.indexes().catch(() => [])).find((i) => i.name === RETENTION_INDEX)?.expireAfterSeconds;
  const existing = await window();
  if (existing === retentionS) return;
  if (existing !== undefined) {
    await model.db
      .db!.command({ collMod: coll.collectionName, index: { name: RETENTION_INDEX, expireAfterSeconds: retentionS } })
      .catch(() => undefined);
    if ((await window()) === retentionS) return;
    await coll.dropIndex(RETENTION_INDEX);
  }
  await coll.createIndex({ receivedAt: 1 }, { name: RETENTION_INDEX, expireAfterSeconds: retentionS });
}

export class MongoSignalStore implements SignalStore {
  readonly kind = 'mongo' as const;

  private constructor(private readonly models: Pick<Models, 'SignalLog' | 'EnergyMarket'>) {}

  static async open(models: Pick<Models, 'SignalLog' | 'EnergyMarket'>, retentionS: number): Promise<MongoSignalStore> {
    await ensureRetention(models.SignalLog as unknown as Model<unknown>, retentionS);
    await ensureRetention(models.EnergyMarket as unknown as Model<unknown>, retentionS);
    return new MongoSignalStore(models);
  }

  async insert(docs: SignalLogDoc[]): Promise<void> {
    if (docs.length === 0) return;
    const market: EnergyMarketDoc[] = [];
    for (const d of docs) {
      if (d.type !== 'grid_price') continue;
      const p = d.payload as Omit<EnergyMarketDoc, 'signalId' | 'stationId' | 'receivedAt'>;
      market.push({
        signalId: d.signalId,
        stationId: d.stationId,
        pricePerKWh: p.pricePerKWh,
        currency: p.currency,
        validFrom: p.validFrom,
        validTo: p.validTo,
        receivedAt: d.receivedAt,
      });
    }
    await Promise.all([
      insertIgnoringDuplicates(this.models.SignalLog, docs),
      market.length ? insertIgnoringDuplicates(this.models.EnergyMarket, market) : undefined,
    ]);
  }

  async existing(docs: readonly { stationId: string; signalId: string; receivedAt: Date }[]): Promise<Set<string>> {
    if (docs.length === 0) return new Set();
    const wanted = new Set(docs.map((d) => `${d.stationId}/${d.signalId}`));
    const found = await this.models.SignalLog.find(
      { stationId: { $in: [...new Set(docs.map((d) => d.stationId))] }, signalId: { $in: [...new Set(docs.map((d) => d.signalId))] } },
      { stationId: 1, signalId: 1 },
    ).lean();
    return new Set(found.map((f) => `${f.stationId}/${f.signalId}`).filter((k) => wanted.has(k)));
  }

  async recentIds(limit: number): Promise<{ stationId: string; signalId: string }[]> {
    if (limit === 0) return [];
    return this.models.SignalLog.find({}, { _id: 0, signalId: 1, stationId: 1 })
      .sort({ receivedAt: -1, _id: -1 })
      .limit(limit)
      .lean<{ stationId: string; signalId: string }[]>();
  }

  async list(f: { stationIds?: string[]; after?: string; limit: number }): Promise<SignalListing> {
    const q: FilterQuery<SignalLogDoc> = {};
    if (f.stationIds) q.stationId = { $in: f.stationIds };
    if (f.after !== undefined && isValidObjectId(f.after)) q._id = { $gt: f.after };
    // The log's insertion order: batched inserts keep the order signals were folded in.
    const docs = await this.models.SignalLog.find(q)
      .sort({ _id: 1 })
      .limit(f.limit + 1)
      .lean<(SignalLogDoc & { _id: unknown })[]>();
    const page = docs.slice(0, f.limit);
    return { docs: page, nextCursor: docs.length > f.limit ? String(page[page.length - 1]!._id) : null };
  }

  async prune(before: Date): Promise<number> {
    const [signals] = await Promise.all([
      this.models.SignalLog.deleteMany({ receivedAt: { $lt: before } }),
      this.models.EnergyMarket.deleteMany({ receivedAt: { $lt: before } }),
    ]);
    return signals.deletedCount;
  }

  async close(): Promise<void> {}
}
