// The supervisor: settles all proposals for one signal into one decision, in
// one deterministic pass over the six rules of AGENTS.md, keeping every loser
// and every step. Same proposals (in any order), state and policy in, the
// deep-equal decision out.
import type {
  ActionName,
  Conflict,
  Decision,
  Proposal,
  RejectedProposal,
  RuleName,
  StationState,
  SupervisorPolicy,
  TrailStep,
} from '../eventBus/types.js';
import { CAPACITY_RESOURCES, capacityOf, conflictResource } from './claims.js';
import { AGENT_ORDER, round } from './common.js';
import { own } from '../utils/own.js';

/** Actions that keep the station serving drivers (rule 4 ranks them above cost optimization). */
export const SERVICE_ACTIONS: readonly ActionName[] = [
  'offer_incentive',
  'divert_staff',
  'open_bay',
  'request_rebalance',
  'prioritize_charging',
];

/** Risk each action carries on its own; the decision's risk starts at the largest. */
export const ACTION_RISK: Readonly<Record<ActionName, number>> = {
  offer_incentive: 0.15,
  divert_staff: 0.2,
  open_bay: 0.1,
  request_rebalance: 0.2,
  prioritize_charging: 0.1,
  offer_surplus: 0.15,
  quarantine_battery: 0.1,
  schedule_maintenance: 0.2,
  take_charger_offline: 0.4,
  escalate_ticket: 0.1,
  derate_charger: 0.2,
  reset_charger: 0.1,
  curtail_charging: 0.3,
  defer_charging: 0.1,
  boost_charging: 0.2,
  flag_anomaly: 0,
  veto: 0,
};
/** Added when the decision acts on data the auditor flagged; with any action it reaches the default approval score. */
export const DATA_QUALITY_RISK = 0.5;
/** Added per conflict settled: contested decisions deserve a second look sooner. */
export const CONFLICT_RISK = 0.05;
/** Floor of the score when a rule of AGENTS.md demands an operator. */
export const MANDATORY_APPROVAL_RISK = 0.8;
export const RISK_LEVELS = { high: 0.7, medium: 0.4 } as const;

export interface Arbitration {
  /** The proposals that survived every rule: mutually compatible. */
  winners: Proposal[];
  rejected: RejectedProposal[];
  conflicts: Conflict[];
  trail: TrailStep[];
  /** The candidates (vetoes removed), canonical order. */
  candidates: Proposal[];
}

/**
 * Settles proposals against each other with the ordered rules of AGENTS.md (vetoes, safety, grid,
 * service, priority, capacity), keeping every loser and every step. Pure and order-independent.
 */
