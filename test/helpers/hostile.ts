// The app both hostile-input suites attack: a station with its device key, an operator with a
// token and a refresh token, a decision waiting for approval, and counts of everything a
// refused request must not have changed.
import request from 'supertest';
import { startTestApp, aRegistration, type TestApp } from './app.js';
import { criticalFault } from './signals.js';
import { decisionIdOf } from '../../agents/common.js';

export interface StoredCounts {
  signals: number;
  stations: number;
  stationDocs: number;
  users: number;
  approvals: number;
  refreshTokens: number;
  deviceKeys: number;
}

export interface HostileTarget {
  t: TestApp;
  operator: string;
  deviceKey: string;
  decision: string;
  refreshToken: string;
  counts(): Promise<StoredCounts>;
}

export async function startHostileTarget(stationId: string, email: string, env: Record<string, string> = {}): Promise<HostileTarget> {
  const t = await startTestApp({
    env: { CHAIN_RPC_URL: 'off', RATE_LOGIN_PER_ACCOUNT: '100000', RATE_LOGIN_PER_IP: '100000', RATE_CHAT_PER_MIN: '100000', ...env },
  });
  const api = () => request(t.directUrl);
  const reg = await api().post('/api/stations').set('Authorization', `Bearer ${t.adminToken}`).send(aRegistration(stationId)).expect(201);
  const deviceKey = reg.body.deviceKey as string;
  const password = 'a-long-enough-password';
  const { user } = await t.app.services.users.create({ email, password, role: 'operator', stationScope: 'all' });
  const operator = await t.app.services.tokens.access(user.id, 'operator');
  const refreshToken = (await api().post('/api/auth/login').send({ email, password }).expect(200)).body.refreshToken as string;
  const fault = criticalFault(stationId);
  await api().post('/api/data/signals').set('X-Device-Key', deviceKey).send(fault).expect(202);
  const decision = `${decisionIdOf(fault)}`;
  // The decision is published before its insert; approvals need it stored.
  for (let i = 0; i < 100 && !(await t.app.services.decisions.getDoc(decision)); i++) await new Promise((r) => setTimeout(r, 20));
  if (!(await t.app.services.decisions.getDoc(decision))) throw new Error(`decision ${decision} was not made`);
  const counts = async (): Promise<StoredCounts> => {
    const m = t.app.models;
    return {
      signals: await m.SignalLog.countDocuments(),
      stations: t.app.services.stations.size,
      stationDocs: await m.StationState.countDocuments(),
      users: await m.User.countDocuments(),
      approvals: await m.DecisionLog.countDocuments({ 'approval.outcome': { $exists: true } }),
      refreshTokens: await m.RefreshToken.countDocuments(),
      deviceKeys: await m.DeviceKey.countDocuments(),
    };
  };
  return { t, operator, deviceKey, decision, refreshToken, counts };
}
