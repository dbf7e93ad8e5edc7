// Audit in a real browser on a real chain: Verify recomputes a decision's proof in the page and reads the
// root from the chain itself, a tampered copy fails naming the check, and only auditors and admins see it.
import { expect } from 'chai';
import request from 'supertest';
import type { Page } from 'playwright-core';
import { startTestApp, aRegistration, type TestApp } from '../helpers/app.js';
import { launchBrowser, signIn, type TestBrowser, screenshot } from '../helpers/browser.js';
import { decisionAnchored } from '../helpers/audit.js';
import { criticalFault } from '../helpers/signals.js';
import { startEmbeddedChain, type EmbeddedChain } from '../../services/audit/anchoring/embeddedChain.js';
import { decisionIdOf } from '../../agents/common.js';

const PASSWORD = 'a-long-enough-password';

describe('console: audit and in-browser Verify (Chromium)', function () {
  this.timeout(90_000);
  let chain: EmbeddedChain;
  let t: TestApp;
  let b: TestBrowser;
  let id: string;

  before(async () => {
    chain = await startEmbeddedChain({ dataDir: null });
    [t, b] = await Promise.all([startTestApp({ chain: chain.target, env: { ANCHOR_BATCH_MS: '100' } }), launchBrowser()]);
    await request(t.url).post('/api/stations').send(aRegistration('st-v')).expect(201);
    for (const [email, role, stationScope] of [
      ['audit@example.com', 'auditor', 'all'],
      ['audit-v@example.com', 'auditor', ['st-v']],
      ['ops@example.com', 'operator', 'all'],
    ] as const)
      await request(t.url).post('/api/auth/users').send({ email, password: PASSWORD, role, stationScope }).expect(201);
    const s = criticalFault('st-v');
    id = decisionIdOf(s);
    const anchored = decisionAnchored(t.app.bus, id);
    await request(t.url).post('/api/data/signals').send(s).expect(202);
    await anchored;
  });
  after(async () => {
    await b?.close();
    await t?.close();
    await chain?.stop();
  });

  async function signedIn(email: string): Promise<Page> {
    const { page } = await b.page(t.directUrl);
    await signIn(page, email, PASSWORD);
    await page.getByRole('heading', { name: 'Stations', level: 1 }).waitFor();
    return page;
  }

  it("verifies an anchored decision in the browser, reading the chain at the contract's RPC URL, not the server's check", async () => {
    const page = await signedIn('audit@example.com');
    const rpcOrigin = new URL(chain.target.rpcUrl).origin;
    const rpcMethods: string[] = [];
    const apiPaths: string[] = [];
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.origin === rpcOrigin) rpcMethods.push((JSON.parse(r.postData() ?? '{}') as { method?: string }).method ?? '?');
      else if (u.pathname.startsWith('/api/')) apiPaths.push(u.pathname);
    });
    await page.goto(`${t.directUrl}/decisions/${encodeURIComponent(id)}`);
    const anchor = page.getByRole('region', { name: 'Anchor' });
    await anchor.getByRole('button', { name: 'Verify' }).click();
    await anchor.getByText('Verified', { exact: true }).waitFor();
    await screenshot(page, 'verify');
    const checks = await anchor.getByRole('listitem').allTextContents();
    for (const name of [
      'decision.hash',
      'decision.proof',
      'explanation.hash',
      'chain',
      'decision.anchored',
      'decision.verifyLeaf',
      'decision.tx',
    ])
      expect(
        checks.some((c) => c.startsWith(`PASS ${name}:`)),
        name,
      ).to.equal(true);
    expect(checks.filter((c) => c.startsWith('FAIL'))).to.deep.equal([]);
    expect(rpcMethods).to.include.members(['eth_chainId', 'eth_getCode', 'eth_call', 'eth_getTransactionReceipt']);
    expect(apiPaths).to.include(`/api/audit/decisions/${encodeURIComponent(id)}/proof`);
    expect(apiPaths.filter((p) => p.endsWith('/verify'))).to.deep.equal([]);

    // The Audit page names the same contract and lists the decision's batch.
    const { body: contract } = await request(t.url).get('/api/audit/contract').expect(200);
    const { body: rec } = await request(t.url).get(`/api/decisions/${id}`).expect(200);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('heading', { name: 'Audit', level: 1 }).waitFor();
    const info = await page.getByRole('region', { name: 'Contract' }).textContent();
    expect(info).to.contain(contract.address).and.contain(contract.rpcUrl).and.contain(String(contract.chainId));
    const batch = page.getByRole('region', { name: 'Batches' }).getByRole('row').filter({ hasText: rec.anchor.root });
    expect(await batch.textContent())
      .to.contain('anchored')
      .and.contain(rec.anchor.txHash);
  });

  it('fails a tampered copy of the proof document and says which check', async () => {
    const page = await signedIn('audit@example.com');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
    const byId = page.getByRole('region', { name: 'Check a decision' });
    await byId.getByLabel('Decision id').fill(id);
    await byId.getByRole('button', { name: 'Verify' }).click();
    await byId.getByText('Verified', { exact: true }).waitFor();
    await byId.getByRole('button', { name: 'Edit a copy' }).click();

    const own = page.getByRole('region', { name: 'Verify a proof document' });
    const field = own.getByLabel('Proof document');
    const doc = JSON.parse(await field.inputValue()) as { decision: { risk: { score: number } }; explanation: { value: { text: string } } };
    const original = structuredClone(doc);
    const verify = async (d: unknown) => {
      await field.fill(JSON.stringify(d));
      await own.getByRole('button', { name: 'Verify document' }).click();
      await own.locator('.verdict-line').waitFor();
      return own.getByRole('status');
    };

    // The untouched copy passes here too, so what fails below is the edit alone.
    expect(await (await verify(original)).locator('.verdict-line').textContent()).to.equal('Verified');

    doc.decision.risk.score = 0.01;
    const result = await verify(doc);
    const verdict = await result.locator('.verdict-line').textContent();
    expect(verdict).to.match(/^Verification failed: decision\.hash, decision\.proof/);
    expect(verdict).to.contain('decision.verifyLeaf');
    const failed = await result.locator('li.fail').allTextContents();
    expect(failed[0]).to.match(/^FAIL decision\.hash: recomputed sha256\(JCS\(decision\)\) = \S+ differs from the document's/);
    expect(await result.locator('li.pass').allTextContents()).to.satisfy((p: string[]) =>
      p.some((c) => c.startsWith('PASS explanation.hash')),
    );

    const other = structuredClone(original);
    other.explanation.value.text += ' Nothing else happened.';
    const second = await (await verify(other)).locator('.verdict-line').textContent();
    expect(second).to.match(/^Verification failed: explanation\.hash/);
    expect(second).not.to.contain('decision.');
  });

  it('shows an operator no Audit and no Verify, and an auditor of one station why batches are not shown', async () => {
    const ops = await signedIn('ops@example.com');
    const links = await ops.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();
    expect(links).not.to.include('Audit');
    await ops.goto(`${t.directUrl}/audit`);
    await ops.getByRole('heading', { name: 'Stations', level: 1 }).waitFor();
    await ops.goto(`${t.directUrl}/decisions/${encodeURIComponent(id)}`);
    await ops.getByRole('region', { name: 'Anchor' }).getByText('anchored', { exact: true }).waitFor();
    expect(await ops.getByRole('button', { name: 'Verify' }).count()).to.equal(0);

    const scoped = await signedIn('audit-v@example.com');
    await scoped.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
    await scoped
      .getByRole('region', { name: 'Batches' })
      .getByRole('alert')
      .getByText(/spans every station/)
      .waitFor();
    // Their own station's decision still verifies.
    const byId = scoped.getByRole('region', { name: 'Check a decision' });
    await byId.getByLabel('Decision id').fill(id);
    await byId.getByRole('button', { name: 'Verify' }).click();
    await byId.getByText('Verified', { exact: true }).waitFor();
  });
});
