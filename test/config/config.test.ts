import { expect } from 'chai';
import { loadConfig, ConfigError, ENV_DOCS } from '../../config/index.js';

describe('config', () => {
  it('runs on embedded defaults with an empty environment', () => {
    const c = loadConfig({});
    expect(c).to.include({
      port: 3000,
      host: '127.0.0.1',
      dataDir: './data',
      mongodbUri: null,
      redisUrl: null,
      // The first run shows the demo city working.
      simulate: true,
      seedDemo: true,
      logFormat: null,
    });
  });

  it('simulates by default only on the embedded database with the demo city; SIMULATE decides when set', () => {
    expect(loadConfig({ MONGODB_URI: 'mongodb://127.0.0.1:27017/ops' }).simulate).to.equal(false);
    expect(loadConfig({ SEED_DEMO: '0' }).simulate).to.equal(false);
    expect(loadConfig({ SIMULATE: '0' }).simulate).to.equal(false);
    expect(loadConfig({ SIMULATE: '1', MONGODB_URI: 'mongodb://127.0.0.1:27017/ops' }).simulate).to.equal(true);
    expect(loadConfig({ LOG_FORMAT: 'json' }).logFormat).to.equal('json');
  });

  it('logs signals to the Redis stream by default with REDIS_URL, directly without; SIGNAL_LOG decides when set', () => {
    const redis = { REDIS_URL: 'redis://127.0.0.1:6379' };
    expect(loadConfig({}).signalLog).to.equal('direct');
    expect(loadConfig(redis).signalLog).to.equal('stream');
    expect(loadConfig({ ...redis, SIGNAL_LOG: 'direct' }).signalLog).to.equal('direct');
    expect(() => loadConfig({ SIGNAL_LOG: 'stream' })).to.throw(ConfigError, /SIGNAL_LOG: "stream" needs REDIS_URL/);
    expect(() => loadConfig({ ...redis, SIGNAL_LOG: 'kafka' })).to.throw(ConfigError, /SIGNAL_LOG/);
  });

  it('parses and converts set values', () => {
    const c = loadConfig({
      PORT: '8080',
      SIMULATE: '1',
      REDIS_URL: 'redis://127.0.0.1:6380',
      AGENT_THRESHOLDS: '{"traffic":{"waitMinutesHigh":8}}',
      CORS_ORIGINS: 'https://a.example, https://b.example',
    });
    expect(c.port).to.equal(8080);
    expect(c.simulate).to.equal(true);
    expect(c.redisUrl).to.equal('redis://127.0.0.1:6380');
    expect(c.agentThresholds).to.deep.equal({ traffic: { waitMinutesHigh: 8 } });
    expect(c.corsOrigins).to.deep.equal(['https://a.example', 'https://b.example']);
  });

  const bad: [Record<string, string>, string][] = [
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ SIMULATE: 'yes' }, 'SIMULATE'],
    [{ LOG_FORMAT: 'xml' }, 'LOG_FORMAT'],
    [{ REDIS_URL: 'http://nope' }, 'REDIS_URL'],
    [{ MONGODB_URI: 'postgres://x' }, 'MONGODB_URI'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ AUDIT_CONTRACT_ADDRESS: '0x123' }, 'AUDIT_CONTRACT_ADDRESS'],
    [{ AGENT_THRESHOLDS: '{not json' }, 'AGENT_THRESHOLDS'],
    [{ AGENT_THRESHOLDS: '[1,2]' }, 'AGENT_THRESHOLDS'],
    [{ CHAIN_RPC_URL: 'ftp://chain' }, 'CHAIN_RPC_URL'],
    [{ CHAIN_RPC_URL: 'http://127.0.0.1:8545' }, 'ANCHOR_PRIVATE_KEY'],
    [{ ANCHOR_PRIVATE_KEY: '0x12' }, 'ANCHOR_PRIVATE_KEY'],
    [{ AUDIT_CONTRACT_ADDRESS: '0x' + '1'.repeat(40) }, 'AUDIT_CONTRACT_ADDRESS'],
    [{ ANCHOR_BATCH_MAX: '0' }, 'ANCHOR_BATCH_MAX'],
    [{ ANCHOR_BATCH_MAX: '20000' }, 'ANCHOR_BATCH_MAX'],
    [{ ANCHOR_BATCH_MS: '5' }, 'ANCHOR_BATCH_MS'],
    [{ VAPID_PUBLIC_KEY: 'abc' }, 'VAPID_PRIVATE_KEY'],
    [{ VAPID_SUBJECT: 'ops@example.com' }, 'VAPID_SUBJECT'],
    [{ GROQ_TIMEOUT_MS: '50' }, 'GROQ_TIMEOUT_MS'],
    [{ GROQ_TIMEOUT_MS: 'soon' }, 'GROQ_TIMEOUT_MS'],
    [{ GROQ_MAX_RETRIES: '-1' }, 'GROQ_MAX_RETRIES'],
    [{ GROQ_MAX_RETRIES: '1.5' }, 'GROQ_MAX_RETRIES'],
    [{ LLM_CONCURRENCY: '0' }, 'LLM_CONCURRENCY'],
    [{ LLM_QUEUE_MAX: '0' }, 'LLM_QUEUE_MAX'],
    [{ LLM_RPM: '0' }, 'LLM_RPM'],
    [{ LLM_RPM: 'many' }, 'LLM_RPM'],
    [{ LLM_BREAKER_RESET_MS: '10' }, 'LLM_BREAKER_RESET_MS'],
    [{ LLM_BREAKER_FAILURES: '0' }, 'LLM_BREAKER_FAILURES'],
  ];
  for (const [env, name] of bad) {
    it(`stops on a malformed ${name} with a message naming it`, () => {
      expect(() => loadConfig(env)).to.throw(ConfigError, name);
    });
  }

  it('refuses the embedded database and chain (no credentials) where NODE_ENV is production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' }))
      .to.throw(ConfigError, 'MONGODB_URI: is required when NODE_ENV=production')
      .with.property('message')
      .that.contains('CHAIN_RPC_URL: is required when NODE_ENV=production');
    expect(loadConfig({ NODE_ENV: 'production', MONGODB_URI: 'mongodb://db.example/ops', CHAIN_RPC_URL: 'off' })).to.include({
      chainMode: 'off',
    });
    // Development and tests keep the two-command default.
    expect(loadConfig({ NODE_ENV: 'development' })).to.include({ chainMode: 'embedded', mongodbUri: null });
  });

  it('picks the chain: embedded by default, off, or an RPC with its key and contract', () => {
    expect(loadConfig({})).to.include({ chainMode: 'embedded', chainRpcUrl: null, anchorBatchMs: 60000, anchorBatchMax: 2000 });
    expect(loadConfig({ CHAIN_RPC_URL: 'off' })).to.include({ chainMode: 'off', chainRpcUrl: null });
    const key = '0x' + 'ab'.repeat(32);
    const address = '0x' + '12'.repeat(20);
    const c = loadConfig({
      CHAIN_RPC_URL: 'https://rpc.example',
      ANCHOR_PRIVATE_KEY: key,
      AUDIT_CONTRACT_ADDRESS: address,
      ANCHOR_BATCH_MS: '250',
    });
    expect(c).to.include({
      chainMode: 'rpc',
      chainRpcUrl: 'https://rpc.example',
      anchorPrivateKey: key,
      auditContractAddress: address,
      anchorBatchMs: 250,
    });
  });

  it('bounds the LLM client: defaults fit the Groq free tier, set values are converted', () => {
    expect(loadConfig({})).to.include({
      groqTimeoutMs: 8000,
      groqMaxRetries: 1,
      llmConcurrency: 2,
      llmQueueMax: 20,
      llmRpm: 30,
      llmBreakerResetMs: 30000,
      llmBreakerFailures: 5,
    });
    const c = loadConfig({
      GROQ_TIMEOUT_MS: '250',
      GROQ_MAX_RETRIES: '0',
      LLM_CONCURRENCY: '1',
      LLM_QUEUE_MAX: '2',
      LLM_RPM: '600',
      LLM_BREAKER_RESET_MS: '200',
      LLM_BREAKER_FAILURES: '3',
    });
    expect(c).to.include({
      groqTimeoutMs: 250,
      groqMaxRetries: 0,
      llmConcurrency: 1,
      llmQueueMax: 2,
      llmRpm: 600,
      llmBreakerResetMs: 200,
      llmBreakerFailures: 3,
    });
  });

  it('reports every malformed variable at once', () => {
    try {
      loadConfig({ PORT: 'x', SIMULATE_RATE: '-5' });
      expect.fail('should throw');
    } catch (err) {
      expect((err as Error).message)
        .to.include('PORT')
        .and.include('SIMULATE_RATE');
    }
  });

  it('documents every variable it validates', () => {
    const documented = new Set(ENV_DOCS.map((d) => d.name));
    for (const name of ['PORT', 'HOST', 'DATA_DIR', 'SIMULATE', 'MONGODB_URI', 'REDIS_URL', 'GROQ_API_KEY', 'LOG_LEVEL'])
      expect(documented.has(name), name).to.equal(true);
  });
});
