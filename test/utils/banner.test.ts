import { expect } from 'chai';
import { banner } from '../../utils/banner.js';

describe('the start banner', () => {
  const base = { url: 'http://127.0.0.1:3000', adminEmail: null, embeddedDataDir: './data' };

  it('names the console, the first sign-in and the demo on a first run, and keeps "listening on <url> " for scripts', () => {
    const text = banner({
      ...base,
      createdAdmin: { email: 'admin@localhost.localdomain', password: 'pw-123' },
      demo: { stations: 12, simulating: true, scenario: 'normal' },
    });
    expect(/listening on (http:\/\/\S+) /.exec(text)?.[1]).to.equal('http://127.0.0.1:3000');
    expect(text).to.match(/^ {2}Console +http:\/\/127\.0\.0\.1:3000\/$/m);
    expect(text).to.match(/^ {2}Sign in +admin@localhost\.localdomain with the one-time password pw-123 /m);
    expect(text).to.match(/^ {2}Demo +12 stations, the simulator feeding them .*SIMULATE=0/m);
    expect(text).to.match(/^ {2}Data +\.\/data /m);
  });

  it('on a later start names the admin without a password, and says when the demo is idle', () => {
    const text = banner({
      ...base,
      createdAdmin: null,
      adminEmail: 'ops@example.com',
      demo: { stations: 3, simulating: false, scenario: 'normal' },
    });
    expect(text).to.match(/Sign in +as ops@example\.com \(its one-time password was printed at the first start\)/);
    expect(text).to.not.match(/one-time password [^w]/);
    expect(text).to.match(/Demo +3 stations, idle \(SIMULATE=1/);
  });
});
