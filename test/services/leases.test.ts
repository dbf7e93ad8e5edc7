// Partition leases on a real redis-server: a fair share each, one owner per name at any moment, taken
// over when an owner dies (stops renewing) or stops cleanly, with fencing tokens that only grow.
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { LeaseManager } from '../../services/cluster/leases.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';

const NAMES = Array.from({ length: 8 }, (_, i) => `signals:${i}`);
const TTL_MS = 600;

/** Resolves when `check` holds, tested on each lease event of the managers. */
function until(check: () => boolean, events: { on(cb: () => void): void }): Promise<void> {
  return new Promise((resolve) => {
    if (check()) return resolve();
    events.on(() => check() && resolve());
  });
}

describe('LeaseManager (partition leases in Redis)', function () {
  this.timeout(30_000);
  let redis: RedisHandle;
  let client: Redis;
  const managers: LeaseManager[] = [];
  let listeners: (() => void)[] = [];
  const events = { on: (cb: () => void) => listeners.push(cb) };
  const changed = () => listeners.forEach((l) => l());
  const tokens: Record<string, number[]> = {};

  const manager = (id: string) => {
    const m = new LeaseManager({
      redis: client,
      names: NAMES,
      ttlMs: TTL_MS,
      id,
      onAcquired: (name, token) => {
        (tokens[name] ??= []).push(token);
        changed();
      },
      onLost: changed,
    });
    managers.push(m);
    return m;
  };
  /** Who Redis says owns each name. */
  const owners = async () => Promise.all(NAMES.map((n) => client.get(`copilot:lease:{${n}}`)));

  before(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
  });
  afterEach(() => (listeners = []));
  after(async () => {
    for (const m of managers) m.abandon();
    client.disconnect();
    await redis.stop();
  });

  it('gives a lone instance every name, shares them fairly with a second, and never lets two hold one', async () => {
    const a = manager('a');
    await a.start();
    expect(a.owned).to.deep.equal(NAMES);
    const b = manager('b');
    await b.start();
    await until(() => a.owned.length === 4 && b.owned.length === 4, events);
    // Each name has one holder, in Redis and in the managers' own view.
    const held = await owners();
    for (const [i, name] of NAMES.entries()) {
      const mine = [a, b].filter((m) => m.holds(name)).map((m) => m.id);
      expect(mine, name).to.have.length.at.most(1);
      if (mine.length) expect(held[i]).to.equal(mine[0]);
    }
  });

  it('moves a dead instance’s leases to the living one once they expire, with a higher fencing token', async () => {
    const [a, b] = managers;
    const fromA = a.owned;
    const before = Object.fromEntries(fromA.map((n) => [n, Math.max(...tokens[n])]));
    a.abandon();
    await until(() => b.owned.length === NAMES.length, events);
    for (const n of fromA) expect(b.token(n)).to.be.greaterThan(before[n]);
    expect(await owners()).to.deep.equal(NAMES.map(() => 'b'));
  });

  it('hands the leases over at once on a clean stop, not after their expiry', async () => {
    const b = managers[1];
    const c = manager('c');
    await c.start();
    await until(() => b.owned.length === 4 && c.owned.length === 4, events);
    const fromB = b.owned;
    await b.stop();
    expect(b.owned).to.deep.equal([]);
    // No lease of b's is left waiting for its expiry: they are free in Redis at once.
    const held = await owners();
    for (const n of fromB) expect([null, 'c']).to.include(held[NAMES.indexOf(n)]);
    await until(() => c.owned.length === NAMES.length, events);
  });

  it('drops a lease it can no longer renew (taken over after a long pause) and says so, so its work stops', async () => {
    let lostIt: () => void = () => undefined;
    const lost = new Promise<void>((resolve) => (lostIt = resolve));
    const d = new LeaseManager({ redis: client, names: ['solo'], ttlMs: TTL_MS, id: 'd', prefix: 'other', onLost: () => lostIt() });
    managers.push(d);
    await d.start();
    expect(d.holds('solo')).to.equal(true);
    // Another instance holds the key now (as if d's lease had expired while d was paused).
    await client.set('other:{solo}', 'someone-else', 'PX', 60_000);
    await lost;
    expect(d.holds('solo')).to.equal(false);
    expect(d.owned).to.deep.equal([]);
  });
});
