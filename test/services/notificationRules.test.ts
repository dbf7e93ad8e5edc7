// The notification rules alone: which events notify, who is told, on which channel, and how noise is held back.
import { expect } from 'chai';
import type { DecisionRecord, Proposal } from '../../eventBus/types.js';
import {
  DEFAULT_PREFS,
  alertFromAnchorBacklog,
  alertFromAnchorBatch,
  alertFromDecision,
  alertsFromHealth,
  inQuietHours,
  resolveChannels,
  resolveRecipients,
  type Alert,
  type NotificationPrefs,
  type Recipient,
} from '../../services/notify/rules.js';
import { Debouncer, RateCap, summaryAlert } from '../../services/notify/noise.js';

const T0 = Date.parse('2026-03-02T08:00:00.000Z');
const MIN = 60_000;

function proposal(over: Partial<Proposal>): Proposal {
  return { agent: 'mechanic', action: 'escalate_ticket', params: {}, urgency: 0.9, confidence: 0.9, evidence: {}, claims: {}, ...over };
}

function record(over: Partial<DecisionRecord>): DecisionRecord {
  return {
    id: 'dec-1',
    stationId: 'st-a',
    signalId: 's1',
    signalType: 'charger_status',
    ts: '2026-03-02T08:00:00.000Z',
    actions: [],
    rejected: [],
    conflicts: [],
    trail: [],
    risk: { level: 'low', score: 0.1, reasons: [] },
    status: 'executed',
    stateVersion: 1,
    policyVersion: 'pv-test',
    changes: { started: [], adjusted: [], stopped: [] },
    nearby: [],
    hash: 'h',
    explanation: { text: '', source: 'template', promptVersion: 'v1', hash: 'e' },
    anchor: { status: 'pending' },
    createdAt: '2026-03-02T08:00:00.000Z',
    ...over,
  };
}

const stationAlert = (stationId = 'st-a'): Alert => ({
  kind: 'k',
  severity: 'high',
  title: 't',
  body: 'b',
  audience: 'station',
  conditionKey: 'c',
  subject: 's',
  stationId,
});

