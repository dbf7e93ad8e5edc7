// Brute force and LLM spend hit limits kept in the cache: 429 with Retry-After, counted across
// instances when the cache is Redis. And the HTTP security headers are on every answer.
import { expect } from 'chai';
import request from 'supertest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';

describe('rate limits and HTTP hardening', function () {
  this.timeout(30_000);
  const apps: TestApp[] = [];
  const start = async (opts: Parameters<typeof startTestApp>[0]) => {
    const t = await startTestApp(opts);
    apps.push(t);
    return t;
  };
  afterEach(async () => {
    for (const t of apps.splice(0)) await t.close();
  });

  it('stops guessing one account after the limit, even with the right password, with Retry-After', async () => {
    const t = await start({ env: { CHAIN_RPC_URL: 'off', RATE_LOGIN_PER_ACCOUNT: '3' } });
    await t.app.services.users.create({ email: 'op@example.com', password: 'the-right-password', role: 'operator', stationScope: 'all' });
    for (let i = 0; i < 3; i++)
      await request(t.url)
        .post('/api/auth/login')
        .send({ email: 'op@example.com', password: `guess-number-${i}` })
        .expect(401);
    const limited = await request(t.url)
      .post('/api/auth/login')
      .send({ email: 'OP@example.com', password: 'the-right-password' })
      .expect(429);
    expect(limited.body.error.code).to.equal('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).to.be.within(1, 15 * 60);
    // Another account is not affected.
    await t.app.services.users.create({
      email: 'other@example.com',
      password: 'the-right-password',
      role: 'operator',
      stationScope: 'all',
    });
    await request(t.url).post('/api/auth/login').send({ email: 'other@example.com', password: 'the-right-password' }).expect(200);
  });

  it('limits sign-in attempts per address across accounts', async () => {
    const t = await start({ env: { CHAIN_RPC_URL: 'off', RATE_LOGIN_PER_IP: '4' } });
    for (let i = 0; i < 4; i++)
      await request(t.url)
        .post('/api/auth/login')
        .send({ email: `user${i}@example.com`, password: 'whatever-password' })
        .expect(401);
    await request(t.url).post('/api/auth/login').send({ email: 'user9@example.com', password: 'whatever-password' }).expect(429);
  });

  it('limits chat questions (LLM spend) per caller', async () => {
    const t = await start({ env: { CHAIN_RPC_URL: 'off', RATE_CHAT_PER_MIN: '2' } });
    await request(t.url).post('/api/chat').send({ message: 'which stations are at risk' }).expect(200);
    await request(t.url).post('/api/chat').send({ message: 'which stations are at risk' }).expect(200);
    const r = await request(t.url).post('/api/chat').send({ message: 'which stations are at risk' }).expect(429);
    expect(r.headers['retry-after']).to.match(/^\d+$/);
  });

  describe('with Redis', () => {
    let redis: RedisHandle;
    before(async () => {
      redis = await startRedis();
    });
    after(async () => {
      await redis.stop();
    });

    it('counts attempts on every instance that shares the Redis', async () => {
      const env = { CHAIN_RPC_URL: 'off', RATE_LOGIN_PER_ACCOUNT: '4' };
      const a = await start({ env, redisUrl: redis.url });
      const b = await start({ env, redisUrl: redis.url, dbName: a.dbName });
      await a.app.services.users.create({
        email: 'shared@example.com',
        password: 'the-right-password',
        role: 'operator',
        stationScope: 'all',
      });
      for (const t of [a, b, a, b])
        await request(t.url).post('/api/auth/login').send({ email: 'shared@example.com', password: 'a-wrong-password' }).expect(401);
      await request(b.url).post('/api/auth/login').send({ email: 'shared@example.com', password: 'a-wrong-password' }).expect(429);
      await request(a.url).post('/api/auth/login').send({ email: 'shared@example.com', password: 'a-wrong-password' }).expect(429);
    });

    it('blocks the guessing address only, on every instance, and lets the owner in from another', async () => {
      const env = { CHAIN_RPC_URL: 'off', RATE_LOGIN_PER_ACCOUNT: '2', TRUST_PROXY: 'loopback' };
      const a = await start({ env, redisUrl: redis.url });
      await a.app.services.users.create({
        email: 'owner@example.com',
        password: 'the-right-password',
        role: 'operator',
        stationScope: 'all',
      });
      // Started after the user exists: an instance reads users at start.
      const b = await start({ env, redisUrl: redis.url, dbName: a.dbName });
      const from = (t: TestApp, address: string, password: string) =>
        request(t.directUrl).post('/api/auth/login').set('X-Forwarded-For', address).send({ email: 'owner@example.com', password });
      await from(a, '203.0.113.5', 'a-wrong-password').expect(401);
      await from(b, '203.0.113.5', 'a-wrong-password').expect(401);
      await from(a, '203.0.113.5', 'the-right-password').expect(429);
      await from(b, '198.51.100.9', 'the-right-password').expect(200);
    });
  });

  it('lets browsers call the API only from the allowed origins', async () => {
    const t = await start({ env: { CHAIN_RPC_URL: 'off', CORS_ORIGINS: 'https://ops.example' } });
    const ok = await request(t.directUrl)
      .options('/api/decisions')
      .set('Origin', 'https://ops.example')
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'authorization');
    expect(ok.headers['access-control-allow-origin']).to.equal('https://ops.example');
    const other = await request(t.directUrl).get('/api/health').set('Origin', 'https://evil.example').expect(200);
    expect(other.headers).to.not.have.property('access-control-allow-origin');
    const none = await start({ env: { CHAIN_RPC_URL: 'off' } });
    const r = await request(none.directUrl).get('/api/health').set('Origin', 'https://ops.example').expect(200);
    expect(r.headers).to.not.have.property('access-control-allow-origin');
  });

  it('sends security headers and no stack traces', async () => {
    const t = await start({ env: { CHAIN_RPC_URL: 'off' } });
    const r = await request(t.url).get('/api/health').expect(200);
    expect(r.headers).to.include({ 'x-content-type-options': 'nosniff', 'x-frame-options': 'SAMEORIGIN' });
    expect(r.headers['content-security-policy']).to.contain("default-src 'self'");
    expect(r.headers).to.not.have.property('x-powered-by');
    const bad = await request(t.url).post('/api/auth/login').set('content-type', 'application/json').send('{"email": ').expect(400);
    expect(JSON.stringify(bad.body)).to.not.match(/at .*\.(ts|js):\d+/);
    await request(t.url).post('/api/auth/login').set('content-type', 'text/plain').send('email=x').expect(415);
  });
});
