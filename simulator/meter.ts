// A station's energy meter (ground truth): energy drawn and what it cost, and each quarter hour's
// average demand against the grid limit, as the grid bills and limits it.
import type { EnergyTruth } from './truth.js';

const QUARTER_S = 900;

export class EnergyMeter {
  private quarter = -1;
  private quarterKWh = 0;

  constructor(
    private readonly e: EnergyTruth,
    private readonly gridLimitKW: number,
  ) {}

  /** One second at `kW`, bought at `pricePerKWh`, at `ts`. */
  add(kW: number, pricePerKWh: number, ts: string): void {
    const kWh = kW / 3600;
    this.e.kWh += kWh;
    this.e.cost += kWh * pricePerKWh;
    const q = Math.floor(Date.parse(ts) / 1000 / QUARTER_S);
    if (q !== this.quarter) {
      this.close();
      this.quarter = q;
      this.quarterKWh = 0;
    }
    this.quarterKWh += kWh;
  }

  /** Closes the quarter hour under way (at a quarter's end, or the run's). */
  close(): void {
    if (this.quarter < 0) return;
    this.e.intervals += 1;
    // The quarter's average demand is its energy times four.
    if (this.quarterKWh * 4 > this.gridLimitKW) this.e.intervalsOverLimit += 1;
    this.quarter = -1;
  }
}
