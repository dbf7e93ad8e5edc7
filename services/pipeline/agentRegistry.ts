// Thresholds, policy and on/off switches the agents run with, and counters for GET /api/agents.
import { listen, type EventBus, type ListenerErrorSink } from '../../eventBus/index.js';
import { AGENT_NAMES, type AgentName, type AgentThresholds, type SupervisorPolicy } from '../../eventBus/types.js';
import { AppError } from '../platform/index.js';
import { canonicalHash } from '../audit/index.js';
import { HYSTERESIS_PAIRS } from '../../agents/index.js';
import type { Model } from 'mongoose';
import type { AgentSettingDoc } from '../../models/index.js';

interface Counters {
  proposed: number;
  accepted: number;
  rejected: number;
}

/** Deep-merge overrides into defaults; every override key must exist in the defaults with the same type. */
export function mergeThresholds(defaults: AgentThresholds, overrides: Record<string, unknown>, path = 'AGENT_THRESHOLDS'): AgentThresholds {
  const merge = (base: Record<string, unknown>, over: Record<string, unknown>, at: string): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) {
      if (!Object.prototype.hasOwnProperty.call(base, k))
        throw new AppError(400, 'VALIDATION_FAILED', `${at}.${k} is not a known threshold`, [{ field: `${at}.${k}` }]);
      const b = base[k];
      if (b !== null && typeof b === 'object' && !Array.isArray(b)) {
        if (v === null || typeof v !== 'object' || Array.isArray(v))
          throw new AppError(400, 'VALIDATION_FAILED', `${at}.${k} must be an object`, [{ field: `${at}.${k}` }]);
        out[k] = merge(b as Record<string, unknown>, v as Record<string, unknown>, `${at}.${k}`);
      } else if (Array.isArray(b)) {
        if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
          throw new AppError(400, 'VALIDATION_FAILED', `${at}.${k} must be a list of strings`, [{ field: `${at}.${k}` }]);
        out[k] = v;
      } else if (typeof b === 'number') {
        if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
          throw new AppError(400, 'VALIDATION_FAILED', `${at}.${k} must be a non-negative number`, [{ field: `${at}.${k}` }]);
        out[k] = v;
      } else {
        throw new AppError(400, 'VALIDATION_FAILED', `${at}.${k} cannot be changed`, [{ field: `${at}.${k}` }]);
      }
    }
    return out;
  };
  const merged = merge(defaults as unknown as Record<string, unknown>, overrides, path) as unknown as AgentThresholds;
  // An off-threshold past its on-threshold would leave no band: an action would start and stop on the same reading.
  for (const { agent, off, on, offBelowOn } of HYSTERESIS_PAIRS) {
    const t = merged[agent] as unknown as Record<string, number>;
    if (offBelowOn ? t[off] > t[on] : t[off] < t[on]) {
      const field = `${path}.${agent}.${off}`;
      throw new AppError(
        400,
        'VALIDATION_FAILED',
        `${field} (${t[off]}) must be ${offBelowOn ? 'at most' : 'at least'} ${agent}.${on} (${t[on]}): the off-threshold of a hysteresis band`,
        [{ field }],
      );
    }
  }
  return merged;
}

/** The policy version a decision records: a hash of the thresholds and the supervisor policy in force. */
export function policyVersionOf(thresholds: AgentThresholds, policy: SupervisorPolicy): string {
  return `pv-${canonicalHash({ thresholds, policy }).slice(0, 16)}`;
}

export interface AgentChange {
  enabled?: boolean;
  thresholds?: Record<string, unknown>;
}

export interface AgentSettingPreview {
  name: AgentName;
  enabled: boolean;
  thresholds: AgentThresholds;
  thresholdsChanged: Record<string, unknown>;
}

export class AgentRegistry {
  private readonly disabledSet = new Set<AgentName>();
  private readonly counters = new Map<AgentName, Counters>(AGENT_NAMES.map((n) => [n, { proposed: 0, accepted: 0, rejected: 0 }]));

