// The console's Admin page in a real browser: users, device keys and agent thresholds as an admin
// sees them, checked against the API; an operator is not shown Admin at all.
import { expect } from 'chai';
import request from 'supertest';
import { aRegistration, startTestApp, type TestApp } from '../helpers/app.js';
import { launchBrowser, screenshot, signIn, type TestBrowser } from '../helpers/browser.js';
import { sig } from '../helpers/signals.js';

const PASSWORD = 'a-long-enough-password';

describe('console: admin (Chromium)', function () {
  this.timeout(60_000);
  let t: TestApp;
  let b: TestBrowser;

  before(async () => {
    [t, b] = await Promise.all([startTestApp({ env: { CHAIN_RPC_URL: 'off' } }), launchBrowser()]);
    for (const id of ['st-a', 'st-b']) await request(t.url).post('/api/stations').send(aRegistration(id)).expect(201);
    for (const [email, role] of [
      ['root@example.com', 'admin'],
      ['ops@example.com', 'operator'],
    ] as const)
      await request(t.url).post('/api/auth/users').send({ email, password: PASSWORD, role, stationScope: 'all' }).expect(201);
  });
  after(async () => {
    await b?.close();
    await t?.close();
  });

  async function adminPage() {
    const { page } = await b.page(t.directUrl);
    await signIn(page, 'root@example.com', PASSWORD);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('heading', { name: 'Admin', level: 1 }).waitFor();
    return page;
  }
  const agent = async (name: string) =>
    ((await request(t.url).get('/api/agents').expect(200)).body.items as { name: string; thresholds: Record<string, unknown> }[]).find(
      (a) => a.name === name,
    )!;

  it('creates an operator scoped to one station, shows the generated password once and lists the user', async () => {
    const page = await adminPage();
    const form = page.getByRole('form', { name: 'New user' });
    await form.getByLabel('Email').fill('scoped@example.com');
    await form.getByLabel('Role').selectOption('operator');
    await form.getByLabel('All stations').uncheck();
    await form.getByLabel('Station scope').selectOption(['st-b']);
    await form.getByRole('button', { name: 'Create user' }).click();

    const generated = (await page.getByLabel('Generated password').textContent())!;
    const { body: login } = await request(t.directUrl)
      .post('/api/auth/login')
      .send({ email: 'scoped@example.com', password: generated })
      .expect(200);
    expect(login.user).to.include({ role: 'operator', mustChangePassword: true });
    expect(login.user.stationScope).to.deep.equal(['st-b']);
    const row = page.getByRole('table', { name: 'Users' }).getByRole('row').filter({ hasText: 'scoped@example.com' });
    expect(await row.getByRole('cell').allTextContents()).to.deep.equal([
      'scoped@example.com',
      'operator',
      'st-b',
      'must change password',
      'Disable',
    ]);

    await row.getByRole('button', { name: 'Disable scoped@example.com' }).click();
    await row.getByRole('button', { name: 'Enable scoped@example.com' }).waitFor();
    const { body: users } = await request(t.url).get('/api/auth/users').expect(200);
    expect(users.items.find((u: { email: string }) => u.email === 'scoped@example.com').disabled).to.equal(true);

    // Shown once: a reload of the page does not bring the password back.
    await page.reload();
    await row.waitFor();
    expect(await page.content()).not.to.contain(generated);
  });

  it('shows a refused threshold next to its input naming the field and changes nothing; a valid one is saved', async () => {
    const before = await agent('traffic');
    const page = await adminPage();
    const form = page.getByRole('form', { name: 'Agent traffic' });
    const off = form.getByLabel('waitMinutesOff', { exact: true });
    await off.waitFor();
    // An off-threshold above its on-threshold would leave no hysteresis band: the server refuses it.
    await off.fill(String(Number(before.thresholds.waitMinutesHigh) + 5));
    await form.getByRole('button', { name: 'Save traffic' }).click();
    await form.getByRole('alert').waitFor();
    expect(await off.getAttribute('aria-invalid')).to.equal('true');
    const describedBy = (await off.getAttribute('aria-describedby'))!;
    expect(await page.locator(`[id="${describedBy}"]`).textContent()).to.match(
      /^thresholds\.traffic\.waitMinutesOff \(\d+\) must be at most/,
    );
    expect((await agent('traffic')).thresholds).to.deep.equal(before.thresholds);

    const valid = Number(before.thresholds.waitMinutesHigh) - 1;
    await off.fill(String(valid));
    await form.getByRole('button', { name: 'Save traffic' }).click();
    await page.getByRole('form', { name: 'Agent traffic' }).getByRole('status').filter({ hasText: 'Saved traffic' }).waitFor();
    expect((await agent('traffic')).thresholds).to.deep.equal({ ...before.thresholds, waitMinutesOff: valid });
    expect(await form.getByLabel('waitMinutesOff', { exact: true }).inputValue()).to.equal(String(valid));
    expect(await form.getByLabel('waitMinutesOff', { exact: true }).getAttribute('aria-invalid')).to.equal(null);
    await screenshot(page, 'admin');
  });

  it('issues a device key shown once, which the station can send with; the rotated key is listed revoked', async () => {
    const page = await adminPage();
    const keys = page.getByRole('region', { name: 'Device keys' });
    await keys.getByLabel('Station', { exact: true }).selectOption('st-a');
    // st-a's registration key.
    await keys.getByRole('table', { name: 'Device keys' }).getByRole('row').nth(1).waitFor();
    await keys.getByRole('button', { name: 'Issue a device key' }).click();
    const key = (await keys.getByLabel('New device key').textContent())!;
    await request(t.directUrl)
      .post('/api/data/signals')
      .set('X-Device-Key', key)
      .send(sig('st-a', 'staff_on_duty', { count: 2 }))
      .expect(202);
    const { body: listed } = await request(t.url).get('/api/stations/st-a/device-keys').expect(200);
    expect(listed.items.map((k: { status: string }) => k.status)).to.deep.equal(['active', 'revoked']);
    const rows = keys.getByRole('table', { name: 'Device keys' }).getByRole('row');
    await rows.filter({ hasText: 'revoked' }).waitFor();
    expect(await rows.filter({ hasText: listed.items[0].keyId }).getByRole('cell').nth(1).textContent()).to.equal('active');
    expect(await page.content()).to.contain(key);

    await keys.getByRole('button', { name: 'Done' }).click();
    await keys.getByLabel('New device key').waitFor({ state: 'detached' });
    expect(await page.content()).not.to.contain(key);
  });

  it('shows an operator no Admin, and /admin is not theirs', async () => {
    const { page } = await b.page(t.directUrl);
    await signIn(page, 'ops@example.com', PASSWORD);
    await page.getByRole('heading', { name: 'Stations' }).waitFor();
    const links = await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();
    expect(links).not.to.include('Admin');
    await page.goto(`${t.directUrl}/admin`);
    await page.getByRole('heading', { name: 'Stations' }).waitFor();
    expect(new URL(page.url()).pathname).to.equal('/stations');
    expect(await page.getByRole('heading', { name: 'Admin' }).count()).to.equal(0);
  });
});
