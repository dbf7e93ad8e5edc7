// The copilot served over TLS (TLS_CERT_FILE / TLS_KEY_FILE): the API answers over HTTPS, and a charge
// point connects over wss with HTTP Basic (OCPP security profile 2), with a self-signed certificate made
// here that the client trusts.
import path from 'node:path';
import https from 'node:https';
import { expect } from 'chai';
import { RPCClient } from 'ocpp-rpc';
import { startTestApp, aRegistration, type TestApp } from '../helpers/app.js';
import { selfSignedCert, type SelfSigned } from '../helpers/selfSigned.js';
import { loadConfig } from '../../config/index.js';

interface Client {
  connect(): Promise<unknown>;
  close(o?: { force?: boolean }): Promise<unknown>;
  call(method: string, params?: unknown): Promise<Record<string, unknown>>;
}

function getJson(url: string, ca: Buffer): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
      })
      .on('error', reject);
  });
}

describe('OCPP over TLS (security profile 2)', function () {
  this.timeout(60_000);
  let tls: SelfSigned;
  let dir: string;
  let cert: Buffer;
  let t: TestApp;
  const clients: Client[] = [];

  before(async () => {
    tls = selfSignedCert('ocpp-tls-');
    dir = tls.dir;
    cert = tls.cert;
    t = await startTestApp({ env: { TLS_CERT_FILE: tls.certFile, TLS_KEY_FILE: tls.keyFile } });
    await t.app.services.stations.register(aRegistration('tls-1'));
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close({ force: true }).catch(() => undefined)));
    await t.close();
    tls.remove();
  });

  const client = (identity: string, password: string, endpoint: string): Client => {
    const c = new RPCClient({
      endpoint,
      identity,
      password,
      protocols: ['ocpp1.6'],
      reconnect: false,
      wsOpts: { ca: cert },
    } as never) as unknown as Client;
    clients.push(c);
    return c;
  };

  it('serves the API over HTTPS and takes a charge point over wss with its password', async () => {
    expect(t.directUrl).to.match(/^https:\/\//);
    const health = await getJson(`${t.directUrl}/api/health`, cert);
    expect(health.status).to.equal(200);
    const { password } = await t.app.services.chargePoints.register('test', 'tls-1', { identity: 'TLS-CP-1', connectors: 1 });
    const wss = `${t.directUrl.replace(/^https/, 'wss')}/ocpp`;

    let refused = false;
    await client('TLS-CP-1', 'wrong-password-wrong-password', wss)
      .connect()
      .catch(() => (refused = true));
    expect(refused).to.equal(true);

    const cp = client('TLS-CP-1', password, wss);
    await cp.connect();
    expect(await cp.call('BootNotification', { chargePointVendor: 'Acme', chargePointModel: 'Volt-50' })).to.include({
      status: 'Accepted',
    });
    expect(t.app.services.ocpp.isConnected('TLS-CP-1')).to.equal(true);

    // Plain ws to the TLS port is not a connection.
    let plain = false;
    await client('TLS-CP-1', password, `${t.directUrl.replace(/^https/, 'ws')}/ocpp`)
      .connect()
      .catch(() => (plain = true));
    expect(plain).to.equal(true);
  });

  it('does not start on a certificate file it cannot read, naming the variable', async () => {
    let err: unknown;
    await startTestApp({ env: { TLS_CERT_FILE: path.join(dir, 'missing.pem'), TLS_KEY_FILE: path.join(dir, 'k.pem') } }).catch(
      (e: unknown) => (err = e),
    );
    expect(String(err)).to.match(/TLS_CERT_FILE: cannot read .*missing\.pem \(ENOENT\)/);
  });

  it('refuses one TLS file without the other, naming the missing one', () => {
    expect(() => loadConfig({ TLS_CERT_FILE: '/x/c.pem' })).to.throw(/TLS_KEY_FILE: set both TLS files or neither/);
    expect(() => loadConfig({ TLS_KEY_FILE: '/x/k.pem' })).to.throw(/TLS_CERT_FILE: set both TLS files or neither/);
  });
});
