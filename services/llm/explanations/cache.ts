// Identical situations should not cost an LLM call. A situation is the signal type, status, risk
// level, the agents and actions decided and rejected, and their evidence: strings and flags as they
// are, numbers by sign and order of magnitude only (a charger at 91.3 C and one at 93.8 C are the same
// situation; one at 0 and one rising are not). What is cached is the accepted text with each figure
// replaced by where it came from, so a hit is filled with the new decision's own figures and checked
// again by the grounding check before use.
import { LRUCache } from 'lru-cache';
import type { Decision } from '../../../eventBus/types.js';
import { figuresOf, type GroundingResult } from './grounding.js';

const bucket = (v: number | string | boolean) => {
  if (typeof v !== 'number') return v;
  if (v === 0 || !Number.isFinite(v)) return String(v);
  return `${v < 0 ? '-' : '+'}e${Math.floor(Math.log10(Math.abs(v)))}`;
};

export function situationKey(d: Decision, promptVersion: string): string {
  const actions = d.actions
    .map(
      (a) =>
        [
          a.agent,
          a.action,
          Object.keys(a.evidence)
            .sort()
            .map((k) => [k, bucket(a.evidence[k])]),
        ] as const,
    )
    .sort((x, y) => (x[0] + x[1] < y[0] + y[1] ? -1 : 1));
  const rejected = d.rejected.map((r) => [r.proposal.agent, r.proposal.action, r.rule]).sort();
  return JSON.stringify([promptVersion, d.signalType, d.status, d.risk.level, actions, rejected]);
}

export interface CachedText {
  /** The text with `{{n}}` where the n-th figure went. */
  template: string;
  figures: { path: string; decimals: number; percent: boolean; negative: boolean }[];
  model: string;
}

export function toTemplate(text: string, g: GroundingResult, model: string): CachedText {
  let out = '';
  let at = 0;
  const figures: CachedText['figures'] = [];
  for (const { number, figure } of g.matched) {
    out += `${text.slice(at, number.index)}{{${figures.length}}}`;
    at = number.index + number.text.length;
    const fraction = number.percent && Math.abs(figure.value) <= 1 && Math.abs(number.value) > 1;
    figures.push({ path: figure.path, decimals: number.decimals, percent: fraction, negative: number.value < 0 });
  }
  return { template: out + text.slice(at), figures, model };
}

/** The cached text with this decision's figures, or null when one of them is missing. */
export function fill(c: CachedText, d: Decision): string | null {
  const byPath = new Map(figuresOf(d).map((f) => [f.path, f.value]));
  const values: string[] = [];
  for (const f of c.figures) {
    const v = byPath.get(f.path);
    if (v === undefined) return null;
    // Written as the accepted text wrote it: same precision, percentage or not, with or without its sign.
    const shown = Math.abs(f.percent ? v * 100 : v);
    values.push((f.negative ? -shown : shown).toFixed(f.decimals));
  }
  return c.template.replace(/\{\{(\d+)\}\}/g, (_m, i: string) => values[Number(i)]);
}

export class ExplanationCache {
  private readonly lru: LRUCache<string, CachedText>;
  hits = 0;
  misses = 0;

  constructor(max: number) {
    this.lru = new LRUCache({ max });
  }

  get(key: string): CachedText | undefined {
    const hit = this.lru.get(key);
    if (hit) this.hits++;
    else this.misses++;
    return hit;
  }

  set(key: string, value: CachedText): void {
    this.lru.set(key, value);
  }
}
