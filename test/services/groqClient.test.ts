// The Groq LlmClient against the local OpenAI-compatible stub: real groq-sdk, real HTTP,
// real opossum and p-queue; the stub scripts each answer.
import { expect } from 'chai';
import pino from 'pino';
import { loadConfig } from '../../config/index.js';
import { createLlmClient } from '../../services/llm/client/index.js';
import { LlmUnavailableError, type CompletionRequest, type LlmClient, type LlmUnavailableReason } from '../../services/llm/types.js';
import { startLlmStub, type LlmStub, type StubReply, type StubRequest } from '../helpers/llmStub.js';

const logger = pino({ level: 'silent' });
const MODEL = 'llama-test';

const ask = (text: string, purpose: CompletionRequest['purpose'] = 'explain'): CompletionRequest => ({
  purpose,
  messages: [
    { role: 'system', content: 'You explain station decisions.' },
    { role: 'user', content: text },
  ],
});

/** The reason a call failed with; fails the test if it succeeded or failed otherwise. */
async function reasonOf(p: Promise<unknown>): Promise<LlmUnavailableReason> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(LlmUnavailableError);
    return (err as LlmUnavailableError).reason;
  }
  throw new Error('expected the call to fail');
}

/** 'pending' if `p` has not settled by the end of this turn of the event loop, else its outcome. */
async function settledNow(p: Promise<unknown>): Promise<'pending' | 'fulfilled' | LlmUnavailableReason> {
  const outcome = p.then(
    () => 'fulfilled' as const,
    (err: unknown) => (err instanceof LlmUnavailableError ? err.reason : 'upstream_error'),
  );
  return Promise.race([outcome, new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')))]);
}

/** Polls a state the client exposes only through stats() (the breaker's timer is inside opossum). */
async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('groqClient', function () {
  this.timeout(10_000);
  let stub: LlmStub;
  const clients: LlmClient[] = [];

  before(async () => {
    stub = await startLlmStub();
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await stub.close();
  });

  function client(env: Record<string, string> = {}): LlmClient {
    const config = loadConfig({
      GROQ_API_KEY: 'test-key',
      GROQ_BASE_URL: stub.url,
      GROQ_MODEL: MODEL,
      GROQ_MAX_RETRIES: '0',
      GROQ_TIMEOUT_MS: '2000',
      LLM_RPM: '1000',
      ...env,
    });
    const c = createLlmClient(config, logger);
    clients.push(c);
    return c;
  }

  /** Scripts the stub for one test: `reply` gets this test's requests numbered from 1; `arrived(n)` resolves once n have come. */
  function script(reply: (req: StubRequest, i: number) => StubReply) {
    const base = stub.requests.length;
    const waiters: { n: number; resolve: () => void }[] = [];
    const count = () => stub.requests.length - base;
    stub.respond((req) => {
      const answer = reply(req, count());
      for (const w of waiters.filter((x) => count() >= x.n)) w.resolve();
      return answer;
    });
    return {
      count,
      requests: () => stub.requests.slice(base),
      arrived: (n: number) => new Promise<void>((resolve) => (count() >= n ? resolve() : waiters.push({ n, resolve }))),
    };
  }

  it('completes with text, sending model, messages and limits', async () => {
    const s = script(() => ({ content: 'Bay 3 is closed because its connector overheated.' }));
    const llm = client();
    const answer = await llm.complete({ ...ask('Why was bay 3 closed?'), maxTokens: 120, temperature: 0.2 });
    expect(answer).to.include({ content: 'Bay 3 is closed because its connector overheated.', model: MODEL });
    expect(answer.toolCalls).to.deep.equal([]);
    expect(answer.latencyMs).to.be.a('number').and.at.least(0);
    const [sent] = s.requests();
    expect(sent).to.include({ model: MODEL, max_completion_tokens: 120, temperature: 0.2 });
    expect(sent.stream).to.not.equal(true);
    expect(sent.messages.map((m) => [m.role, m.content])).to.deep.equal([
      ['system', 'You explain station decisions.'],
      ['user', 'Why was bay 3 closed?'],
    ]);
    expect(llm.stats()).to.include({ state: 'closed', calls: 1, failures: 0, queued: 0, running: 0 });
  });

  it('returns tool calls, sending tools as OpenAI function tools and tool history back', async () => {
    const s = script(() => ({ toolCalls: [{ id: 'call_a', name: 'get_station', arguments: { stationId: 'S1' } }] }));
    const llm = client();
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'get_station',
          description: 'State of one station',
          parameters: { type: 'object', properties: { stationId: { type: 'string' } } },
        },
      },
    ];
    const answer = await llm.complete({
      purpose: 'chat',
      tools,
      messages: [
        { role: 'user', content: 'How is S2?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_0', type: 'function', function: { name: 'get_station', arguments: '{"stationId":"S2"}' } }],
        },
        { role: 'tool', tool_call_id: 'call_0', content: '{"queue":3}' },
        { role: 'user', content: 'And S1?' },
      ],
    });
    expect(answer.content).to.equal(null);
    expect(answer.toolCalls).to.deep.equal([
      { id: 'call_a', type: 'function', function: { name: 'get_station', arguments: '{"stationId":"S1"}' } },
    ]);
    const [sent] = s.requests();
    expect(sent.tools).to.deep.equal(tools);
    expect(sent.messages[1]).to.deep.include({
      role: 'assistant',
      tool_calls: [{ id: 'call_0', type: 'function', function: { name: 'get_station', arguments: '{"stationId":"S2"}' } }],
    });
    expect(sent.messages[2]).to.deep.equal({ role: 'tool', tool_call_id: 'call_0', content: '{"queue":3}' });
  });

  it('streams text deltas in order and assembles them, and assembles streamed tool calls', async () => {
    const text = 'Station S4 swaps batteries slower today because two of its robots are in maintenance.';
    const s = script((_req, i) =>
      i === 1
        ? { content: text }
        : { content: 'Checking.', toolCalls: [{ id: 'call_x', name: 'get_station', arguments: { stationId: 'S4' } }] },
    );
    const llm = client();
    const deltas: string[] = [];
    const answer = await llm.stream(ask('Why is S4 slow?', 'chat'), (d) => deltas.push(d));
    expect(s.requests()[0].stream).to.equal(true);
    expect(deltas.length).to.be.greaterThan(3);
    expect(deltas.join('')).to.equal(text);
    expect(answer).to.include({ content: text, model: MODEL });
    expect(answer.toolCalls).to.deep.equal([]);

    const withTool: string[] = [];
    const second = await llm.stream(ask('Look S4 up', 'chat'), (d) => withTool.push(d));
    expect(withTool.join('')).to.equal('Checking.');
    expect(second.toolCalls).to.deep.equal([
      { id: 'call_x', type: 'function', function: { name: 'get_station', arguments: '{"stationId":"S4"}' } },
    ]);
  });

  it('fails with timeout when the stub is slower than the timeout, streamed or not', async () => {
    script(() => ({ content: 'too late', delayMs: 1500 }));
    const llm = client({ GROQ_TIMEOUT_MS: '200' });
    expect(await reasonOf(llm.complete(ask('slow?')))).to.equal('timeout');
    expect(await reasonOf(llm.stream(ask('slow?', 'chat'), () => undefined))).to.equal('timeout');
    expect(llm.stats()).to.include({ calls: 2, failures: 2 });
    expect(llm.stats().rejected.timeout).to.equal(2);
  });

  it('opens the breaker on repeated 429 and 500, refuses without a request while open, and closes after a successful half-open probe', async () => {
    let mode: 'fail' | 'ok' = 'fail';
    const s = script((_req, i) =>
      mode === 'ok' ? { content: 'back' } : i % 2 ? { status: 429, headers: { 'retry-after': '0' } } : { status: 500 },
    );
    const llm = client({ LLM_BREAKER_FAILURES: '3', LLM_BREAKER_RESET_MS: '200' });
    expect(await reasonOf(llm.complete(ask('1')))).to.equal('rate_limited');
    expect(await reasonOf(llm.complete(ask('2')))).to.equal('upstream_error');
    expect(llm.stats().state).to.equal('closed');
    expect(await reasonOf(llm.complete(ask('3')))).to.equal('rate_limited');
    expect(llm.stats().state).to.equal('open');

    expect(llm.refusal('explain')).to.equal('circuit_open');
    expect(await reasonOf(llm.complete(ask('4')))).to.equal('circuit_open');
    expect(await reasonOf(llm.stream(ask('5', 'chat'), () => undefined))).to.equal('circuit_open');
    expect(s.count()).to.equal(3);

    // A failed probe opens it again, without a second request slipping through.
    await until(() => llm.stats().state === 'half_open', 'half-open');
    expect(await reasonOf(llm.complete(ask('probe 1')))).to.equal('upstream_error');
    expect(llm.stats().state).to.equal('open');
    expect(s.count()).to.equal(4);

    await until(() => llm.stats().state === 'half_open', 'half-open again');
    mode = 'ok';
    expect((await llm.complete(ask('probe 2'))).content).to.equal('back');
    expect(llm.stats().state).to.equal('closed');
    expect((await llm.complete(ask('after'))).content).to.equal('back');
    expect(s.count()).to.equal(6);
    expect(llm.stats()).to.include({ calls: 6, failures: 4 });
    expect(llm.stats().rejected).to.include({ circuit_open: 2, rate_limited: 2, upstream_error: 2 });
  });

  it('retries GROQ_MAX_RETRIES times inside one call', async () => {
    const s = script((_req, i) => (i === 1 ? { status: 503, headers: { 'retry-after-ms': '10' } } : { content: 'second try' }));
    const llm = client({ GROQ_MAX_RETRIES: '1' });
    expect((await llm.complete(ask('retry?'))).content).to.equal('second try');
    expect(s.count()).to.equal(2);
    expect(llm.stats()).to.include({ calls: 1, failures: 0 });
  });

  it('does not open the breaker on 4xx caller errors', async () => {
    const s = script(() => ({ status: 400, body: { error: { message: 'bad tool schema', type: 'invalid_request_error' } } }));
    const llm = client({ LLM_BREAKER_FAILURES: '2' });
    for (let i = 0; i < 4; i++) expect(await reasonOf(llm.complete(ask(`bad ${i}`)))).to.equal('upstream_error');
    expect(llm.stats().state).to.equal('closed');
    expect(s.count()).to.equal(4);
  });

  it('bounds the queue: with the stub hanging, further explanations are refused at once while chat is still accepted', async () => {
    const s = script(() => ({ hang: true }));
    const llm = client({ LLM_CONCURRENCY: '1', LLM_QUEUE_MAX: '2', GROQ_TIMEOUT_MS: '300', LLM_BREAKER_FAILURES: '100' });
    const running = llm.complete(ask('a'));
    await s.arrived(1);
    const waiting = [llm.complete(ask('b')), llm.complete(ask('c'))];
    const refused = llm.complete(ask('d'));
    const chat = llm.complete(ask('e', 'chat'));

    expect(await settledNow(refused)).to.equal('queue_full');
    expect(await settledNow(chat)).to.equal('pending');
    // Callers can tell beforehand, without building a request.
    expect(llm.refusal('explain')).to.equal('queue_full');
    expect(llm.refusal('chat')).to.equal(null);
    expect(llm.stats()).to.include({ queued: 3, running: 1 });
    expect(s.count()).to.equal(1);

    // The hang outlasts every deadline: what ran or waited ends as a timeout, nothing stays behind.
    const outcomes = await Promise.all([running, ...waiting, chat].map(reasonOf));
    expect(outcomes).to.deep.equal(['timeout', 'timeout', 'timeout', 'timeout']);
    expect(llm.stats()).to.include({ queued: 0, running: 0 });
    expect(llm.stats().rejected.queue_full).to.equal(1);
  });

  it('serves waiting chat before waiting explanations', async () => {
    const s = script((req, i) => ({ content: `re ${String(req.messages.at(-1)?.content)}`, delayMs: i === 1 ? 150 : 0 }));
    const llm = client({ LLM_CONCURRENCY: '1' });
    const first = llm.complete(ask('a'));
    await s.arrived(1);
    const rest = [llm.complete(ask('b')), llm.complete(ask('c')), llm.complete(ask('e', 'chat'))];
    const answers = await Promise.all([first, ...rest]);
    expect(answers.map((a) => a.content)).to.deep.equal(['re a', 're b', 're c', 're e']);
    expect(s.requests().map((r) => r.messages.at(-1)?.content)).to.deep.equal(['a', 'e', 'b', 'c']);
  });

  it('caps requests per minute: past LLM_RPM a request waits instead of being sent', async () => {
    const s = script(() => ({ content: 'ok' }));
    const llm = client({ LLM_RPM: '2', LLM_CONCURRENCY: '4' });
    const sent = [llm.complete(ask('1')), llm.complete(ask('2'))];
    const third = llm.complete(ask('3'));
    await Promise.all(sent);
    expect(await settledNow(third)).to.equal('pending');
    expect(llm.stats()).to.include({ queued: 1, running: 0 });
    expect(s.count()).to.equal(2);
    await llm.close();
    expect(await reasonOf(third)).to.equal('upstream_error');
    expect(s.count()).to.equal(2);
  });

  it('without GROQ_API_KEY refuses every call as not_configured and sends nothing', async () => {
    const s = script(() => ({ content: 'should not be asked' }));
    const llm = createLlmClient(loadConfig({ GROQ_BASE_URL: stub.url }), logger);
    clients.push(llm);
    expect(llm.configured).to.equal(false);
    expect(llm.refusal('chat')).to.equal('not_configured');
    expect(await reasonOf(llm.complete(ask('x')))).to.equal('not_configured');
    expect(await reasonOf(llm.stream(ask('y', 'chat'), () => undefined))).to.equal('not_configured');
    expect(s.count()).to.equal(0);
    expect(llm.stats()).to.deep.include({ state: 'not_configured', calls: 0 });
    expect(llm.stats().rejected.not_configured).to.equal(2);
  });
});