export function arbitrate(proposals: Proposal[], state: StationState): Arbitration {
  const sorted = [...proposals].sort(compareCanonical);
  const vetoes = sorted.filter((p) => p.action === 'veto');
  const candidates = sorted.filter((p) => p.action !== 'veto');
  const alive = new Set<Proposal>(candidates);
  const rejected: RejectedProposal[] = [];
  const conflicts: Conflict[] = [];
  const trail: TrailStep[] = [];
  const reject = (p: Proposal, rule: RuleName, reason: string): void => {
    alive.delete(p);
    rejected.push({ proposal: p, rule, reason });
  };
  const live = (): Proposal[] => candidates.filter((p) => alive.has(p));

  // Pairwise conflicts settled by one rule; `decide` returns the winner or null to leave the pair to a later rule.
  // Candidates are in canonical order: each unordered pair is visited once, first-ranked first, and
  // proposals alike in every part (the same rank) are never set against each other.
  const rank = candidates.map((_, i) => i);
  for (let i = 1; i < candidates.length; i++) if (compareCanonical(candidates[i - 1]!, candidates[i]!) === 0) rank[i] = rank[i - 1]!;
  // Whether a pair conflicts does not change from rule to rule: each pair is looked at once.
  const pairs = new Map<number, string | null>();
  const conflictOf = (i: number, j: number): string | null => {
    const key = i * candidates.length + j;
    let resource = pairs.get(key);
    if (resource === undefined) pairs.set(key, (resource = conflictResource(candidates[i]!, candidates[j]!, state)));
    return resource;
  };
  const settle = (rule: RuleName, decide: (a: Proposal, b: Proposal) => Proposal | null): number => {
    let settled = 0;
    for (let i = 0; i < candidates.length; i++) {
      const a = candidates[i]!;
      for (let j = i + 1; j < candidates.length; j++) {
        const b = candidates[j]!;
        if (rank[i] === rank[j] || !alive.has(a) || !alive.has(b)) continue;
        const resource = conflictOf(i, j);
        if (resource === null) continue;
        const winner = decide(a, b);
        if (winner === null) continue;
        const loser = winner === a ? b : a;
        conflicts.push({ resource, between: [a.action, b.action], winner: winner.action, rule });
        reject(loser, rule, `conflicts with ${winner.agent}/${winner.action} on ${resource}`);
        settled++;
      }
    }
    return settled;
  };

  // 1. Auditor vetoes remove the proposals they target (matched by agent and action).
  let vetoed = 0;
  for (const p of candidates) {
    const v = vetoes.find((x) => x.params.target === p.action && x.params.targetAgent === p.agent);
    if (v) {
      reject(p, 'auditor_veto', String(v.params.reason));
      vetoed++;
    }
  }
  trail.push({ rule: 'auditor_veto', note: `${vetoes.length} veto(es), ${vetoed} proposal(s) removed` });

  // 2. Safety: the mechanic wins any conflict with another agent.
  const safety = settle('safety_first', (a, b) =>
    a.agent === 'mechanic' && b.agent !== 'mechanic' ? a : b.agent === 'mechanic' && a.agent !== 'mechanic' ? b : null,
  );
  trail.push({ rule: 'safety_first', note: `${safety} conflict(s) won by the mechanic` });

  // 3. Grid limit. Over the limit, curtailment is grid protection and wins its
  // conflicts; then power increases are admitted only while the planned draw
  // stays within the limit. Sheds are not counted as headroom: a later rule
  // may still drop them.
  const { drawKW, limitKW } = state.power;
  const overLimit = drawKW !== null && limitKW !== null && drawKW > limitKW;
  const isGridCurtail = (p: Proposal): boolean => overLimit && p.action === 'curtail_charging';
  const gridWins = settle('grid_limit', (a, b) =>
    isGridCurtail(a) && !isGridCurtail(b) ? a : isGridCurtail(b) && !isGridCurtail(a) ? b : null,
  );
  let planned = drawKW;
  let blocked = 0;
  for (const p of live().sort(compareRank)) {
    const inc = p.claims['power.kW'] ?? 0;
    if (inc <= 0) continue;
    if (planned === null || limitKW === null) {
      reject(p, 'grid_limit', `adds ${round(inc, 1)} kW with unknown draw or limit`);
      blocked++;
    } else if (planned + inc > limitKW) {
      reject(p, 'grid_limit', `adds ${round(inc, 1)} kW to a planned ${round(planned, 1)} kW, above the ${round(limitKW, 1)} kW limit`);
      blocked++;
    } else {
      planned += inc;
    }
  }
  trail.push({
    rule: 'grid_limit',
    note:
      `${gridWins} conflict(s) won by grid protection, ${blocked} power increase(s) blocked` +
      (planned !== null && limitKW !== null ? `; planned draw ${round(planned, 1)} of ${round(limitKW, 1)} kW` : ''),
  });

  // 4. Service continuity beats cost optimization.
  const isService = (p: Proposal): boolean => SERVICE_ACTIONS.includes(p.action);
  const isCost = (p: Proposal): boolean =>
    p.action === 'defer_charging' || p.action === 'boost_charging' || (p.action === 'curtail_charging' && !overLimit);
  const service = settle('service_continuity', (a, b) => (isService(a) && isCost(b) ? a : isService(b) && isCost(a) ? b : null));
  trail.push({ rule: 'service_continuity', note: `${service} conflict(s) won by service continuity` });

  // 5. Remaining ties: higher urgency x confidence; equal scores fall back to the fixed canonical order.
  const ties = settle('priority', (a, b) => (compareScore(a, b) <= 0 ? a : b));
  trail.push({ rule: 'priority', note: `${ties} conflict(s) settled by urgency x confidence` });

  // Capacity: anything still asking for more than the station has free (a
  // single oversized claim, or three claims where each pair fitted).
  let overCapacity = 0;
  for (const r of CAPACITY_RESOURCES) {
    const cap = capacityOf(r, state);
    if (cap === null) continue;
    let used = 0;
    let holder: Proposal | null = null;
    for (const p of live().sort(compareRank)) {
      const amount = p.claims[r] ?? 0;
      if (amount <= 0) continue;
      if (used + amount > cap) {
        if (holder) conflicts.push({ resource: r, between: [holder.action, p.action], winner: holder.action, rule: 'capacity' });
        reject(p, 'capacity', `needs ${amount} ${r}, ${cap - used} free`);
        overCapacity++;
      } else {
        used += amount;
        holder ??= p;
      }
    }
  }
  trail.push({ rule: 'capacity', note: `${overCapacity} proposal(s) beyond free capacity` });

  // 6. Everything left is mutually compatible: one decision, several actions.
  const winners = live();
  trail.push({
    rule: 'merge',
    note: winners.length > 0 ? `${winners.length} action(s): ${winners.map((p) => p.action).join(', ')}` : 'no action survived',
  });
  return { winners, rejected, conflicts, trail, candidates };
}

