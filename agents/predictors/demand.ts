// Grid demand the way it is billed and limited: the average power over fixed quarter-hours (UTC
// :00, :15, :30, :45), integrated from the station's power readings as a step function.
import type { DemandInterval } from '../../eventBus/types.js';

export const INTERVAL_MIN = 15;
const INTERVAL_MS = INTERVAL_MIN * 60_000;

/** ISO start of the quarter-hour that holds `ts`. */
export function intervalStart(ts: string): string {
  const ms = Date.parse(ts);
  return new Date(ms - (ms % INTERVAL_MS)).toISOString();
}

const minutesBetween = (from: string, to: string) => Math.max(0, (Date.parse(to) - Date.parse(from)) / 60_000);

/** Folds one power reading into the interval it falls in (a new interval starts at the previous level). */
export function foldDemand(d: DemandInterval | undefined, ts: string, kW: number): DemandInterval {
  const start = intervalStart(ts);
  if (!d || d.start !== start) {
    const carried = d ? d.lastKW : kW;
    return { start, kWmin: carried * minutesBetween(start, ts), lastTs: ts, lastKW: kW };
  }
  return { start, kWmin: d.kWmin + d.lastKW * minutesBetween(d.lastTs, ts), lastTs: ts, lastKW: kW };
}

/**
 * The quarter-hour average the station is heading for at `now` if it keeps drawing `drawKW` to the
 * end of the interval. Without readings in this interval yet, the draw itself.
 */
export function projectedAverageKW(d: DemandInterval | undefined, now: string, drawKW: number): number {
  const start = intervalStart(now);
  if (!d || d.start !== start) return drawKW;
  const soFar = d.kWmin + d.lastKW * minutesBetween(d.lastTs, now);
  const left = INTERVAL_MIN - minutesBetween(start, now);
  return (soFar + drawKW * Math.max(0, left)) / INTERVAL_MIN;
}
