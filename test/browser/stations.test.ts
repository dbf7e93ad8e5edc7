// The Stations list and a station's page in a real browser: live updates from signals sent over REST,
// sorting, what a scoped operator sees, the station's charts, plan and decisions, and a phone's width.
import { expect } from 'chai';
import request from 'supertest';
import type { Page } from 'playwright-core';
import { aRegistration, startTestApp, type TestApp } from '../helpers/app.js';
import { launchBrowser, signIn, type TestBrowser, screenshot } from '../helpers/browser.js';
import { criticalFault, sig } from '../helpers/signals.js';
import { decisionIdOf } from '../../agents/common.js';

const PASSWORD = 'a-long-enough-password';
const OPS = 'ops@example.com';
const SOLO = 'solo@example.com';
const LIVE_MS = 2000;

const queueCell = (page: Page, id: string) => page.locator(`.st-table tr[data-station="${id}"] td[data-col="queue"]`);
const rowIds = (page: Page) =>
  page.evaluate<string[]>(`[...document.querySelectorAll('.st-table tbody tr')].map((r) => r.dataset.station)`);
const markerIds = (page: Page) =>
  page.evaluate<string[]>(`[...document.querySelectorAll('.st-map path[data-station]')].map((p) => p.dataset.station).sort()`);

describe('console: stations (Chromium)', function () {
  this.timeout(60_000);
  let t: TestApp;
  let b: TestBrowser;

  async function send(signal: ReturnType<typeof sig>): Promise<void> {
    await request(t.url).post('/api/data/signals').send(signal).expect(202);
  }

  async function signedIn(email: string, path = '/', size?: { width: number; height: number }): Promise<Page> {
    const { page } = await b.page(`${t.directUrl}${path}`, size);
    await signIn(page, email, PASSWORD);
    return page;
  }

  before(async () => {
    [t, b] = await Promise.all([startTestApp(), launchBrowser()]);
    await request(t.url).post('/api/stations').send(aRegistration('st-a')).expect(201);
    await request(t.url)
      .post('/api/stations')
      .send(aRegistration('st-b', { location: { lat: 53.55, lng: 9.99 } }))
      .expect(201);
    await request(t.url)
      .post('/api/stations')
      .send(aRegistration('st-c', { location: { lat: 48.14, lng: 11.58 } }))
      .expect(201);
    await send(sig('st-b', 'queue_length', { waiting: 3 }));
    await send(sig('st-c', 'queue_length', { waiting: 1 }));
    for (const [email, stationScope] of [
      [OPS, 'all'],
      [SOLO, ['st-a']],
    ] as const)
      await request(t.url).post('/api/auth/users').send({ email, password: PASSWORD, role: 'operator', stationScope }).expect(201);
  });
  after(async () => {
    await b?.close();
    await t?.close();
  });

  it('shows a queue signal sent over REST in the table within 2 s, without reloading the page', async () => {
    const page = await signedIn(OPS);
    await page.getByRole('heading', { name: 'Stations', level: 1 }).waitFor();
    await queueCell(page, 'st-a').waitFor();
    expect(await queueCell(page, 'st-a').textContent()).to.equal('0');
    expect(await rowIds(page)).to.deep.equal(['st-a', 'st-b', 'st-c']);
    await page.locator('.st-map path[data-station="st-c"]').waitFor();
    expect(await markerIds(page)).to.deep.equal(['st-a', 'st-b', 'st-c']);
    const document = await page.evaluate<number>('performance.timeOrigin');

    await send(sig('st-a', 'queue_length', { waiting: 7 }));
    await queueCell(page, 'st-a').filter({ hasText: /^7$/ }).waitFor({ timeout: LIVE_MS });
    await screenshot(page, 'stations');
    expect(await page.evaluate<number>('performance.timeOrigin')).to.equal(document);
  });

  it('sorts the table by a column header, marking the column with aria-sort', async () => {
    const page = await signedIn(OPS);
    await queueCell(page, 'st-c').waitFor();
    const header = page.locator('.st-table thead th', { hasText: 'Queue' });
    expect(await header.getAttribute('aria-sort')).to.equal(null);
    const queues = async () => Promise.all((await rowIds(page)).map(async (id) => Number(await queueCell(page, id).textContent())));

    await header.getByRole('button').click();
    expect(await header.getAttribute('aria-sort')).to.equal('descending');
    const down = await queues();
    expect(down).to.deep.equal([...down].sort((x, y) => y - x));
    expect((await rowIds(page)).filter((id) => id !== 'st-a')).to.deep.equal(['st-b', 'st-c']);

    await header.getByRole('button').click();
    expect(await header.getAttribute('aria-sort')).to.equal('ascending');
    const up = await queues();
    expect(up).to.deep.equal([...up].sort((x, y) => x - y));
    expect((await rowIds(page)).filter((id) => id !== 'st-a')).to.deep.equal(['st-c', 'st-b']);

    await page.getByRole('link', { name: 'Station st-b' }).click();
    await page.getByRole('heading', { name: 'Station st-b', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).to.equal('/stations/st-b');
  });

  it('shows an operator scoped to one station only that station, in the table and on the map, and no other station page', async () => {
    const page = await signedIn(SOLO);
    await page.getByRole('heading', { name: 'Stations', level: 1 }).waitFor();
    await page.locator('.st-map path[data-station="st-a"]').waitFor();
    expect(await rowIds(page)).to.deep.equal(['st-a']);
    expect(await markerIds(page)).to.deep.equal(['st-a']);
    await page.getByText('1 station in your scope').waitFor();

    const marker = page.locator('.st-map path[data-station="st-a"]');
    await marker.hover();
    await page.locator('.st-map .leaflet-tooltip', { hasText: 'Station st-a' }).waitFor();
    await marker.click();
    await page.getByRole('heading', { name: 'Station st-a', level: 1 }).waitFor();

    await page.goto(`${t.directUrl}/stations/st-b`);
    await page.getByRole('heading', { name: 'No such station', level: 1 }).waitFor();
  });

  it("shows a station's live charts, and its plan and decision once a critical fault arrives", async () => {
    const page = await signedIn(OPS, '/stations/st-c');
    await page.getByRole('heading', { name: 'Station st-c', level: 1 }).waitFor();
    await page.locator('.st-chart .uplot canvas').nth(3).waitFor();
    expect(await page.locator('.st-chart .uplot canvas').count()).to.equal(4);
    expect(await page.locator('.st-chart figcaption').allTextContents()).to.deep.equal([
      'Queue 1 waiting',
      'Charged stock 0 of 40',
      'Power no reading',
      'Charger temperature no reading',
    ]);
    await page.getByText('Nothing in force.').waitFor();
    await page.getByText('No decisions yet.').waitFor();

    const fault = criticalFault('st-c');
    const decisionId = decisionIdOf(fault);
    await send(fault);
    const plan = page.locator('.st-plan tr[data-action="take_charger_offline:C1"]');
    await plan.waitFor({ timeout: LIVE_MS });
    expect(await plan.locator('td').first().textContent()).to.equal('take charger offline');
    const link = page.locator(`.st-decisions a[href="/decisions/${encodeURIComponent(decisionId)}"]`);
    await link.waitFor({ timeout: LIVE_MS });
    expect(await page.locator('.st-chargers tr[data-charger="C1"] .tag').textContent()).to.match(/^(faulted|offline)$/);

    await send(sig('st-c', 'queue_length', { waiting: 4 }));
    await page.locator('.st-chart figcaption', { hasText: 'Queue 4 waiting' }).waitFor({ timeout: LIVE_MS });
    // The open station is followed per signal (other stations arrive once a second): five readings in
    // one request are five points on its chart.
    const queueChart = page.locator('.st-chart', { hasText: 'Queue' }).first();
    const points = Number(await queueChart.getAttribute('data-points'));
    const readings = [5, 6, 7, 8, 9].map((waiting) => sig('st-c', 'queue_length', { waiting }));
    await request(t.url).post('/api/data/signals').send({ signals: readings }).expect(202);
    await page.locator('.st-chart figcaption', { hasText: 'Queue 9 waiting' }).waitFor({ timeout: LIVE_MS });
    expect(Number(await queueChart.getAttribute('data-points'))).to.equal(points + 5);
    await screenshot(page, 'station');

    await link.click();
    expect(decodeURIComponent(new URL(page.url()).pathname)).to.equal(`/decisions/${decisionId}`);
  });

  it('fits a 390 px phone: only the table wrapper scrolls sideways', async () => {
    const page = await signedIn(OPS, '/', { width: 390, height: 800 });
    await queueCell(page, 'st-a').waitFor();
    await page.locator('.st-map path[data-station="st-a"]').waitFor();
    const widths = `({ page: document.documentElement.scrollWidth, view: document.documentElement.clientWidth,
      wrap: document.querySelector('.st-page .table-wrap').scrollWidth, wrapView: document.querySelector('.st-page .table-wrap').clientWidth })`;
    const list = await page.evaluate<{ page: number; view: number; wrap: number; wrapView: number }>(widths);
    expect(list.page).to.be.at.most(list.view);
    expect(list.wrap).to.be.greaterThan(list.wrapView);
    const map = await page.locator('.st-map').boundingBox();
    expect(map!.width).to.be.at.most(390);

    await page.getByRole('link', { name: 'Station st-a' }).click();
    await page.locator('.st-chart .uplot canvas').nth(3).waitFor();
    const station = await page.evaluate<{ page: number; view: number }>(
      '({ page: document.documentElement.scrollWidth, view: document.documentElement.clientWidth })',
    );
    expect(station.page).to.be.at.most(station.view);
  });

  it('renders only the rows on screen of a long list, counts them all, and shows the last one when scrolled to', async () => {
    // 60 more stations: the table then holds more rows than fit on a 1280x800 screen.
    for (let i = 0; i < 60; i++)
      await request(t.url)
        .post('/api/stations')
        .send(aRegistration(`st-many-${String(i).padStart(2, '0')}`, { location: { lat: 50 + i * 0.05, lng: 8 + i * 0.05 } }))
        .expect(201);
    const page = await signedIn(OPS, '/stations');
    const total = 63;
    await page.waitForFunction((n) => document.querySelector('.st-table')?.getAttribute('aria-rowcount') === String(n + 1), total);
    const rendered = (await rowIds(page)).filter(Boolean);
    expect(rendered.length).to.be.greaterThan(10).and.lessThan(total);
    expect(await markerIds(page)).to.have.length(total);
    // Sorted by name: the last station is at the bottom, rendered once the page is scrolled there.
    expect(rendered).to.not.include('st-many-59');
    await page.evaluate('window.scrollTo(0, document.documentElement.scrollHeight)');
    await page.locator('.st-table tr[data-station="st-many-59"]').waitFor({ timeout: LIVE_MS });
  });
});
