// `npm run simulate -- --ocpp` against the real app: the simulated chargers register and connect as OCPP
// charge points (both versions), their status, temperature and the station's power reach the station
// state over OCPP, and the copilot's commands come back over OCPP and are put in force in the running
// simulation, with the server's outcomes recorded as the OCPP actuator's.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import type { Signal, StationState } from '../../eventBus/types.js';
import { parseCli, simulate, UsageError, type CliOptions } from '../../scripts/simulate.js';
import { errorCode16, limitKW, type AppliedChange } from '../../scripts/sim/ocpp.js';
import type { Simulation } from '../../simulator/index.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

async function until<T>(what: string, get: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('simulate --ocpp', function () {
  this.timeout(180_000);
  let t: TestApp;
  let dir: string;

  before(async () => {
    t = await startTestApp({ env: { OCPP_MESSAGES_PER_S: '500' } });
    dir = mkdtempSync(path.join(tmpdir(), 'sim-ocpp-'));
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('feeds a heatwave through charge points of both versions and carries out the copilot’s commands in the simulation', async () => {
    const opts = parseCli(
      [
        ...['--url', t.directUrl, '--token', t.adminToken, '--stations', '2', '--scenario', 'heatwave', '--duration', '20'],
        ...['--rate', '150', '--seed', '1', '--quiet', '--truth', path.join(dir, 'truth.json'), '--keys', path.join(dir, 'keys.json')],
        ...['--ocpp', '--ocpp-version', 'mixed', '--ocpp-rate', '200'],
      ],
      {},
    ) as CliOptions;
    let sim: Simulation | null = null;
    const generated: Signal[] = [];
    const applied: AppliedChange[] = [];
    const { summary, ocpp } = await simulate(opts, {
      onSimulation: (s) => {
        sim = s;
        // Records what the run generated, to compare with what reached the server.
        const signals = s.signals.bind(s);
        s.signals = function* () {
          for (const x of signals()) {
            generated.push(x);
            yield x;
          }
        };
      },
      onOcppApplied: (c) => applied.push(c),
    });
    expect(sim).to.not.equal(null);
    const world = sim as unknown as Simulation;
    const stationIds = world.stations.map((s) => s.id);
    const chargers = world.stations.flatMap((s) => Array.from({ length: s.capacity.chargers }, (_, i) => `${s.id}-C${i + 1}`));

    // Registered and connected: one charge point per charger, odd ones 1.6 and even ones 2.0.1.
    expect(summary.rejected, JSON.stringify(summary.sampleRejections)).to.equal(0);
    expect(ocpp!.chargePoints['ocpp1.6'] + ocpp!.chargePoints['ocpp2.0.1']).to.equal(chargers.length);
    expect(ocpp!.chargePoints['ocpp2.0.1']).to.be.greaterThan(0);
    expect(ocpp!.registered).to.equal(chargers.length);
    expect(ocpp!.callErrors).to.equal(0);
    expect(ocpp!.answered).to.equal(ocpp!.sent);
    const carried = generated.filter((s) => ['charger_status', 'charger_temp', 'power_draw'].includes(s.type));
    expect(ocpp!.sent).to.equal(carried.length);
    const saved = JSON.parse(readFileSync(opts.ocpp!.passwordsPath, 'utf8')) as Record<string, string>;
    expect(Object.keys(saved).sort()).to.deep.equal([...chargers].sort());
    const listed = (await request(t.url).get(`/api/stations/${stationIds[0]}/charge-points`).expect(200)).body.items as {
      identity: string;
      protocol: string;
      vendor: string;
    }[];
    expect(listed.find((c) => c.identity === `${stationIds[0]}-C1`)).to.include({ protocol: 'ocpp1.6', vendor: 'ev-copilot' });
    expect(listed.find((c) => c.identity === `${stationIds[0]}-C2`)).to.include({ protocol: 'ocpp2.0.1', vendor: 'ev-copilot' });

    // What OCPP carried is what the simulation generated: the last status and temperature of every
    // charger and each station's last power draw, stored as signals made by the central system.
    for (const stationId of stationIds) {
      const last = (type: Signal['type'], chargerId?: string) =>
        generated
          .filter(
            (s) =>
              s.stationId === stationId && s.type === type && (!chargerId || (s.payload as { chargerId?: string }).chargerId === chargerId),
          )
          .at(-1);
      await until(`${stationId}'s state`, async () => {
        const state = (await request(t.url).get(`/api/stations/${stationId}`).expect(200)).body as StationState;
        const chargerIds = chargers.filter((c) => c.startsWith(`${stationId}-`));
        const ok =
          state.power.drawKW === (last('power_draw')!.payload as { kW: number }).kW &&
          chargerIds.every((c) => {
            const status = (last('charger_status', c)!.payload as { status: string }).status;
            const temp = (last('charger_temp', c)!.payload as { tempC: number }).tempC;
            return state.chargers[c]?.status === status && state.chargers[c]?.tempC === temp;
          });
        return ok;
      });
      for (const type of ['charger_status', 'charger_temp', 'power_draw']) {
        const logged = await t.app.models.SignalLog.find({ stationId, type }, { signalId: 1 }).lean();
        expect(logged.length, `${stationId} ${type}`).to.be.greaterThan(0);
        expect(
          logged.every((l) => l.signalId.startsWith('ocpp-')),
          `${stationId} ${type} came over OCPP`,
        ).to.equal(true);
      }
    }

    // The loop closed over OCPP: kW caps (curtailment, derate) came as charging profiles while the run
    // went on and the simulation holds them; the server recorded a derate's answer as the OCPP actuator's.
    const capped = applied.filter((c) => c.method === 'SetChargingProfile' && c.controls.capsKW.size > 0);
    expect(capped, JSON.stringify(ocpp!.commands)).to.have.length.greaterThan(0);
    const first = capped[0]!;
    expect(Date.parse(first.simTs!)).to.be.below(Date.parse(generated.at(-1)!.ts));
    expect(ocpp!.commands.SetChargingProfile).to.be.greaterThan(0);
    expect(ocpp!.applied).to.be.greaterThan(0);
    const inForce = world.controlsOf(first.stationId)!;
    expect(inForce.capsKW.size).to.be.greaterThan(0);
    const lastChange = applied.filter((c) => c.stationId === first.stationId && c.method !== 'Reset').at(-1)!;
    expect([...inForce.capsKW]).to.deep.equal([...lastChange.controls.capsKW]);
    expect([...inForce.isolated]).to.deep.equal([...lastChange.controls.isolated]);
    const outcome = await until('an OCPP outcome', () =>
      t.app.models.ActionOutcome.findOne({ actuator: 'ocpp', action: 'derate_charger', kind: 'start', outcome: 'accepted' }).lean(),
    );
    // The derate's cap, or a lower one a curtailment put on the same charger.
    expect(world.controlsOf(outcome.stationId)!.capsKW.get(outcome.target)).to.be.at.most(Number(outcome.params.maxKW));

    // A second run reuses the saved passwords; one that no longer works is replaced by a new registration.
    writeFileSync(opts.ocpp!.passwordsPath, JSON.stringify({ ...saved, [chargers[0]!]: 'not-the-password-any-more' }));
    const again = await simulate({ ...opts, durationMin: 2, rate: 0 });
    expect(again.ocpp!.registered).to.equal(1);
    expect(again.ocpp!.chargePoints['ocpp1.6'] + again.ocpp!.chargePoints['ocpp2.0.1']).to.equal(chargers.length);
    expect(again.ocpp!.callErrors).to.equal(0);
    expect(again.summary.rejected).to.equal(0);
  });

  it('names the bad --ocpp flag, and maps what 1.6 has no name for', () => {
    expect(() => parseCli(['--ocpp', '--ocpp-version', '1.5'], {})).to.throw(UsageError, /^--ocpp-version/);
    expect(() => parseCli(['--ocpp-version', '2.0.1'], {})).to.throw(UsageError, /^--ocpp-version goes with --ocpp/);
    expect(() => parseCli(['--ocpp', '--ocpp-rate', '0'], {})).to.throw(UsageError, /^--ocpp-rate/);
    expect(() => parseCli(['--ocpp', '--dry-run'], {})).to.throw(UsageError, /^--ocpp needs a server/);
    expect((parseCli(['--ocpp', '--keys', '/x/keys.json'], {}) as CliOptions).ocpp).to.deep.equal({
      version: '1.6',
      passwordsPath: path.join('/x', 'charge-points.json'),
      messagesPerS: 10,
    });
    expect(errorCode16('GroundFailure')).to.deep.equal({ errorCode: 'GroundFailure' });
    expect(errorCode16('OverCurrent')).to.deep.equal({ errorCode: 'OverCurrentFailure' });
    expect(errorCode16('HvilOpen')).to.deep.equal({ errorCode: 'OtherError', vendorErrorCode: 'HvilOpen' });
    expect(limitKW('W', 30000)).to.equal(30);
    expect(limitKW('A', 43.5)).to.be.closeTo(30, 0.05);
  });
});
