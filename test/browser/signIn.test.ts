// The console in a real browser: served at `/`, sign-in, what a role sees, a reload keeps the session,
// sign-out ends it.
import { expect } from 'chai';
import request from 'supertest';
import { aRegistration, startTestApp, type TestApp } from '../helpers/app.js';
import { sig } from '../helpers/signals.js';
import { launchBrowser, screenshot, signIn, type TestBrowser } from '../helpers/browser.js';

describe('console: sign-in and sign-out (Chromium)', function () {
  this.timeout(60_000);
  let t: TestApp;
  let b: TestBrowser;
  before(async () => {
    [t, b] = await Promise.all([startTestApp(), launchBrowser()]);
    for (const [email, role] of [
      ['ops@example.com', 'operator'],
      ['audit@example.com', 'auditor'],
    ] as const)
      await request(t.url)
        .post('/api/auth/users')
        .send({ email, password: 'a-long-enough-password', role, stationScope: 'all' })
        .expect(201);
  });
  after(async () => {
    await b?.close();
    await t?.close();
  });

  it('serves the console at / and at its own paths, with a CSP, and keeps JSON 404s for the API', async () => {
    const root = await request(t.directUrl).get('/').set('accept', 'text/html').expect(200);
    expect(root.text).to.contain('<div id="root">');
    expect(root.headers['content-security-policy']).to.match(/script-src 'self'/);
    await request(t.directUrl).get('/stations/st-x').set('accept', 'text/html').expect(200);
    const api = await request(t.directUrl).get('/api/nothing-here').expect(404);
    expect(api.body.error.code).to.equal('NOT_FOUND');
  });

  it('signs an operator in, shows what the role may use, keeps the session over a reload, and signs out', async () => {
    const { page } = await b.page(t.directUrl);
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    await screenshot(page, 'sign-in');
    await signIn(page, 'ops@example.com', 'wrong-password-here');
    await expect(await page.getByRole('alert').textContent()).to.match(/wrong email or password/);
    await signIn(page, 'ops@example.com', 'a-long-enough-password');
    await page.getByRole('heading', { name: 'Stations' }).waitFor();
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link').allTextContents()).to.deep.equal(['Stations', 'Decisions', 'Chat']);
    await page.reload();
    await page.getByRole('heading', { name: 'Stations' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    // The refresh token the tab held is revoked: a reload does not bring the session back.
    await page.reload();
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
  });

  it('shows an auditor Audit and no Chat or Admin', async () => {
    const { page } = await b.page(t.directUrl);
    await signIn(page, 'audit@example.com', 'a-long-enough-password');
    await page.getByRole('heading', { name: 'Stations' }).waitFor();
    const links = await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();
    expect(links).to.deep.equal(['Stations', 'Decisions', 'Audit']);
    await page.goto(`${t.directUrl}/admin`);
    await page.getByRole('heading', { name: 'Stations' }).waitFor();
  });
});

describe('console: a session longer than its access token (Chromium)', function () {
  this.timeout(90_000);
  let t: TestApp;
  let b: TestBrowser;
  let deviceKey: string;
  before(async () => {
    // The shortest lifetime the config allows: the console renews every few seconds.
    [t, b] = await Promise.all([startTestApp({ env: { ACCESS_TOKEN_TTL_S: '30' } }), launchBrowser()]);
    deviceKey = (await request(t.url).post('/api/stations').send(aRegistration('st-long')).expect(201)).body.deviceKey;
    await request(t.url)
      .post('/api/auth/users')
      .send({ email: 'ops@example.com', password: 'a-long-enough-password', role: 'operator', stationScope: 'all' })
      .expect(201);
  });
  after(async () => {
    await b?.close();
    await t?.close();
  });

  it('keeps the live dashboard and the API working past the first token expiry, renewing the open socket', async () => {
    const { page } = await b.page(t.directUrl);
    const renewals: string[] = [];
    page.on('websocket', (ws) =>
      ws.on('framesent', (f) => void (String(f.payload).includes('"auth:renew"') && renewals.push(String(f.payload)))),
    );
    await signIn(page, 'ops@example.com', 'a-long-enough-password');
    const cell = page.locator('.st-table tr[data-station="st-long"] td[data-col="queue"]');
    await cell.waitFor();
    // Past the first token's 30 s: the server would have closed a socket still holding it.
    await page.waitForTimeout(33_000);
    expect(renewals.length, 'auth:renew frames sent on /dashboard').to.be.greaterThan(0);
    // The station's own key (the test's admin token has expired too).
    await request(t.directUrl)
      .post('/api/data/signals')
      .set('x-device-key', deviceKey)
      .send(sig('st-long', 'queue_length', { waiting: 17 }))
      .expect(202);
    await page.waitForFunction(
      () => document.querySelector('.st-table tr[data-station="st-long"] td[data-col="queue"]')?.textContent?.trim().startsWith('17'),
      undefined,
      { timeout: 2000 },
    );
    // Still signed in: a page that reads the API works.
    await page.getByRole('link', { name: 'Decisions' }).click();
    await page.getByRole('heading', { name: 'Decisions' }).waitFor();
    expect(await page.getByRole('button', { name: 'Sign out' }).isVisible()).to.equal(true);
  });
});
