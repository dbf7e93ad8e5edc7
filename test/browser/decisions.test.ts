// The Decisions feed and a decision's page in a real browser, on a real chain: a decision arrives live,
// an operator approves and rejects pending ones with a note, and the page shows why, what and the anchor.
import { expect } from 'chai';
import request from 'supertest';
import type { Page } from 'playwright-core';
import { startTestApp, aRegistration, type TestApp } from '../helpers/app.js';
import { launchBrowser, signIn, type TestBrowser, screenshot } from '../helpers/browser.js';
import { decisionAnchored } from '../helpers/audit.js';
import { criticalFault, overload } from '../helpers/signals.js';
import { startEmbeddedChain, type EmbeddedChain } from '../../services/audit/anchoring/embeddedChain.js';
import { decisionIdOf } from '../../agents/common.js';

const PASSWORD = 'a-long-enough-password';
const href = (id: string) => `/decisions/${encodeURIComponent(id)}`;

describe('console: decisions (Chromium)', function () {
  this.timeout(90_000);
  let chain: EmbeddedChain;
  let t: TestApp;
  let b: TestBrowser;

  before(async () => {
    chain = await startEmbeddedChain({ dataDir: null });
    [t, b] = await Promise.all([startTestApp({ chain: chain.target, env: { ANCHOR_BATCH_MS: '100' } }), launchBrowser()]);
    for (const [email, role] of [
      ['ops@example.com', 'operator'],
      ['audit@example.com', 'auditor'],
    ] as const)
      await request(t.url).post('/api/auth/users').send({ email, password: PASSWORD, role, stationScope: 'all' }).expect(201);
    for (const id of ['st-live', 'st-other', 'st-appr', 'st-rej', 'st-show'])
      await request(t.url).post('/api/stations').send(aRegistration(id)).expect(201);
  });
  after(async () => {
    await b?.close();
    await t?.close();
    await chain?.stop();
  });

  /** A page signed in as `email`, on Decisions, following /dashboard. */
  async function onDecisions(email: string): Promise<Page> {
    const { page } = await b.page(t.directUrl);
    await signIn(page, email, PASSWORD);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Decisions' }).click();
    await page.getByRole('heading', { name: 'Decisions', level: 1 }).waitFor();
    await page.getByLabel('Live', { exact: true }).waitFor();
    return page;
  }

  async function rpc(method: string, params: unknown[]): Promise<void> {
    const res = await fetch(chain.target.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
    expect(((await res.json()) as { error?: unknown }).error).to.equal(undefined);
  }

  async function send(signals: object[]): Promise<void> {
    for (const s of signals) await request(t.url).post('/api/data/signals').send(s).expect(202);
  }

  it('shows a signal sent over REST in Decisions within 2 s without a reload, and filters by station and status', async () => {
    const page = await onDecisions('ops@example.com');
    await page.evaluate(() => Object.assign(window, { sameDocument: true }));
    const s = criticalFault('st-live');
    const id = decisionIdOf(s);
    const row = page.getByRole('row').filter({ has: page.locator(`a[href="${href(id)}"]`) });
    const sent = Date.now();
    await send([s]);
    await row.waitFor({ timeout: Math.max(1, 2000 - (Date.now() - sent)) });
    expect(Date.now() - sent).to.be.below(2000);
    const text = await row.textContent();
    expect(text).to.contain('st-live').and.contain('take charger offline C1').and.contain('executed').and.contain('high');
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).to.equal(true);

    await page.getByLabel('Station').selectOption('st-other');
    await row.waitFor({ state: 'detached' });
    await page.getByLabel('Station').selectOption('st-live');
    await row.waitFor();
    await page.getByLabel('Status').selectOption('pending_approval');
    await row.waitFor({ state: 'detached' });
    await page.getByLabel('Status').selectOption('executed');
    await row.waitFor();
  });

  it('lets an operator approve a pending decision with a note and reject another, from their pages', async () => {
    const appr = overload('st-appr');
    const rej = overload('st-rej');
    await send([...appr.signals, ...rej.signals]);

    // An auditor sees that it waits, and no buttons to answer it.
    const auditor = await onDecisions('audit@example.com');
    await auditor.locator(`a[href="${href(rej.decisionId)}"]`).click();
    const waiting = auditor.getByRole('region', { name: 'Approval' });
    await waiting.getByText('Waiting for an operator').waitFor();
    expect(await waiting.getByRole('button').count()).to.equal(0);

    const page = await onDecisions('ops@example.com');
    await page.locator(`a[href="${href(appr.decisionId)}"]`).click();
    await page.getByRole('heading', { name: 'Decision', exact: true }).waitFor();
    let approval = page.getByRole('region', { name: 'Approval' });
    await approval.getByLabel('Note').fill('feeder checked on site');
    await approval.getByRole('button', { name: 'Approve' }).click();
    // The answer shows in place of the form (the note's textarea holds the same text until then).
    await approval.locator('blockquote', { hasText: 'feeder checked on site' }).waitFor();
    expect(await approval.textContent())
      .to.contain('approved')
      .and.contain('by ops@example.com');
    expect(await approval.getByRole('button', { name: 'Approve' }).count()).to.equal(0);
    const { body: approved } = await request(t.url).get(`/api/decisions/${appr.decisionId}`).expect(200);
    expect(approved.approval).to.include({ outcome: 'approved', by: 'ops@example.com', note: 'feeder checked on site' });

    // Back in the feed, the row says what became of it.
    await page.getByRole('link', { name: 'All decisions' }).click();
    const row = page.getByRole('row').filter({ has: page.locator(`a[href="${href(appr.decisionId)}"]`) });
    await row.getByText('approved', { exact: true }).waitFor();

    await page.locator(`a[href="${href(rej.decisionId)}"]`).click();
    approval = page.getByRole('region', { name: 'Approval' });
    await approval.getByLabel('Note').fill('not during the evening peak');
    await approval.getByRole('button', { name: 'Reject' }).click();
    await approval.locator('blockquote', { hasText: 'not during the evening peak' }).waitFor();
    expect(await approval.textContent()).to.contain('rejected');
    const { body: rejected } = await request(t.url).get('/api/decisions').query({ stationId: 'st-rej', status: 'rejected' }).expect(200);
    expect(rejected.items.map((d: { id: string }) => d.id)).to.deep.equal([rej.decisionId]);
    expect(rejected.items[0].approval).to.include({ outcome: 'rejected', note: 'not during the evening peak' });
  });

  it('shows a decision page with its explanation, actions, the rules and its anchor, read again once it is anchored', async () => {
    const page = await onDecisions('ops@example.com');
    const s = criticalFault('st-show');
    const id = decisionIdOf(s);
    const anchored = decisionAnchored(t.app.bus, id);
    // The chain holds its batch's transaction until the page has shown the decision still pending.
    await rpc('evm_setAutomine', [false]);
    const anchor = page.getByRole('region', { name: 'Anchor' });
    try {
      await send([s]);
      await page.locator(`a[href="${href(id)}"]`).click();
      await anchor.getByText('pending', { exact: true }).waitFor();
    } finally {
      await rpc('evm_setAutomine', [true]);
    }
    await rpc('evm_mine', []);
    await anchored;
    const { body: rec } = await request(t.url).get(`/api/decisions/${id}`).expect(200);
    expect(rec.anchor.status).to.equal('anchored');

    // The page read the record again when /dashboard said it was anchored.
    await anchor.getByText(rec.anchor.txHash).waitFor();
    await anchor.getByText('anchored', { exact: true }).waitFor();
    await screenshot(page, 'decision');
    expect(await anchor.textContent())
      .to.contain(rec.anchor.root)
      .and.contain(rec.hash);
    expect(await anchor.getByRole('button', { name: 'Verify' }).count()).to.equal(0);

    const explanation = await page.getByRole('region', { name: 'Explanation' }).textContent();
    expect(explanation).to.contain(rec.explanation.text).and.contain('Source: template');
    const actions = page.getByRole('region', { name: 'Actions' });
    const started = await actions.getByRole('row').allTextContents();
    expect(started.slice(1).map((r) => r.replace(/\s+/g, ' '))).to.deep.equal([
      'escalate ticketmechanicC1chargerId C1, level 3, reason critical_faultactive',
      'take charger offlinemechanicC1chargerId C1, reason critical_faultactive',
    ]);
    const rules = await page.getByRole('region', { name: 'Losing proposals' }).getByRole('listitem').allTextContents();
    expect(rules.map((r) => r.split(':')[0])).to.deep.equal(rec.trail.map((x: { rule: string }) => x.rule.replace(/_/g, ' ')));
    const evidence = await page.getByRole('region', { name: 'Evidence and risk' }).textContent();
    expect(evidence).to.contain('GroundFailure').and.contain(rec.risk.reasons[0]);
  });
});