describe('notification rules', () => {
  describe('which events notify', () => {
    it('an action the equipment did not carry out is high, names the action, and is its own condition', () => {
      const a = alertFromDecision(
        record({
          signalType: 'actuation_outcome',
          changes: {
            started: [],
            adjusted: [],
            stopped: [
              {
                id: 'derate_charger:C2',
                agent: 'mechanic',
                action: 'derate_charger',
                target: 'C2',
                reason: 'failed',
                note: 'the command was not answered in time',
              },
            ],
          },
        }),
      );
      expect(a).to.include({ kind: 'actuation_failed', severity: 'high', conditionKey: 'actuation:derate_charger:C2', stationId: 'st-a' });
      expect(a!.body).to.contain('not answered in time');
      // An action that simply ended notifies nobody.
      const ended = record({
        changes: {
          started: [],
          adjusted: [],
          stopped: [{ id: 'derate_charger:C2', agent: 'mechanic', action: 'derate_charger', target: 'C2', reason: 'released', note: '' }],
        },
      });
      expect(alertFromDecision(ended)).to.equal(null);
    });

    it('a pending approval is high; a level-3 escalation is critical and names the approval too', () => {
      expect(
        alertFromDecision(record({ status: 'pending_approval', actions: [proposal({ action: 'curtail_charging', agent: 'energy' })] })),
      ).to.include({ kind: 'pending_approval', severity: 'high', stationId: 'st-a', decisionId: 'dec-1' });
      const both = alertFromDecision(
        record({
          status: 'pending_approval',
          actions: [
            proposal({ action: 'take_charger_offline', params: { chargerId: 'C1' } }),
            proposal({ params: { chargerId: 'C1', level: 3 } }),
          ],
        }),
      );
      expect(both).to.include({ kind: 'fault_escalation', severity: 'critical', conditionKey: 'charger:C1' });
      expect(both!.title).to.match(/approval needed/);
      // Evidence level 3 is enough.
      expect(
        alertFromDecision(record({ actions: [proposal({ params: { chargerId: 'C2' }, evidence: { level: 3 } })] }))?.severity,
      ).to.equal('critical');
      expect(alertFromDecision(record({ actions: [proposal({ params: { chargerId: 'C2', level: 2 } })] }))).to.equal(null);
    });

    it('a stockout within 30 min is medium, within 10 high; later ones and executed routine decisions are silent', () => {
      const stock = (m: number) =>
        alertFromDecision(
          record({ actions: [proposal({ agent: 'logistics', action: 'prioritize_charging', evidence: { minutesToStockout: m } })] }),
        );
      expect(stock(25)?.severity).to.equal('medium');
      expect(stock(8)?.severity).to.equal('high');
      expect(stock(45)).to.equal(null);
    });

    it('a grid limit breach is high only when over the limit', () => {
      const curtail = (overLimit: boolean) =>
        alertFromDecision(
          record({
            actions: [
              proposal({
                agent: 'energy',
                action: 'curtail_charging',
                params: { shedKW: 20 },
                evidence: { overLimit, drawKW: 120, limitKW: 100 },
              }),
            ],
          }),
        );
      expect(curtail(true)).to.include({ kind: 'grid_limit_breach', severity: 'high' });
      expect(curtail(false)).to.equal(null);
    });

    it('a failed anchoring batch is high for auditors; a db or chain that goes down is critical, once', () => {
      expect(alertFromAnchorBatch({ batchId: 3, status: 'failed', root: '0xabc', leafCount: 5, reason: 'reverted' })).to.include({
        severity: 'high',
        audience: 'anchoring',
      });
      expect(alertFromAnchorBatch({ batchId: 3, status: 'anchored', root: '0xabc', leafCount: 5 })).to.equal(null);
      const down = alertsFromHealth(null, { db: { state: 'down' }, chain: { state: 'up' }, cache: { state: 'down' } });
      expect(down.map((a) => [a.kind, a.severity])).to.deep.equal([['db_down', 'critical']]);
      expect(
        alertsFromHealth({ db: { state: 'down' } }, { db: { state: 'down' }, chain: { state: 'down' } }).map((a) => a.kind),
      ).to.deep.equal(['chain_down']);
    });
  });

  describe('recipients', () => {
    const u = (id: string, role: Recipient['role'], stationScope: Recipient['stationScope'] = 'all', disabled = false): Recipient => ({
      id,
      role,
      stationScope,
      disabled,
    });
    const users = [
      u('admin', 'admin'),
      u('op-a', 'operator', ['st-a']),
      u('op-b', 'operator', ['st-b']),
      u('op-all', 'operator'),
      u('aud', 'auditor'),
      u('gone', 'operator', 'all', true),
    ];
    const defaults = () => DEFAULT_PREFS;

    it('station events reach enabled operators and admins in scope, not auditors', () => {
      expect(resolveRecipients(stationAlert(), users, defaults).map((x) => x.id)).to.deep.equal(['admin', 'op-a', 'op-all']);
    });

    it('anchoring events reach auditors and admins; system events everyone enabled', () => {
      expect(resolveRecipients({ audience: 'anchoring' }, users, defaults).map((x) => x.id)).to.deep.equal(['admin', 'aud']);
      expect(resolveRecipients({ audience: 'system' }, users, defaults).map((x) => x.id)).to.deep.equal([
        'admin',
        'op-a',
        'op-b',
        'op-all',
        'aud',
      ]);
    });

    it('off-call users are skipped unless nobody eligible is on call', () => {
      const off =
        (ids: string[]) =>
        (id: string): NotificationPrefs => ({ ...DEFAULT_PREFS, onCall: !ids.includes(id) });
      expect(resolveRecipients(stationAlert(), users, off(['op-all'])).map((x) => x.id)).to.deep.equal(['admin', 'op-a']);
      expect(resolveRecipients(stationAlert(), users, off(['admin', 'op-a', 'op-all'])).map((x) => x.id)).to.deep.equal([
        'admin',
        'op-a',
        'op-all',
      ]);
    });
  });

  describe('channels', () => {
    // 23:30 UTC; quiet 22:00-07:00 at UTC+1 means 00:30 local: inside.
    const night = Date.parse('2026-03-02T23:30:00.000Z');
    const quiet: NotificationPrefs = {
      onCall: true,
      pushMinSeverity: 'medium',
      quietHours: { start: '22:00', end: '07:00', tzOffsetMin: 60 },
    };

    it('in-app always; push only when subscribed and at or above the threshold', () => {
      expect(resolveChannels('medium', DEFAULT_PREFS, true, T0)).to.deep.equal(['in_app']);
      expect(resolveChannels('high', DEFAULT_PREFS, true, T0)).to.deep.equal(['in_app', 'push']);
      expect(resolveChannels('critical', DEFAULT_PREFS, false, T0)).to.deep.equal(['in_app']);
    });

    it('quiet hours hold push back, except for critical', () => {
      expect(inQuietHours(quiet.quietHours, night)).to.equal(true);
      expect(inQuietHours(quiet.quietHours, Date.parse('2026-03-02T12:00:00.000Z'))).to.equal(false);
      expect(resolveChannels('high', quiet, true, night)).to.deep.equal(['in_app']);
      expect(resolveChannels('critical', quiet, true, night)).to.deep.equal(['in_app', 'push']);
      expect(resolveChannels('high', quiet, true, Date.parse('2026-03-02T12:00:00.000Z'))).to.deep.equal(['in_app', 'push']);
      // A same-day window, and an empty one.
      expect(inQuietHours({ start: '12:00', end: '13:00', tzOffsetMin: 0 }, Date.parse('2026-03-02T12:59:00.000Z'))).to.equal(true);
      expect(inQuietHours({ start: '12:00', end: '12:00', tzOffsetMin: 0 }, Date.parse('2026-03-02T12:00:00.000Z'))).to.equal(false);
    });
  });

  describe('noise control', () => {
    it('a charger flapping 10 times in the window notifies once, then one summary with the count', () => {
      const d = new Debouncer(10 * MIN);
      const fault = alertFromDecision(
        record({
          status: 'pending_approval',
          actions: [
            proposal({ action: 'take_charger_offline', params: { chargerId: 'C1' } }),
            proposal({ params: { chargerId: 'C1', level: 3 } }),
          ],
        }),
      )!;
      // The mechanic re-escalates a recovered charger while its faults are recent: collapsed, not counted.
      const recovered = alertFromDecision(record({ actions: [proposal({ params: { chargerId: 'C1', level: 3 } })] }), () => 'available')!;
      expect(recovered.counted).to.equal(false);
      let notified = 0;
      const summaries = [];
      for (let i = 0; i < 10; i++) {
        const r = d.offer(fault, T0 + i * 50_000);
        const back = d.offer(recovered, T0 + i * 50_000 + 5_000);
        if (r.notify || back.notify) notified++;
        summaries.push(...r.closed, ...back.closed);
      }
      expect(notified).to.equal(1);
      expect(summaries).to.deep.equal([]);
      expect(d.flush(T0 + 9 * MIN)).to.deep.equal([]);
      const closed = d.flush(T0 + 10 * MIN);
      expect(closed).to.have.length(1);
      expect(closed[0].count).to.equal(10);
      expect(summaryAlert(closed[0]).title).to.equal('st-a: charger C1 faulted 10 times in 10 min');
      expect(d.flush(T0 + 30 * MIN)).to.deep.equal([]);
      // After the window, the next fault is news again.
      expect(d.offer(fault, T0 + 31 * MIN).notify).to.equal(true);
    });

    it('other stations and other conditions are separate; a lone occurrence has no summary', () => {
      const d = new Debouncer(10 * MIN);
      expect(d.offer(stationAlert('st-a'), T0).notify).to.equal(true);
      expect(d.offer(stationAlert('st-b'), T0).notify).to.equal(true);
      expect(d.offer({ ...stationAlert('st-a'), conditionKey: 'other' }, T0).notify).to.equal(true);
      expect(d.offer(stationAlert('st-a'), T0 + MIN).notify).to.equal(false);
      const closed = d.offer(stationAlert('st-b'), T0 + 11 * MIN).closed;
      expect(closed.map((s) => [s.stationId, s.conditionKey, s.count])).to.deep.equal([['st-a', 'c', 2]]);
    });

    it('caps each user at 20 per window and counts the rest', () => {
      const cap = new RateCap(20, 10 * MIN);
      let sent = 0;
      for (let i = 0; i < 25; i++) if (cap.allow('u1', T0 + i * 1000)) sent++;
      expect(sent).to.equal(20);
      expect(cap.suppressed('u1')).to.equal(5);
      expect(cap.allow('u2', T0)).to.equal(true);
      // The window slides: the first sends age out.
      expect(cap.allow('u1', T0 + 10 * MIN + 500)).to.equal(true);
    });
  });

  it('alerts once when the anchoring backlog crosses its threshold, and again only after it fell back', () => {
    expect(alertFromAnchorBacklog(0, 500, 1000)).to.equal(null);
    const a = alertFromAnchorBacklog(500, 1500, 1000);
    expect(a).to.include({ kind: 'anchoring_backlog', severity: 'high', audience: 'anchoring' });
    expect(a!.body).to.contain('1500');
    expect(alertFromAnchorBacklog(1500, 2500, 1000)).to.equal(null);
    expect(alertFromAnchorBacklog(900, 1200, 1000)).to.not.equal(null);
  });
});
