// The hashed form of each record the trail anchors: a decision's content, its explanation, an
// operator's approval and an actuator's outcome. One place, so the logger, the audit views and the verifier agree byte for byte.
import type { ActionOutcome, Approval, Decision, Explanation } from '../../eventBus/types.js';
import { canonicalHash, canonicalize, sha256Hex } from './canonical.js';

/** The hashed part of a record: exactly the Decision fields, nothing the store adds. */
export const DECISION_CONTENT_KEYS = [
  'id',
  'stationId',
  'signalId',
  'signalType',
  'ts',
  'actions',
  'rejected',
  'conflicts',
  'trail',
  'risk',
  'status',
  'stateVersion',
  'policyVersion',
  'changes',
  'nearby',
] as const satisfies readonly (keyof Decision)[];

export function decisionContent(record: Decision): Decision {
  const out: Record<string, unknown> = {};
  for (const k of DECISION_CONTENT_KEYS) out[k] = record[k];
  return out as unknown as Decision;
}

/** The RFC 8785 text of a decision's content and its SHA-256: what is stored, anchored and verified. */
export function canonicalDecision(decision: Decision): { canonical: string; hash: string } {
  const canonical = canonicalize(decisionContent(decision));
  return { canonical, hash: sha256Hex(canonical) };
}

/** The hashed (and anchored) content of an explanation: what it says, who wrote it, with which prompt. */
export function explanationValue(decisionId: string, e: Omit<Explanation, 'hash'>): Record<string, unknown> {
  return { decisionId, text: e.text, source: e.source, model: e.model ?? null, promptVersion: e.promptVersion };
}

export function explanationHash(decisionId: string, e: Omit<Explanation, 'hash'>): string {
  return canonicalHash(explanationValue(decisionId, e));
}

/** The hashed (and anchored) content of an operator's answer to a pending decision. */
export function approvalValue(a: Omit<Approval, 'hash' | 'anchor'>): Record<string, unknown> {
  return { decisionId: a.decisionId, decisionHash: a.decisionHash, outcome: a.outcome, by: a.by, note: a.note, at: a.at };
}

/** The hashed (and anchored) content of an actuator's answer to one handed command. */
export function outcomeValue(o: Omit<ActionOutcome, 'hash' | 'anchor'>): Record<string, unknown> {
  return {
    decisionId: o.decisionId,
    decisionHash: o.decisionHash,
    stationId: o.stationId,
    ref: o.ref,
    kind: o.kind,
    actionId: o.actionId,
    action: o.action,
    target: o.target,
    params: o.params,
    actuator: o.actuator,
    outcome: o.outcome,
    detail: o.detail,
    at: o.at,
    latencyMs: o.latencyMs,
  };
}
