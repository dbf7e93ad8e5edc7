// The chat's deterministic fallback: keyword intents, and answers from a real app's live data.
import { expect } from 'chai';
import request from 'supertest';
import { aRegistration } from '../helpers/app.js';
import { fallbackAnswer } from '../../services/llm/chat/fallback.js';
import { startChatApp, until, type ChatTestApp } from '../helpers/chat.js';
import { criticalFault, overload, sig } from '../helpers/signals.js';
import { classify, type StationIndex } from '../../services/llm/chat/intents.js';
import { decisionIdOf } from '../../agents/common.js';

const index: StationIndex = {
  has: (id) => ['st-a', 'st-b'].includes(id),
  list: () => [
    { id: 'st-a', name: 'Harbour Road' },
    { id: 'st-b', name: 'Harbour Road North' },
  ],
};

describe('chat fallback: intents', () => {
  it('reads "why" questions with station, action and charger', () => {
    expect(classify('why did station st-a take charger C1 offline?', undefined, index)).to.deep.equal({
      kind: 'why',
      stationId: 'st-a',
      decisionId: null,
      action: 'take_charger_offline',
      chargerId: 'C1',
    });
    expect(classify('Why did Harbour Road North curtail charging', undefined, index)).to.include({
      kind: 'why',
      stationId: 'st-b',
      action: 'curtail_charging',
    });
    expect(classify('explain dec-123', 'st-a', index)).to.include({ kind: 'why', stationId: 'st-a', decisionId: 'dec-123', action: null });
  });

  it('reads requests to act, risk and recent-activity questions, and falls back to help', () => {
    expect(classify('Approve dec-42 please', undefined, index)).to.deep.equal({ kind: 'act', what: 'approval', decisionId: 'dec-42' });
    expect(classify('raise the mechanic temperature threshold to 90', undefined, index)).to.include({ kind: 'act', what: 'thresholds' });
    expect(classify('disable the auditor agent', undefined, index)).to.include({ kind: 'act', what: 'agent' });
    expect(classify('take charger C2 at st-a offline', undefined, index)).to.include({ kind: 'act', what: 'other' });
    expect(classify('Which stations are at risk?', undefined, index)).to.deep.equal({ kind: 'risk' });
    expect(classify('what happened in the last hour', undefined, index)).to.deep.equal({
      kind: 'recent',
      sinceMs: 3_600_000,
      label: 'the last hour',
    });
    expect(classify('anything recently?', undefined, index)).to.include({ kind: 'recent', sinceMs: 3_600_000 });
    expect(classify('what happened in the last 3 hours', undefined, index)).to.include({
      kind: 'recent',
      sinceMs: 3 * 3_600_000,
      label: 'the last 3 hours',
    });
    expect(classify('what happened today', undefined, index)).to.include({ kind: 'recent', sinceMs: -1 });
    expect(classify('how is st-b', undefined, index)).to.deep.equal({ kind: 'station', stationId: 'st-b' });
    expect(classify('hello', undefined, index)).to.deep.equal({ kind: 'help' });
  });
});