  constructor(
    public thresholds: AgentThresholds,
    public policy: SupervisorPolicy,
  ) {}

  attach(bus: EventBus, report: ListenerErrorSink): void {
    listen(
      bus,
      'agent.proposed',
      'agentRegistry.counters',
      ({ agents }) => {
        for (const a of agents) this.counters.get(a)!.proposed++;
      },
      report,
    );
    listen(
      bus,
      'decision.made',
      'agentRegistry.counters',
      ({ decision }) => {
        for (const a of decision.actions) this.counters.get(a.agent)!.accepted++;
        for (const r of decision.rejected) this.counters.get(r.proposal.agent)!.rejected++;
      },
      report,
    );
  }

  private versionOf: { thresholds: AgentThresholds; policy: SupervisorPolicy; version: string } | null = null;

  /** Hash of the thresholds and policy in force: each decision records it, so a replay can tell it ran on the same rules. */
  get policyVersion(): string {
    const v = this.versionOf;
    if (v && v.thresholds === this.thresholds && v.policy === this.policy) return v.version;
    const version = policyVersionOf(this.thresholds, this.policy);
    this.versionOf = { thresholds: this.thresholds, policy: this.policy, version };
    return version;
  }

  disabled(): AgentName[] {
    return AGENT_NAMES.filter((n) => this.disabledSet.has(n));
  }

  setEnabled(name: AgentName, enabled: boolean): void {
    if (enabled) this.disabledSet.delete(name);
    else this.disabledSet.add(name);
  }

  /** Applies an admin's change on top of what is in force; throws 400 naming the bad threshold. */
  update(name: AgentName, change: AgentChange): void {
    this.apply(this.preview(name, change));
  }

  /** What an admin's change would put in force, checked (400 naming the bad threshold) but not applied. */
  preview(name: AgentName, change: AgentChange): AgentSettingPreview {
    const thresholds = change.thresholds ? mergeThresholds(this.thresholds, { [name]: change.thresholds }, 'thresholds') : this.thresholds;
    return { name, thresholds, enabled: change.enabled ?? !this.disabledSet.has(name), thresholdsChanged: change.thresholds ?? {} };
  }

  apply(p: AgentSettingPreview): void {
    this.thresholds = p.thresholds;
    this.setEnabled(p.name, p.enabled);
  }

  /** Settings saved by earlier changes, applied at start over the configured thresholds. */
  async restore(model: Model<AgentSettingDoc>): Promise<void> {
    for (const s of await model.find({}).lean<AgentSettingDoc[]>()) {
      if (!AGENT_NAMES.includes(s.name as AgentName)) continue;
      this.update(s.name as AgentName, { enabled: s.enabled, thresholds: s.thresholds });
    }
  }

  /** Saves a previewed change, so a restart keeps it; resolves to what was saved before (for `unsave`). */
  async save(model: Model<AgentSettingDoc>, p: AgentSettingPreview): Promise<AgentSettingDoc | null> {
    const prev = await model.findOne({ name: p.name }).lean<AgentSettingDoc>();
    const thresholds = { ...(prev?.thresholds ?? {}), ...p.thresholdsChanged };
    await model.updateOne(
      { name: p.name },
      { $set: { name: p.name, enabled: p.enabled, thresholds, updatedAt: new Date() } },
      { upsert: true },
    );
    return prev;
  }

  /** Puts back what `save` replaced. */
  async unsave(model: Model<AgentSettingDoc>, name: AgentName, prev: AgentSettingDoc | null): Promise<void> {
    if (prev) await model.updateOne({ name }, { $set: { enabled: prev.enabled, thresholds: prev.thresholds, updatedAt: prev.updatedAt } });
    else await model.deleteOne({ name });
  }

  describe(): { name: AgentName; enabled: boolean; counters: Counters; thresholds: unknown }[] {
    return AGENT_NAMES.map((name) => ({
      name,
      enabled: !this.disabledSet.has(name),
      counters: { ...this.counters.get(name)! },
      thresholds: this.thresholds[name],
    }));
  }
}
