// OCPP meter values read into the copilot's units: temperature in degrees Celsius, power in kW,
// energy in Wh, state of charge in percent. OCPP 1.6 sends values as strings with `unit`; 2.0.1 as
// numbers with `unitOfMeasure` (unit and a power-of-ten multiplier). A measurand reported per phase
// only is summed over the phases; a total beside the phases is taken as it is.

export interface MeterReading {
  /** The charger's time of measurement. */
  ts: string;
  tempC: number | null;
  powerKW: number | null;
  energyWh: number | null;
  socPct: number | null;
}

/** A sampled value of either version, as the library validated it against the version's schema. */
interface Sampled {
  value: string | number;
  measurand?: string;
  phase?: string;
  unit?: string;
  unitOfMeasure?: { unit?: string; multiplier?: number };
}

export interface MeterValue {
  timestamp: string;
  sampledValue: Sampled[];
}

/** A value OCPP allowed but the copilot cannot use (not a number, or an unknown unit): the message is refused. */
export class MeterError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

function numberOf(s: Sampled, field: string): number {
  const raw = typeof s.value === 'number' ? s.value : Number(s.value);
  if (typeof s.value === 'string' && s.value.trim() === '') throw new MeterError(`${field}: empty value`, field);
  if (!Number.isFinite(raw)) throw new MeterError(`${field}: ${JSON.stringify(s.value)} is not a number`, field);
  const multiplier = s.unitOfMeasure?.multiplier ?? 0;
  return raw * 10 ** multiplier;
}

function unitOf(s: Sampled): string | undefined {
  return s.unitOfMeasure?.unit ?? s.unit;
}

/** Phase values count towards a total only when no total is given (`L1`, `L1-N` alike; `N` is not summed). */
function total(values: Sampled[], convert: (s: Sampled, i: number) => number): number | null {
  if (values.length === 0) return null;
  const whole = values.findIndex((s) => s.phase === undefined);
  if (whole >= 0) return convert(values[whole]!, whole);
  const phases = values.map((s, i) => [s, i] as const).filter(([s]) => /^L[123]/.test(s.phase ?? ''));
  return phases.length ? phases.reduce((sum, [s, i]) => sum + convert(s, i), 0) : null;
}

const ROUND = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

export function readMeterValue(mv: MeterValue, field: string): MeterReading {
  const by = new Map<string, Sampled[]>();
  for (const s of mv.sampledValue) {
    const m = s.measurand ?? 'Energy.Active.Import.Register';
    by.set(m, [...(by.get(m) ?? []), s]);
  }
  const at = (m: string, i: number) => `${field}.sampledValue[${m}#${i}]`;
  const temps = (by.get('Temperature') ?? []).map((s, i) => {
    const v = numberOf(s, at('Temperature', i));
    switch (unitOf(s) ?? 'Celsius') {
      case 'Celsius':
        return v;
      case 'Fahrenheit':
        return ((v - 32) * 5) / 9;
      case 'K':
        return v - 273.15;
      default:
        throw new MeterError(`${at('Temperature', i)}: unit ${String(unitOf(s))} is not a temperature unit`, at('Temperature', i));
    }
  });
  const power = total(by.get('Power.Active.Import') ?? [], (s, i) => {
    const v = numberOf(s, at('Power.Active.Import', i));
    const unit = unitOf(s) ?? 'W';
    if (unit === 'W') return v / 1000;
    if (unit === 'kW') return v;
    throw new MeterError(`${at('Power.Active.Import', i)}: unit ${unit} is not W or kW`, at('Power.Active.Import', i));
  });
  const energy = total(by.get('Energy.Active.Import.Register') ?? [], (s, i) => {
    const v = numberOf(s, at('Energy.Active.Import.Register', i));
    const unit = unitOf(s) ?? 'Wh';
    if (unit === 'Wh') return v;
    if (unit === 'kWh') return v * 1000;
    throw new MeterError(
      `${at('Energy.Active.Import.Register', i)}: unit ${unit} is not Wh or kWh`,
      at('Energy.Active.Import.Register', i),
    );
  });
  const soc = (by.get('SoC') ?? []).map((s, i) => numberOf(s, at('SoC', i)));
  return {
    ts: mv.timestamp,
    // The hottest point the charger reports (body, cable, outlet) is the one that trips it.
    tempC: temps.length ? ROUND(Math.max(...temps), 2) : null,
    powerKW: power === null ? null : ROUND(power, 3),
    energyWh: energy === null ? null : ROUND(energy, 1),
    socPct: soc.length ? ROUND(soc[0]!, 1) : null,
  };
}
