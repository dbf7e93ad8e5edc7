// The grounding check an LLM explanation must pass before it replaces the template:
// every figure it states is one of the decision's own (within the rounding it shows),
// it names no station or record the decision does not, it holds no link or image, and it fits the
// length bound.
import type { Decision } from '../../../eventBus/types.js';
import { stripLinks } from '../chat/citations.js';

export const MIN_CHARS = 20;
export const MAX_CHARS = 700;

/** A figure of the decision, by where it sits: `mechanic/take_charger_offline/evidence/tempC`, `risk/score`. */
export interface Figure {
  path: string;
  value: number;
}

export function figuresOf(d: Decision): Figure[] {
  const out: Figure[] = [];
  const add = (path: string, v: unknown) => {
    if (typeof v === 'number' && Number.isFinite(v)) out.push({ path, value: v });
  };
  for (const a of d.actions) {
    for (const [k, v] of Object.entries(a.evidence)) add(`${a.agent}/${a.action}/evidence/${k}`, v);
    for (const [k, v] of Object.entries(a.params)) add(`${a.agent}/${a.action}/params/${k}`, v);
  }
  for (const r of d.rejected) {
    for (const [k, v] of Object.entries(r.proposal.evidence)) add(`rejected/${r.proposal.agent}/${r.proposal.action}/evidence/${k}`, v);
  }
  add('risk/score', d.risk.score);
  add('count/actions', d.actions.length);
  add('count/rejected', d.rejected.length);
  add('count/conflicts', d.conflicts.length);
  return out;
}

/** A number as written in the text: its value, decimals, whether it was a percentage, and where. */
export interface StatedNumber {
  text: string;
  value: number;
  decimals: number;
  percent: boolean;
  index: number;
}

// A number starts a token (so ids like C1, st-12 or dec-9f3 are not numbers) and may carry a unit.
const NUMBER = /(?<![\p{L}\p{N}_\-.:/])(-?\d+(?:\.\d+)?)(\s?%)?/gu;

export function statedNumbers(text: string): StatedNumber[] {
  const out: StatedNumber[] = [];
  for (const m of text.matchAll(NUMBER)) {
    const raw = m[1];
    out.push({
      text: raw,
      value: Number(raw),
      decimals: raw.includes('.') ? raw.split('.')[1].length : 0,
      percent: m[2] !== undefined,
      index: m.index,
    });
  }
  return out;
}

/** Whether `n` is `v` as shown at n's precision (also as a percentage of a fraction, and without sign). */
export function matches(n: StatedNumber, v: number): boolean {
  const candidates = n.percent ? [v, v * 100] : [v];
  const tolerance = 0.5 * 10 ** -n.decimals + 1e-9;
  return candidates.some((c) => Math.abs(Math.abs(c) - Math.abs(n.value)) <= tolerance);
}

export interface GroundingResult {
  ok: boolean;
  reasons: string[];
  /** For each stated number, the figure it matched (in order), so the text can be reused as a template. */
  matched: { number: StatedNumber; figure: Figure }[];
}

/**
 * `knownIds` are ids and names of things the copilot knows (stations, decisions); any of them the text
 * names must appear in the decision itself.
 */
export function checkGrounding(text: string, d: Decision, knownIds: Iterable<string>): GroundingResult {
  const reasons: string[] = [];
  const trimmed = text.trim();
  if (trimmed.length < MIN_CHARS || trimmed.length > MAX_CHARS) reasons.push(`length ${trimmed.length} outside ${MIN_CHARS}..${MAX_CHARS}`);
  const figures = figuresOf(d);
  const matched: GroundingResult['matched'] = [];
  for (const n of statedNumbers(trimmed)) {
    const figure = figures.find((f) => matches(n, f.value));
    if (figure) matched.push({ number: n, figure });
    else reasons.push(`states ${n.text}${n.percent ? '%' : ''}, which is not in the decision's evidence`);
  }
  const own = JSON.stringify(d);
  for (const id of knownIds) {
    if (id.length >= 2 && trimmed.includes(id) && !own.includes(id)) reasons.push(`names ${id}, which is not in the decision`);
  }
  for (const m of trimmed.matchAll(/\bdec-[A-Za-z0-9._:~-]+/g)) {
    const named = m[0].replace(/[.:-]+$/, '');
    if (named !== d.id) reasons.push(`names ${named}, which is not this decision`);
  }
  // A link or image has no place in an explanation: one could only have come from data the model read.
  if (stripLinks(trimmed) !== trimmed) reasons.push('holds a link or image');
  return { ok: reasons.length === 0, reasons, matched };
}
