// Per-socket bookkeeping: the quota holds an entry only while its subject has a socket open.
import { expect } from 'chai';
import { SocketQuota } from '../../socket/session.js';

describe('socket quota bounds', () => {
  it('refuses past the cap per subject and forgets a subject with its last socket, however many come and go', () => {
    const quota = new SocketQuota(3);
    for (let i = 0; i < 10_000; i++) {
      const subject = `key:k-${i}`;
      for (let j = 0; j < 3; j++) expect(quota.take(subject)).to.equal(true);
      expect(quota.take(subject)).to.equal(false);
      for (let j = 0; j < 3; j++) quota.release(subject);
    }
    expect(quota.subjects).to.equal(0);
    quota.take('user:u1');
    quota.release('user:u1');
    quota.release('user:u1');
    expect(quota.subjects).to.equal(0);
    expect(quota.take('user:u1')).to.equal(true);
  });
});
