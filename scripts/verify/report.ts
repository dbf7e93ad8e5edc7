// One line per check: outcome, name, and the figures behind it.
export type Outcome = 'PASS' | 'FAIL' | 'INFO';

export interface Check {
  outcome: Outcome;
  /** e.g. `decision.hash`, `explanation.proof`, `chain`. */
  name: string;
  detail: string;
}

export const pass = (name: string, detail: string): Check => ({ outcome: 'PASS', name, detail });
export const fail = (name: string, detail: string): Check => ({ outcome: 'FAIL', name, detail });
export const info = (name: string, detail: string): Check => ({ outcome: 'INFO', name, detail });

export function formatCheck(c: Check): string {
  return `${c.outcome.padEnd(4)}  ${c.name.padEnd(22)} ${c.detail}`;
}

/** The closing line: how many checks ran and which failed. */
export function summary(checks: readonly Check[]): string {
  const counted = checks.filter((c) => c.outcome !== 'INFO');
  const failed = counted.filter((c) => c.outcome === 'FAIL');
  if (failed.length === 0) return `VERIFIED: all ${counted.length} checks passed`;
  return `NOT VERIFIED: ${failed.length} of ${counted.length} checks failed (${failed.map((c) => c.name).join(', ')})`;
}