interface RiskResult {
  level: Decision['risk']['level'];
  score: number;
  reasons: string[];
  approval: boolean;
}

export function assessRisk(
  actions: Proposal[],
  candidates: Proposal[],
  conflictCount: number,
  state: StationState,
  policy: SupervisorPolicy,
): RiskResult {
  const reasons: string[] = [];
  const mandatory: string[] = [];
  let score = actions.reduce((m, p) => Math.max(m, ACTION_RISK[p.action]), 0);
  const acting = actions.filter((p) => p.action !== 'flag_anomaly');
  // Safety acts first (DECISIONS.md): the mechanic's actions alone never wait for an operator.
  const waitable = acting.filter((p) => p.agent !== 'mechanic');

  const flag = candidates.find((p) => p.action === 'flag_anomaly');
  if (flag && acting.length > 0) {
    score += DATA_QUALITY_RISK;
    const what = [flag.evidence.anomalous === true ? 'anomalous' : '', flag.evidence.stale === true ? 'stale' : '']
      .filter(Boolean)
      .join(' and ');
    reasons.push(`acting on ${what} data`);
  }
  if (conflictCount > 0) {
    score += CONFLICT_RISK * conflictCount;
    reasons.push(`${conflictCount} conflict(s) settled`);
  }

  // "The last charger": after the action no other charger is serving. The
  // target itself is usually already faulted (that is why it goes offline),
  // but locking it out still ends any chance of the station charging again
  // without a technician, which is the operator's call.
  const offline = new Set(actions.filter((p) => p.action === 'take_charger_offline').map((p) => String(p.params.chargerId)));
  if (offline.size > 0) {
    const working = (id: string): boolean =>
      own(state.chargers, id)?.status === 'available' || own(state.chargers, id)?.status === 'occupied';
    const remaining = Object.keys(state.chargers).filter((id) => working(id) && !offline.has(id)).length;
    // Safety acts first (DECISIONS.md): isolation never waits for an operator, but it is a high-risk moment.
    if (remaining === 0) {
      score += 0.3;
      reasons.push('takes the last charger offline: no other charger is working');
    }
  }
  for (const p of actions) {
    if (p.action === 'offer_incentive') {
      const amount = Number(p.params.amount);
      const left = Number(p.evidence.budgetRemaining);
      if (Number.isFinite(left) && amount > left) mandatory.push(`incentive ${amount} above the remaining budget ${left}`);
    }
    if (p.action === 'curtail_charging') {
      const draw = state.power.drawKW ?? Number(p.evidence.drawKW);
      const shed = Number(p.params.shedKW ?? p.evidence.shedKW);
      if (draw > 0 && shed / draw > policy.maxCurtailFraction) {
        mandatory.push(`curtails ${round((100 * shed) / draw, 1)}% of the draw, above ${round(100 * policy.maxCurtailFraction, 1)}%`);
      }
    }
  }

  reasons.push(...mandatory);
  if (mandatory.length > 0) score = Math.max(score, MANDATORY_APPROVAL_RISK, policy.approvalRiskScore);
  score = round(Math.min(1, score));
  const approval = mandatory.length > 0 || (waitable.length > 0 && score >= policy.approvalRiskScore);
  if (approval && mandatory.length === 0) reasons.push(`risk score ${score} reaches the approval score ${policy.approvalRiskScore}`);
  const level = score >= RISK_LEVELS.high ? 'high' : score >= RISK_LEVELS.medium ? 'medium' : 'low';
  return { level, score, reasons, approval };
}

