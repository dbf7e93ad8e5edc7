import { expect } from 'chai';
import { startTestApp, aRegistration, type TestApp } from '../helpers/app.js';
import { haversineKm } from '../../utils/geo.js';
import { sig } from '../helpers/signals.js';
import type { Signal } from '../../eventBus/types.js';

describe('station store', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it("keeps each station's nearest list right as stations register one by one", async () => {
    // A deterministic scatter over ~40 km, wider than the 15 km reach, denser than the 10-station limit.
    const regs = Array.from({ length: 40 }, (_, i) =>
      aRegistration(`nb-${String(i).padStart(2, '0')}`, {
        location: { lat: 52.35 + ((i * 37) % 40) * 0.009, lng: 13.1 + ((i * 53) % 40) * 0.014 },
      }),
    );
    for (const r of regs) await t.app.services.stations.register(r);
    for (const a of regs) {
      const expected = regs
        .filter((b) => b.id !== a.id)
        .map((b) => ({ id: b.id, d: Math.round(haversineKm(a.location, b.location) * 1000) / 1000 }))
        .filter((x) => x.d <= 15)
        .sort((x, y) => x.d - y.d || (x.id < y.id ? -1 : 1))
        .slice(0, 10)
        .map((x) => x.id);
      expect(
        t.app.services.stations.nearby(a.id, new Date().toISOString()).map((n) => n.id),
        a.id,
      ).to.deep.equal(expected);
    }
  });

  it('writes every dirty station behind, a few per turn, each with the state folded so far', async () => {
    const ids = Array.from({ length: 11 }, (_, i) => `wb-${i}`);
    for (const id of ids) await t.app.services.stations.register(aRegistration(id));
    await t.app.services.ingestion.ingest(
      ids.flatMap((id, i) => Array.from({ length: i + 1 }, (_, k) => sig(id, 'queue_length', { waiting: k }))),
      performance.now(),
    );
    await t.app.services.stations.flush();
    const docs = await t.app.models.StationState.find({ stationId: { $in: ids } }).lean();
    expect(docs.map((d) => [d.stationId, d.version, (d.state as { queue: { waiting: number } }).queue.waiting]).sort()).to.deep.equal(
      ids.map((id, i) => [id, i + 1, i]).sort(),
    );
  });

  it('writes a stream-folded state only as of settled entries: its settled snapshot while later folds are in flight', async () => {
    const stations = t.app.services.stations;
    await stations.register(aRegistration('held-1'));
    const stored = async () => (await t.app.models.StationState.findOne({ stationId: 'held-1' }).lean())!;
    stations.apply(sig('held-1', 'queue_length', { waiting: 1 }) as Signal, '1-1');
    const first = stations.snapshot(['held-1']);
    // Folded, its outputs not stored yet: nothing is written, and a round with nothing to write must
    // not stop the later ones.
    await stations.flush();
    expect((await stored()).version).to.equal(0);
    await stations.flush();
    // The next batch is folded before the first one's outputs are stored.
    stations.apply(sig('held-1', 'queue_length', { waiting: 2 }) as Signal, '1-2');
    const second = stations.snapshot(['held-1']);
    stations.settle(first);
    await stations.flush();
    expect(await stored()).to.deep.include({ version: 1, logPosition: '1-1' });
    expect(stations.trimBound(['held-1'])).to.equal('1-1');
    // The settled snapshot was written once; the live state waits for its own settling.
    await stations.flush();
    expect((await stored()).version).to.equal(1);
    stations.settle(second);
    await stations.flush();
    expect(await stored()).to.deep.include({ version: 2, logPosition: '1-2' });
    expect(((await stored()).state as { queue: { waiting: number } }).queue.waiting).to.equal(2);
    expect(stations.trimBound(['held-1'])).to.equal('1-2');
  });
});
