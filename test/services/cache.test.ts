// Both cache implementations pass the same contract; Redis is a real redis-server started for the run.
import { expect } from 'chai';
import { MemoryCache } from '../../services/platform/cache/memoryCache.js';
import { RedisCache } from '../../services/platform/cache/redisCache.js';
import type { Cache } from '../../services/platform/cache/types.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';

function contract(name: string, make: () => Promise<{ cache: Cache; done(): Promise<void> }>) {
  describe(`${name} cache`, () => {
    let cache: Cache;
    let done: () => Promise<void>;
    let n = 0;
    const key = (k: string) => `${k}-${++n}`;
    before(async () => ({ cache, done } = await make()));
    after(() => done());

    it('claims a key once, even within one call', async () => {
      const a = key('a');
      const b = key('b');
      expect(await cache.claim([a, b], 60)).to.deep.equal([true, true]);
      expect(await cache.claim([a, key('c')], 60)).to.deep.equal([false, true]);
    });
    it('gets, sets, sets many and deletes', async () => {
      const k = key('k');
      expect(await cache.get(k)).to.equal(null);
      await cache.set(k, 'v1');
      expect(await cache.get(k)).to.equal('v1');
      const m1 = key('m');
      const m2 = key('m');
      await cache.setMany([
        [m1, 'x'],
        [m2, 'y'],
      ]);
      expect([await cache.get(m1), await cache.get(m2)]).to.deep.equal(['x', 'y']);
      await cache.del([m1, k]);
      expect([await cache.get(m1), await cache.get(k), await cache.get(m2)]).to.deep.equal([null, null, 'y']);
    });
    it('counts with incr', async () => {
      const k = key('n');
      expect(await cache.incr(k, 60)).to.equal(1);
      expect(await cache.incr(k, 60)).to.equal(2);
    });
    it('answers ping', async () => {
      expect(await cache.ping()).to.equal(true);
    });
  });
}

contract('memory', async () => {
  const cache = new MemoryCache({ maxClaims: 1000 });
  return { cache, done: () => cache.close() };
});

let redis: RedisHandle;
contract('redis', async () => {
  redis = await startRedis();
  const cache = await RedisCache.open(redis.url);
  return {
    cache,
    done: async () => {
      await cache.close();
      await redis.stop();
    },
  };
});

describe('memory cache expiry', () => {
  it('forgets a claim after its TTL on an injected clock', async () => {
    let now = 1_000;
    const cache = new MemoryCache({ maxClaims: 10, now: () => now });
    expect(await cache.claim(['k'], 10)).to.deep.equal([true]);
    now += 9_999;
    expect(await cache.claim(['k'], 10)).to.deep.equal([false]);
    now += 2;
    expect(await cache.claim(['k'], 10)).to.deep.equal([true]);
    await cache.close();
  });

  it('keeps a counter TTL from its first increment', async () => {
    // Not 0: lru-cache reads a start time of 0 as "never set".
    let now = 1_000;
    const cache = new MemoryCache({ maxClaims: 10, now: () => now });
    expect(await cache.incr('c', 10)).to.equal(1);
    now += 9_000;
    expect(await cache.incr('c', 10)).to.equal(2);
    now += 1_001;
    expect(await cache.incr('c', 10)).to.equal(1);
    await cache.close();
  });
});

describe('memory cache bounds', () => {
  const ids = (from: number, n: number) => Array.from({ length: n }, (_, i) => `sig:st-1/s-${from + i}`);

  it('holds at most maxClaims ids, forgetting the oldest claim first', async () => {
    const cache = new MemoryCache({ maxClaims: 100 });
    expect((await cache.claim(ids(0, 250), 86_400)).every(Boolean)).to.equal(true);
    expect(cache.sizes.claims).to.equal(100);
    // The newest 100 are still duplicates; the oldest 150 were evicted and count as new again.
    expect((await cache.claim(ids(150, 100), 86_400)).every((c) => !c)).to.equal(true);
    expect(await cache.claim(ids(149, 1), 86_400)).to.deep.equal([true]);
    expect(cache.sizes.claims).to.equal(100);
    await cache.close();
  });

  it('a duplicate does not make its claim younger (as Redis SET NX)', async () => {
    const cache = new MemoryCache({ maxClaims: 3 });
    await cache.claim(['a', 'b', 'c'], 60);
    expect(await cache.claim(['a'], 60)).to.deep.equal([false]);
    await cache.claim(['d'], 60);
    expect(await cache.claim(['a'], 60)).to.deep.equal([true]);
    await cache.close();
  });

  it('a flood of claims never evicts a station snapshot', async () => {
    const cache = new MemoryCache({ maxClaims: 10, maxExpiring: 10 });
    await cache.setMany([
      ['state:st-1', '{"v":1}'],
      ['state:st-2', '{"v":2}'],
    ]);
    await cache.claim(ids(0, 1000), 60);
    for (let i = 0; i < 50; i++) await cache.incr(`n:${i}`, 60);
    expect(cache.sizes).to.deep.equal({ claims: 10, expiring: 10, kept: 2 });
    expect([await cache.get('state:st-1'), await cache.get('state:st-2')]).to.deep.equal(['{"v":1}', '{"v":2}']);
    await cache.close();
  });

  it('counters and values with a TTL are capped too', async () => {
    const cache = new MemoryCache({ maxClaims: 10, maxExpiring: 5 });
    for (let i = 0; i < 20; i++) await cache.set(`t:${i}`, String(i), 60);
    expect(cache.sizes.expiring).to.equal(5);
    expect([await cache.get('t:19'), await cache.get('t:14')]).to.deep.equal(['19', null]);
    await cache.close();
  });

  it('del forgets a claim so a retry is taken', async () => {
    const cache = new MemoryCache({ maxClaims: 10 });
    await cache.claim(['x'], 60);
    await cache.del(['x']);
    expect(await cache.claim(['x'], 60)).to.deep.equal([true]);
    await cache.close();
  });
});
