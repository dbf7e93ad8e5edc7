// Admin workflows are all or nothing: when the last step (the anchored admin record) fails, the
// stores the earlier steps touched are as they were. Real stores; only the admin trail is made to fail.
import { expect } from 'chai';
import { startTestApp, aRegistration, type TestApp } from '../helpers/app.js';
import { AdminWorkflows } from '../../services/admin/index.js';

describe('admin workflows: all or nothing', function () {
  this.timeout(30_000);
  let t: TestApp;
  let failing: AdminWorkflows;
  const undoErrors: unknown[] = [];
  before(async () => {
    t = await startTestApp({ env: { CHAIN_RPC_URL: 'off' } });
    const s = t.app.services;
    failing = new AdminWorkflows({
      ...s,
      agentSettings: t.app.models.AgentSetting,
      adminAudit: { record: () => Promise.reject(new Error('admin trail unavailable')) },
      onError: (e) => undoErrors.push(e),
    });
  });
  after(async () => {
    expect(undoErrors).to.deep.equal([]);
    await t.close();
  });

  it('a station whose admin record fails is not registered, holds no key, and can be registered again', async () => {
    const reg = aRegistration('aw-station');
    await failing.registerStation('admin@test', reg).then(
      () => expect.fail('should have failed'),
      (err: Error) => expect(err.message).to.equal('admin trail unavailable'),
    );
    expect(t.app.services.stations.has('aw-station')).to.equal(false);
    expect(await t.app.models.StationState.countDocuments({ stationId: 'aw-station' })).to.equal(0);
    expect(await t.app.models.DeviceKey.countDocuments({ stationId: 'aw-station' })).to.equal(0);
    const ok = await t.app.services.admin.registerStation('admin@test', reg);
    expect(ok.state.id).to.equal('aw-station');
    expect(await t.app.services.deviceKeys.verify(ok.deviceKey)).to.deep.include({ stationId: 'aw-station' });
    expect((await t.app.services.adminAudit.list(50)).some((a) => a.action === 'station.register' && a.target === 'aw-station')).to.equal(
      true,
    );
  });

  it('a rotation whose record fails leaves the old key working and the new one unknown', async () => {
    const { deviceKey: old } = await t.app.services.admin.registerStation('admin@test', aRegistration('aw-rotate'));
    const before = await t.app.models.DeviceKey.countDocuments({ stationId: 'aw-rotate' });
    await failing.issueDeviceKey('admin@test', 'aw-rotate', true).then(
      () => expect.fail('should have failed'),
      () => undefined,
    );
    expect(await t.app.services.deviceKeys.verify(old)).to.deep.include({ stationId: 'aw-rotate' });
    expect(await t.app.models.DeviceKey.countDocuments({ stationId: 'aw-rotate' })).to.equal(before);
  });

  it('an agent change whose record fails is neither in force nor saved', async () => {
    const agents = t.app.services.agents;
    const beforeLimit = agents.thresholds.mechanic.tempLimitC;
    const savedBefore = await t.app.models.AgentSetting.findOne({ name: 'mechanic' }).lean();
    await failing.updateAgent('admin@test', 'mechanic', { thresholds: { tempLimitC: beforeLimit + 7 }, enabled: false }).then(
      () => expect.fail('should have failed'),
      () => undefined,
    );
    expect(agents.thresholds.mechanic.tempLimitC).to.equal(beforeLimit);
    expect(agents.disabled()).to.not.include('mechanic');
    const savedAfter = await t.app.models.AgentSetting.findOne({ name: 'mechanic' }).lean();
    expect(savedAfter?.thresholds ?? null).to.deep.equal(savedBefore?.thresholds ?? null);
    expect(savedAfter?.enabled ?? null).to.equal(savedBefore?.enabled ?? null);
  });

  it('a user whose record fails does not exist and cannot sign in', async () => {
    await failing
      .createUser('admin@test', { email: 'aw-user@example.com', password: 'a-long-enough-password', role: 'operator', stationScope: 'all' })
      .then(
        () => expect.fail('should have failed'),
        () => undefined,
      );
    expect(t.app.services.users.list().some((u) => u.email === 'aw-user@example.com')).to.equal(false);
    expect(await t.app.models.User.countDocuments({ email: 'aw-user@example.com' })).to.equal(0);
    expect(await t.app.services.users.authenticate('aw-user@example.com', 'a-long-enough-password')).to.equal(null);
  });
});
