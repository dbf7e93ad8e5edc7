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
  const cache = new MemoryCache();
  return { cache, done: () => cache.close() };
});

let redis: RedisHandle;
contract('redis', async () => {
  redis = await startRedis();
  const cache = RedisCache.connect(redis.url);
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
    const cache = new MemoryCache(() => now);
    expect(await cache.claim(['k'], 10)).to.deep.equal([true]);
    now += 9_999;
    expect(await cache.claim(['k'], 10)).to.deep.equal([false]);
    now += 2;
    expect(await cache.claim(['k'], 10)).to.deep.equal([true]);
    await cache.close();
  });
});
