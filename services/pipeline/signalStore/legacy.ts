// Before the signal journal, the embedded default kept signals in the wire server's SignalLog
// collection (and a copy of grid prices in EnergyMarket). Moved once into the journal at start.
import type { Connection } from 'mongoose';
import type { Logger } from 'pino';
import type { SignalLogDoc } from '../../../models/index.js';
import type { SignalStore } from './types.js';

const CHUNK = 5000;

export async function moveLegacySignals(conn: Connection, store: SignalStore, logger: Pick<Logger, 'info'>): Promise<number> {
  const db = conn.db!;
  const names = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
  let moved = 0;
  if (names.has('signallogs')) {
    const log = db.collection<SignalLogDoc>('signallogs');
    // In the order they were taken in: the journal keeps receive order.
    for (let skip = 0; ; skip += CHUNK) {
      const docs = await log.find({}, { projection: { _id: 0 }, sort: { _id: 1 }, skip, limit: CHUNK }).toArray();
      if (docs.length === 0) break;
      await store.insert(docs.map((d) => ({ ...d, receivedAt: new Date(d.receivedAt) })));
      moved += docs.length;
    }
    await log.drop();
  }
  if (names.has('energymarkets')) await db.collection('energymarkets').drop();
  if (moved) logger.info({ moved }, 'signals moved from the embedded database into the signal journal');
  return moved;
}