describe('chat fallback: answers from live data', function () {
  this.timeout(20_000);
  let c: ChatTestApp;
  const recent = (minutesAgo: number) => ({ ts: new Date(Date.now() - minutesAgo * 60_000).toISOString() });
  const faultA = { ...criticalFault('st-a', 'C1'), ...recent(5) };
  const faultB = { ...criticalFault('st-b', 'K1'), ...recent(4) };
  // Then an overload at st-b: curtailing more than half the draw waits for an operator.
  const overB = overload('st-b');
  const limitB = { ...overB.limit, ...recent(3.5) };
  const drawB = { ...overB.draw, ...recent(3) };
  const oldFault = { ...criticalFault('st-c', 'C9'), ...recent(180) };

  before(async () => {
    c = await startChatApp();
    await request(c.url)
      .post('/api/stations')
      .send(aRegistration('st-a', { name: 'Harbour Road' }))
      .expect(201);
    await request(c.url)
      .post('/api/stations')
      .send(aRegistration('st-b', { name: 'Depot West', capacity: { bays: 2, chargers: 1, batterySlots: 10 } }))
      .expect(201);
    await request(c.url)
      .post('/api/stations')
      .send(aRegistration('st-c', { name: 'Quiet Lane' }))
      .expect(201);
    await request(c.url)
      .post('/api/stations')
      .send(aRegistration('st-d', { name: 'Calm Corner' }))
      .expect(201);
    // st-a has another charger working, so taking C1 offline needs nobody.
    const working = sig('st-a', 'charger_status', { chargerId: 'C2', status: 'available' }, recent(6));
    await request(c.url)
      .post('/api/data/signals')
      .send({ signals: [oldFault, working, faultA, faultB, limitB, drawB, sig('st-d', 'queue_length', { waiting: 0 }, recent(1))] })
      .expect(202);
    await until(async () => (await request(c.url).get('/api/decisions').expect(200)).body.items.length === 4);
  });
  after(() => c.close());

  const ask = (message: string, stationId?: string) => c.chat.ask({ message, ...(stationId ? { stationId } : {}) });

  it('explains why a station took a charger offline, citing the decision and the station', async () => {
    const a = await ask('why did station st-a take charger C1 offline');
    expect(a.source).to.equal('fallback');
    expect(a.reply).to.match(/^Fallback answer from live data \(no language model is configured\)/);
    expect(a.reply)
      .to.include(`[decision:${decisionIdOf(faultA)}]`)
      .and.include('take charger offline (mechanic)');
    const { body: d } = await request(c.url)
      .get(`/api/decisions/${decisionIdOf(faultA)}`)
      .expect(200);
    expect(a.reply).to.include(d.explanation.text);
    expect(a.citations).to.deep.equal([
      { kind: 'station', id: 'st-a' },
      { kind: 'decision', id: `${decisionIdOf(faultA)}` },
    ]);
    // By name, and with the station selected in the dashboard instead of named.
    expect((await ask('Why did Harbour Road take a charger offline?')).citations).to.deep.include({
      kind: 'decision',
      id: `${decisionIdOf(faultA)}`,
    });
    expect((await ask('why did it escalate?', 'st-b')).reply).to.include(`[decision:${decisionIdOf(faultB)}]`);
  });

  it('says so when the station has no decision with the action asked about', async () => {
    const a = await ask('why did st-a curtail charging');
    expect(a.reply).to.include('No recorded decision at Harbour Road [station:st-a] took the action curtail charging');
    expect(a.reply).to.include(`Its latest decision is [decision:${decisionIdOf(faultA)}]`);
  });

  it('lists the stations at risk with reasons, and not the calm one', async () => {
    const a = await ask('which stations are at risk');
    expect(a.source).to.equal('fallback');
    const stations = a.citations.filter((x) => x.kind === 'station').map((x) => x.id);
    expect(stations[0]).to.equal('st-b');
    expect(stations).to.include.members(['st-a', 'st-b']).and.not.include('st-d');
    expect(a.reply).to.match(
      /Depot West \[station:st-b\], high: charger K1 faulted \(GroundFailure\); power draw 400 kW of a 100 kW limit; latest decision has high risk .* and waits for an operator's approval \[decision:dec-/,
    );
    expect(a.citations).to.deep.include({ kind: 'decision', id: overB.decisionId });
  });

  it('summarises the last hour by agent and action, leaving older decisions out', async () => {
    const a = await ask('what happened in the last hour?');
    expect(a.reply).to.include('3 decisions at 2 station(s)');
    expect(a.reply)
      .to.match(/By action: .*take charger offline 2/)
      .and.match(/Actions by agent: .*mechanic 4/);
    expect(a.reply).to.include('pending approval 1');
    expect(a.citations.map((x) => x.id))
      .to.include(`${decisionIdOf(faultB)}`)
      .and.not.include(`${decisionIdOf(oldFault)}`);
    const day = await ask('what happened in the last 4 hours');
    expect(day.reply).to.include('4 decisions at 3 station(s)');
  });

  it("answers about the data's own last hour when the signals carry an older time (a replay or the simulator)", async () => {
    // Ten hours from now, nothing happened "in the last hour" by the wall clock.
    const later = Date.now() + 10 * 3_600_000;
    const a = await fallbackAnswer(
      c.t.app.services,
      { message: 'what happened in the last hour?' },
      later,
      'no language model is configured',
    );
    expect(a.reply).to.include('the station data runs on its own clock');
    expect(a.reply).to.include('3 decisions at 2 station(s)');
    expect(a.citations.map((x) => x.id))
      .to.include(`${decisionIdOf(faultB)}`)
      .and.not.include(`${decisionIdOf(oldFault)}`);
  });

  it('answers a request to approve with how to do it, and changes nothing', async () => {
    const a = await ask(`approve ${overB.decisionId}`);
    expect(a.reply).to.include('The chat does not take actions; nothing was changed.').and.include('POST /api/decisions/<id>/approve');
    expect(a.citations).to.deep.include({ kind: 'decision', id: overB.decisionId });
    const { body: d } = await request(c.url).get(`/api/decisions/${overB.decisionId}`).expect(200);
    expect(d.status).to.equal('pending_approval');
    expect(d).to.not.have.property('approval');
    const t = await ask('set the mechanic tempLimitC threshold to 99');
    expect(t.reply).to.include('PATCH /api/agents/<name>');
    const { body: agents } = await request(c.url).get('/api/agents').expect(200);
    expect(agents.items.find((x: { name: string }) => x.name === 'mechanic').thresholds.tempLimitC).to.equal(70);
  });

  it('describes a station, and lists what it can answer otherwise', async () => {
    const s = await ask('how is Calm Corner doing');
    expect(s.reply).to.include('Calm Corner [station:st-d]: 0 waiting, predicted wait 0 min; stock not reported yet;');
    expect(s.citations).to.deep.equal([{ kind: 'station', id: 'st-d' }]);
    const h = await ask('hello there');
    expect(h.reply).to.include('I can answer, from live data:');
    expect(h.citations).to.deep.equal([]);
  });
});
