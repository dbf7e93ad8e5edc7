// The console's chat and notifications in a real browser: a streamed answer over /chat whose citation
// links open the cited record, the bell's unread count following the dashboard socket, and the service
// worker and push opt-in as far as a machine without a push service allows.
import { createECDH, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import request from 'supertest';
import { aRegistration, startTestApp, type TestApp } from '../helpers/app.js';
import { launchBrowser, screenshot, signIn, type TestBrowser } from '../helpers/browser.js';
import { isChatRequest, script, stubEnv, until } from '../helpers/chat.js';
import { startLlmStub, type LlmStub } from '../helpers/llmStub.js';
import { criticalFault, overload } from '../helpers/signals.js';
import { decisionIdOf } from '../../agents/common.js';

const PASSWORD = 'a-long-enough-password';
const ONE_CHARGER = { bays: 2, chargers: 1, batterySlots: 10 };

describe('console: chat and notifications (Chromium)', function () {
  this.timeout(60_000);
  let t: TestApp;
  let b: TestBrowser;
  let stub: LlmStub;
  const fault = criticalFault('st-a', 'C1');
  const decA = decisionIdOf(fault);
  const tokens: Record<string, string> = {};

  before(async () => {
    stub = await startLlmStub();
    [t, b] = await Promise.all([startTestApp({ env: stubEnv(stub) }), launchBrowser()]);
    for (const id of ['st-a', 'st-b'])
      await request(t.url)
        .post('/api/stations')
        .send(aRegistration(id, { name: id === 'st-a' ? 'Harbour Road' : `Station ${id}`, capacity: ONE_CHARGER }))
        .expect(201);
    for (const [email, scope] of [
      ['ops-a@example.com', ['st-a']],
      ['ops-b@example.com', ['st-b']],
    ] as const) {
      const { body } = await request(t.url)
        .post('/api/auth/users')
        .send({ email, password: PASSWORD, role: 'operator', stationScope: scope })
        .expect(201);
      tokens[email] = await t.app.services.tokens.access(body.user.id, 'operator');
    }
    await request(t.url)
      .post('/api/data/signals')
      .send({ signals: [fault] })
      .expect(202);
    await until(async () => (await request(t.url).get(`/api/decisions/${decA}`)).status === 200);
  });
  after(async () => {
    await b?.close();
    await t?.close();
    await stub?.close();
  });

  it('answers a question in "Ask the copilot" over /chat, keeps the conversation, and a citation link opens the decision', async () => {
    script(stub, (_r, n) => {
      // A first round that streams some text and reads the station, then a final round that takes a while.
      if (n === 1)
        return {
          content: 'Let me read the station first: its chargers, its queue and the decisions it made today, then I will answer.',
          toolCalls: [{ name: 'get_station', arguments: { stationId: 'st-a' } }],
        };
      if (n === 2)
        return {
          delayMs: 1500,
          content: `Charger C1 at [station:st-a] reported a ground fault, so the mechanic took it offline [decision:${decA}]. A made-up one [decision:dec-nowhere] is not real.`,
        };
      return { content: 'It is still offline at [station:st-a].' };
    });
    const { page } = await b.page(t.directUrl);
    await signIn(page, 'ops-a@example.com', PASSWORD);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Chat' }).click();
    await page.getByLabel('Ask the copilot').fill('What happened to charger C1?');
    await page.getByRole('button', { name: 'Send' }).click();

    const log = page.getByRole('list', { name: 'Conversation' });
    // The first words show while the answer is still being written.
    const streaming = log.locator('li[aria-busy="true"]').filter({ hasText: 'Let me read the station first' });
    await streaming.waitFor();
    expect(await streaming.getByRole('list', { name: 'Sources' }).count()).to.equal(0);
    const answer = log.getByRole('listitem').filter({ hasText: 'reported a ground fault' });
    // The final reply replaces the streamed text: the checked citations are links, the made-up one is gone.
    await answer.getByRole('list', { name: 'Sources' }).waitFor();
    expect(await answer.textContent()).not.to.contain('dec-nowhere');
    const decisionLink = answer.locator('.chat-text').getByRole('link', { name: `decision ${decA}` });
    expect(await decisionLink.getAttribute('href')).to.equal(`/decisions/${decA}`);
    expect(await answer.locator('.chat-text').getByRole('link', { name: 'station st-a' }).getAttribute('href')).to.equal('/stations/st-a');
    // The answer came over the socket, streamed from the model.
    expect(stub.requests.filter(isChatRequest).every((r) => r.stream === true)).to.equal(true);

    // A follow-up about the selected station goes on in the same conversation.
    await page.getByLabel('Station', { exact: true }).selectOption('st-a');
    await page.getByLabel('Ask the copilot').fill('And now?');
    await page.getByRole('button', { name: 'Send' }).click();
    await log.getByRole('listitem').filter({ hasText: 'It is still offline at' }).getByRole('list', { name: 'Sources' }).waitFor();
    const second = stub.requests.filter(isChatRequest)[2];
    const texts = second.messages.map((m) => m.content ?? '');
    expect(texts).to.include('What happened to charger C1?');
    expect(texts.some((c) => c.includes('station st-a selected'))).to.equal(true);

    await screenshot(page, 'chat');
    await decisionLink.click();
    await page.waitForURL(`**/decisions/${decA}`);
    await page.getByRole('main').getByText(decA).first().waitFor();
  });

  it('shows a refused question and lets the operator ask again', async () => {
    script(stub, () => ({ content: 'Nothing is pending at [station:st-a].' }));
    const { page } = await b.page(t.directUrl);
    await signIn(page, 'ops-a@example.com', PASSWORD);
    await page.getByRole('link', { name: 'Chat' }).click();
    const input = page.getByLabel('Ask the copilot');
    // Past the 2000 characters the server takes: refused naming the field, and shown as such.
    await input.evaluate((el) => el.removeAttribute('maxlength'));
    await input.fill('x'.repeat(2001));
    await page.getByRole('button', { name: 'Send' }).click();
    const log = page.getByRole('list', { name: 'Conversation' });
    await log.getByRole('alert').waitFor();
    expect(await log.getByRole('alert').textContent()).to.match(/"message" length must be .*\(message\) \[VALIDATION_FAILED\]/);
    await input.fill('Anything pending?');
    await page.getByRole('button', { name: 'Send' }).click();
    await log.getByRole('listitem').filter({ hasText: 'Nothing is pending at' }).getByRole('list', { name: 'Sources' }).waitFor();
  });

  it('counts an unread notification on the bell live, lists it, and counts it down after "Mark read"', async () => {
    const { page } = await b.page(t.directUrl);
    await signIn(page, 'ops-b@example.com', PASSWORD);
    await page.getByLabel('Live').waitFor();
    await page.getByRole('link', { name: 'Notifications: 0 unread' }).waitFor();

    // Curtailing more than half the draw waits for an operator: the in-scope operator is told.
    const o = overload('st-b');
    await request(t.url).post('/api/data/signals').send({ signals: o.signals }).expect(202);
    const bell = page.getByRole('link', { name: 'Notifications: 1 unread' });
    await bell.waitFor();
    expect(await bell.locator('.badge').textContent()).to.equal('1');

    await bell.click();
    await page.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
    const item = page.getByRole('listitem', { name: "Decision at st-b waits for an operator's approval" });
    expect(await item.getByRole('link', { name: `Decision ${o.decisionId}` }).getAttribute('href')).to.equal(`/decisions/${o.decisionId}`);
    expect(await item.getByRole('link', { name: 'Station st-b' }).getAttribute('href')).to.equal('/stations/st-b');
    expect(await item.textContent()).to.contain('high');
    await screenshot(page, 'notifications');
    await item.getByRole('button', { name: 'Mark read' }).click();
    await page.getByRole('link', { name: 'Notifications: 0 unread' }).waitFor();
    await item.getByText('Read', { exact: true }).waitFor();
    const { body } = await request(t.directUrl)
      .get('/api/notifications')
      .set('authorization', `Bearer ${tokens['ops-b@example.com']}`)
      .expect(200);
    expect(body.unread).to.equal(0);
    expect(body.items[0].readAt).to.be.a('string');
  });

  it('saves the notification preferences the server then holds', async () => {
    // Quiet hours are the browser's local time: the server is told its offset from UTC (+5:30 here).
    const context = await b.browser.newContext({ timezoneId: 'Asia/Kolkata' });
    const page = await context.newPage();
    await page.goto(`${t.directUrl}/notifications`);
    await signIn(page, 'ops-b@example.com', PASSWORD);
    const form = page.getByRole('form', { name: 'Notification preferences' });
    await form.getByLabel('On call').uncheck();
    await form.getByLabel('Push from severity').selectOption('critical');
    await form.getByLabel('Quiet hours').check();
    await form.getByLabel('Quiet from').fill('21:30');
    await form.getByLabel('Quiet until').fill('06:45');
    await form.getByRole('button', { name: 'Save preferences' }).click();
    await form.getByRole('status').filter({ hasText: 'Preferences saved.' }).waitFor();
    const { body } = await request(t.directUrl)
      .get('/api/notifications/prefs')
      .set('authorization', `Bearer ${tokens['ops-b@example.com']}`)
      .expect(200);
    expect(body).to.deep.equal({
      onCall: false,
      pushMinSeverity: 'critical',
      quietHours: { start: '21:30', end: '06:45', tzOffsetMin: 330 },
    });
    await context.close();
  });

  it('registers the service worker; a non-public push endpoint is refused with the reason', async () => {
    // No push service is reachable here: the browser's subscribe is replaced by a subscription whose
    // endpoint is on loopback, which the server must refuse. (Delivering a push to the worker through
    // DevTools was tried and is not reliable on a loaded machine: the worker's display is not tested.)
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const fake = {
      endpoint: 'https://127.0.0.1:9/push/console-test',
      keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') },
    };
    const context = await b.browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      await context.grantPermissions(['notifications'], { origin: t.directUrl });
      // A string, not a function: the test's compiler would add helpers the page does not have.
      await context.addInitScript({
        content: `PushManager.prototype.subscribe = async () => { const sub = ${JSON.stringify(fake)}; return { ...sub, toJSON: () => sub, unsubscribe: async () => true }; };`,
      });
      const page = await context.newPage();
      await page.goto(`${t.directUrl}/notifications`);
      await signIn(page, 'ops-b@example.com', PASSWORD);
      await page.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
      const script = await page.evaluate(async () => (await navigator.serviceWorker.ready).active?.scriptURL);
      expect(script).to.equal(`${t.directUrl}/sw.js`);

      // The permission granted to the context, and the opt-in ready (its registration read), before the click.
      expect(await page.evaluate(() => Notification.permission)).to.equal('granted');
      await page.getByText('Push is off for this browser.').waitFor();
      await page.getByRole('button', { name: 'Turn on push' }).click();
      const alert = page.getByRole('region', { name: 'Push notifications' }).getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).to.match(
        /refused this browser's push service: the push endpoint's host 127\.0\.0\.1 is not a public address/,
      );
      await page.getByText('Push is off for this browser.').waitFor();
    } finally {
      await context.close();
    }
  });
});
