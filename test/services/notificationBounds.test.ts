// The notification noise control holds bounded state: open flapping windows (and what each keeps of
// its first occurrence) stay under their cap and leave nothing behind once they close.
import { expect } from 'chai';
import { Debouncer } from '../../services/notify/noise.js';
import type { Alert } from '../../services/notify/rules.js';

const T0 = Date.parse('2026-03-02T08:00:00.000Z');
const MIN = 60_000;
const alert = (stationId: string, conditionKey = 'c'): Alert => ({
  kind: 'k',
  severity: 'high',
  title: 't',
  body: 'b',
  audience: 'station',
  conditionKey,
  subject: 's',
  stationId,
});

describe('notification windows bound', () => {
  it('holds at most maxOpen windows; the oldest closes early with its summary and notifies afresh later', () => {
    const d = new Debouncer<string>(10 * MIN, 100);
    d.offer(alert('st-0'), T0);
    d.keepFirst(alert('st-0'), 'first of st-0');
    d.offer(alert('st-0'), T0 + 1);
    const early = [];
    for (let i = 1; i < 250; i++) {
      const r = d.offer(alert(`st-${i}`), T0 + i);
      expect(r.notify).to.equal(true);
      early.push(...r.closed, ...d.offer(alert(`st-${i}`), T0 + i).closed);
    }
    expect(d.size).to.equal(100);
    // st-0 repeated, so its early close summarises it, with what was kept of its first notification.
    expect(early.map((s) => [s.stationId, s.count, s.first])).to.deep.include(['st-0', 2, 'first of st-0']);
    expect(early).to.have.length(150);
    // The newest 100 are still open (a repeat is collapsed); an evicted one is news again.
    expect(d.offer(alert('st-249'), T0 + 300).notify).to.equal(false);
    expect(d.offer(alert('st-0'), T0 + 300).notify).to.equal(true);
    expect(d.size).to.equal(100);
  });

  it('a condition that fired once leaves nothing behind when its window closes', () => {
    const d = new Debouncer<string>(10 * MIN, 100);
    for (let i = 0; i < 50; i++) {
      d.offer(alert(`st-${i}`), T0);
      d.keepFirst(alert(`st-${i}`), `first ${i}`);
    }
    expect(d.size).to.equal(50);
    expect(d.flush(T0 + 10 * MIN)).to.deep.equal([]);
    expect(d.size).to.equal(0);
  });

  it('closes only the windows that are due, oldest first', () => {
    const d = new Debouncer<string>(10 * MIN, 100);
    d.offer(alert('st-a'), T0);
    d.offer(alert('st-a'), T0 + MIN);
    d.offer(alert('st-b'), T0 + 5 * MIN);
    d.offer(alert('st-b'), T0 + 6 * MIN);
    expect(d.flush(T0 + 10 * MIN).map((s) => s.stationId)).to.deep.equal(['st-a']);
    expect(d.size).to.equal(1);
    expect(d.flush(T0 + 15 * MIN).map((s) => s.stationId)).to.deep.equal(['st-b']);
  });
});