/** Fixed total order: agent, action, then params, so iteration order never depends on input order. */
export function compareCanonical(a: Proposal, b: Proposal): number {
  const byAgent = AGENT_ORDER.indexOf(a.agent) - AGENT_ORDER.indexOf(b.agent);
  if (byAgent !== 0) return byAgent;
  if (a.action !== b.action) return a.action < b.action ? -1 : 1;
  const ka = stableKey(a, head);
  const kb = stableKey(b, head);
  if (ka !== kb) return ka < kb ? -1 : 1;
  // Only proposals alike in everything else are told apart by their evidence (the larger part, built last).
  const ea = stableKey(a, tail);
  const eb = stableKey(b, tail);
  return ea < eb ? -1 : ea > eb ? 1 : 0;
}

/** Priority order: safety first, then service, then urgency x confidence, then canonical. */
export function compareRank(a: Proposal, b: Proposal): number {
  const byClass = rankClass(a) - rankClass(b);
  return byClass !== 0 ? byClass : compareScore(a, b);
}

function rankClass(p: Proposal): number {
  return p.agent === 'mechanic' ? 0 : SERVICE_ACTIONS.includes(p.action) ? 1 : 2;
}

/** Higher urgency x confidence first, then canonical. */
export function compareScore(a: Proposal, b: Proposal): number {
  const byScore = b.urgency * b.confidence - a.urgency * a.confidence;
  return byScore !== 0 ? byScore : compareCanonical(a, b);
}

// Keys are compared many times per sort; each proposal's is built once (per part).
const heads = new WeakMap<Proposal, string>();
const tails = new WeakMap<Proposal, string>();

const sortedEntries = (o: Record<string, unknown>): [string, unknown][] =>
  Object.keys(o)
    .sort()
    .map((k) => [k, o[k]]);
const head = {
  cache: heads,
  build: (p: Proposal) => JSON.stringify([sortedEntries(p.params), p.urgency, p.confidence, sortedEntries(p.claims)]),
};
const tail = { cache: tails, build: (p: Proposal) => JSON.stringify(sortedEntries(p.evidence)) };

function stableKey(p: Proposal, part: { cache: WeakMap<Proposal, string>; build(p: Proposal): string }): string {
  const cached = part.cache.get(p);
  if (cached !== undefined) return cached;
  const key = part.build(p);
  part.cache.set(p, key);
  return key;
}
