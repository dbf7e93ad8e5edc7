import { createHash, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import pino from 'pino';
import type { Model } from 'mongoose';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createOtpCodeModel, type OtpCodeDoc } from '../../models/otpCode.js';
import { OTP_DEFAULTS, OtpService, inAppOtpDelivery, otpSealer, type OtpDeliver } from '../../services/access/oneTimeCodes.js';

describe('one-time sign-in codes', () => {
  let t: TestApp;
  let otpCodes: Model<OtpCodeDoc>;
  let clock: number;
  let logLines: string[];
  const errors: unknown[] = [];
  const ids: Record<string, string> = {};
  // One secret for the run: the codes it hashes and the notifications it seals.
  const secret = randomBytes(32);
  const sealer = otpSealer(secret);

  function service(over: { requestLimit?: { max: number; windowMs: number }; deliver?: OtpDeliver } = {}) {
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _enc, cb) => (logLines.push(chunk.toString()), cb()) }));
    const now = () => new Date(clock);
    return new OtpService({
      otpCodes,
      users: t.app.models.User,
      secret,
      deliver:
        over.deliver ??
        inAppOtpDelivery({ notifications: t.app.models.Notification, logger, now, ttlMs: OTP_DEFAULTS.ttlMs, seal: sealer.seal }),
      now,
      onError: (e) => errors.push(e),
      ...OTP_DEFAULTS,
      ...(over.requestLimit ? { requestLimit: over.requestLimit } : {}),
    });
  }

  /** The code as the user reads it: their newest in-app notification, opened (stored, it is sealed). */
  async function codeFor(email: string): Promise<string> {
    const n = await t.app.models.Notification.findOne({ userId: ids[email], kind: 'otp' }).sort({ createdAt: -1 }).lean();
    expect(n?.body ?? '').to.not.match(/\b\d{6}\b/);
    const m = /\b(\d{6})\b/.exec(sealer.open(n?.sealed?.data ?? '') ?? '');
    expect(m, `a code delivered to ${email}`).to.not.equal(null);
    return m![1];
  }

  async function rejection(p: Promise<unknown>): Promise<{ status?: number; code?: string; message?: string }> {
    try {
      await p;
    } catch (e) {
      return e as { status: number; code: string; message: string };
    }
    throw new Error('expected a rejection');
  }

  before(async () => {
    t = await startTestApp();
    otpCodes = createOtpCodeModel(t.conn);
    await otpCodes.init();
    for (const [email, disabled] of [
      ['ana@example.com', false],
      ['ben@example.com', false],
      ['cy@example.com', false],
      ['dee@example.com', false],
      ['off@example.com', true],
    ] as const) {
      ids[email] = `u-${email.split('@')[0]}`;
      await t.app.models.User.create({ userId: ids[email], email, passwordHash: 'unused-here', role: 'operator', disabled });
    }
  });
  clock = Date.parse('2026-11-24T10:00:00Z');
  beforeEach(() => {
    // Forward an hour per test: each test's codes are the newest and outside the last one's request window.
    clock += 3_600_000;
    logLines = [];
  });
  after(async () => {
    expect(errors).to.deep.equal([]);
    await t.close();
  });

  it('signs in once with a delivered code; the second use fails', async () => {
    const otp = service();
    await otp.request('ana@example.com');
    await otp.idle();
    const code = await codeFor('ana@example.com');
    expect(await otp.verify('ana@example.com', code)).to.equal(ids['ana@example.com']);
    expect(await rejection(otp.verify('ana@example.com', code))).to.include({ status: 401, code: 'INVALID_CODE' });
  });

  it('normalises the email on request and on verify', async () => {
    const otp = service();
    await otp.request('  Ana@Example.COM ');
    await otp.idle();
    expect(await otp.verify('ANA@example.com', await codeFor('ana@example.com'))).to.equal(ids['ana@example.com']);
  });

  it('refuses a code after its 5 minutes', async () => {
    const otp = service();
    await otp.request('ben@example.com');
    await otp.idle();
    const code = await codeFor('ben@example.com');
    clock += OTP_DEFAULTS.ttlMs;
    expect(await rejection(otp.verify('ben@example.com', code))).to.include({ status: 401, code: 'INVALID_CODE' });
    clock -= 1;
    expect(await otp.verify('ben@example.com', code), 'one millisecond earlier it works').to.equal(ids['ben@example.com']);
  });

  it('kills a code after 5 attempts: the 6th fails even when right', async () => {
    const otp = service();
    await otp.request('cy@example.com');
    await otp.idle();
    const code = await codeFor('cy@example.com');
    const wrong = code === '000000' ? '000001' : '000000';
    for (let i = 0; i < 5; i++) expect(await rejection(otp.verify('cy@example.com', wrong))).to.include({ code: 'INVALID_CODE' });
    expect(await rejection(otp.verify('cy@example.com', code))).to.include({ status: 401, code: 'INVALID_CODE' });
  });

  it('counts the right answer as an attempt: 4 wrong then right still signs in', async () => {
    const otp = service();
    await otp.request('cy@example.com');
    await otp.idle();
    const code = await codeFor('cy@example.com');
    const wrong = code === '999999' ? '999998' : '999999';
    for (let i = 0; i < 4; i++) await rejection(otp.verify('cy@example.com', wrong));
    expect(await otp.verify('cy@example.com', code)).to.equal(ids['cy@example.com']);
  });

  it('never counts more than 5 attempts, even for concurrent guesses', async () => {
    const otp = service();
    await otp.request('dee@example.com');
    await otp.idle();
    const code = await codeFor('dee@example.com');
    const guesses = Array.from({ length: 20 }, (_, i) => String((Number(code) + 1 + i) % 1_000_000).padStart(6, '0'));
    await Promise.all(guesses.map((g) => rejection(otp.verify('dee@example.com', g))));
    const [doc] = await otpCodes.find({ email: 'dee@example.com' }).sort({ createdAt: -1 }).limit(1).lean();
    expect(doc.attempts).to.equal(5);
    expect(await rejection(otp.verify('dee@example.com', code))).to.include({ code: 'INVALID_CODE' });
  });

  it("asking again while a code is live neither cancels it nor sends another: anyone can ask, only the owner's code signs in", async () => {
    const otp = service();
    const n = () => t.app.models.Notification.countDocuments({ userId: ids['ana@example.com'], kind: 'otp' });
    await otp.request('ana@example.com');
    await otp.idle();
    const sent = await n();
    const first = await codeFor('ana@example.com');
    for (let i = 0; i < 3; i++) {
      clock += 1000;
      await otp.request('ana@example.com');
    }
    await otp.idle();
    expect(await n()).to.equal(sent);
    expect(await otp.verify('ana@example.com', first)).to.equal(ids['ana@example.com']);
    // Used (or expired), the next request sends a new code.
    await otp.request('ana@example.com');
    await otp.idle();
    expect(await n()).to.equal(sent + 1);
  });

  it('answers an unknown or disabled account like a known one and delivers nothing', async () => {
    const delivered: string[] = [];
    const otp = service({ deliver: async (email) => void delivered.push(email) });
    const before = await t.app.models.Notification.countDocuments({});
    const answers = [];
    for (const email of ['nobody@example.com', 'off@example.com', 'ana@example.com']) answers.push(await otp.request(email));
    await otp.idle();
    expect(answers).to.deep.equal([undefined, undefined, undefined]);
    expect(delivered).to.deep.equal(['ana@example.com']);
    expect(await otpCodes.countDocuments({ email: { $in: ['nobody@example.com', 'off@example.com'] } })).to.equal(0);
    expect(await t.app.models.Notification.countDocuments({})).to.equal(before);
  });

  it('gives one answer for wrong, expired, used, malformed and unknown', async () => {
    const otp = service();
    await otp.request('ben@example.com');
    await otp.idle();
    const code = await codeFor('ben@example.com');
    const wrong = code === '123456' ? '654321' : '123456';
    const errs = [
      await rejection(otp.verify('nobody@example.com', code)),
      await rejection(otp.verify('ben@example.com', wrong)),
      await rejection(otp.verify('ben@example.com', '12ab56')),
    ];
    await otp.verify('ben@example.com', code);
    errs.push(await rejection(otp.verify('ben@example.com', code)));
    await otp.request('ben@example.com');
    await otp.idle();
    const late = await codeFor('ben@example.com');
    clock += OTP_DEFAULTS.ttlMs + 1;
    errs.push(await rejection(otp.verify('ben@example.com', late)));
    const shapes = errs.map((e) => ({ status: e.status, code: e.code, message: e.message }));
    for (const s of shapes) expect(s).to.deep.equal(shapes[0]);
    expect(shapes[0]).to.include({ status: 401, code: 'INVALID_CODE' });
  });

  it('stores the code only as a keyed hash, and logs the delivery without it', async () => {
    const otp = service();
    await otp.request('dee@example.com');
    await otp.idle();
    const code = await codeFor('dee@example.com');
    const raw = await t.conn.db!.collection('otpcodes').find({ email: 'dee@example.com' }).sort({ createdAt: -1 }).limit(1).toArray();
    const doc = raw[0];
    for (const v of Object.values(doc)) expect(String(v)).to.not.equal(code);
    expect(doc.codeHash).to.match(/^[0-9a-f]{64}$/);
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    expect(doc.codeHash).to.not.be.oneOf([sha(code), sha(`dee@example.com\n${code}`)]);
    expect(new Date(doc.expiresAt).getTime() - new Date(doc.createdAt).getTime()).to.equal(5 * 60_000);
    expect(logLines.join('')).to.include('otp delivered').and.not.include(code);
    const logged = JSON.parse(logLines.find((l) => l.includes('otp delivered'))!) as { level: number };
    expect(logged.level).to.equal(30);
  });

  it('sends nothing beyond the request limit, answering as usual', async () => {
    const otp = service({ requestLimit: { max: 2, windowMs: 60 * 60_000 } });
    const n = () => t.app.models.Notification.countDocuments({ userId: ids['ana@example.com'] });
    const before = await n();
    // Each request after the previous code expired (5 min), so the limit is what stops the third.
    for (let i = 0; i < 4; i++) {
      await otp.request('ana@example.com');
      await otp.idle();
      clock += 6 * 60_000;
    }
    expect((await n()) - before).to.equal(2);
    clock += 60 * 60_000;
    await otp.request('ana@example.com');
    await otp.idle();
    expect((await n()) - before).to.equal(3);
  });

  it('refuses a malformed email with a 400 (format only, nothing about accounts)', async () => {
    const otp = service();
    for (const bad of [42, 'not-an-email', 'ana@exa\u200bmple.com']) {
      expect(await rejection(otp.request(bad)), String(bad)).to.include({ status: 400, code: 'VALIDATION_FAILED' });
    }
    await otp.idle();
  });

  it('refuses a short secret', () => {
    expect(
      () =>
        new OtpService({
          otpCodes,
          users: t.app.models.User,
          secret: Buffer.alloc(16),
          deliver: async () => undefined,
          now: () => new Date(),
          onError: () => undefined,
          ...OTP_DEFAULTS,
        }),
    ).to.throw(/32 bytes/);
  });
});
