import { expect } from 'chai';
import { startTestApp, aRegistration, type TestApp } from '../helpers/app.js';
import { haversineKm } from '../../utils/geo.js';

describe('station neighbours', () => {
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
});
