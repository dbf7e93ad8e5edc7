// Which number of a signal feeds the per-station anomaly window. Shared by the
// state fold (which records the readings) and the auditor (which scores them),
// so both always agree on the metric name.
import type { Signal } from '../eventBus/types.js';

export interface MetricReading {
  metric: string;
  value: number;
  /**
   * Smallest standard deviation the z-score will divide by. Without a floor a
   * window of identical readings (an empty queue, a flat tariff) would make any
   * small change look infinitely anomalous.
   */
  minStd: number;
}

export function metricOf(signal: Signal): MetricReading | null {
  switch (signal.type) {
    case 'queue_length':
      return { metric: 'queue_length.waiting', value: signal.payload.waiting, minStd: 1 };
    case 'swap_completed':
      return { metric: 'swap_completed.durationS', value: signal.payload.durationS, minStd: 15 };
    case 'battery_stock':
      return { metric: 'battery_stock.charged', value: signal.payload.charged, minStd: 1 };
    case 'charger_temp':
      return { metric: 'charger_temp.tempC', value: signal.payload.tempC, minStd: 1 };
    case 'power_draw':
      return { metric: 'power_draw.kW', value: signal.payload.kW, minStd: 2 };
    case 'grid_limit':
      return { metric: 'grid_limit.kW', value: signal.payload.kW, minStd: 5 };
    case 'grid_price':
      return { metric: 'grid_price.pricePerKWh', value: signal.payload.pricePerKWh, minStd: 0.01 };
    case 'staff_on_duty':
      return { metric: 'staff_on_duty.count', value: signal.payload.count, minStd: 1 };
    default:
      // arrival, battery_health (per-battery, not comparable across packs),
      // charger_status, charging_session (per connector and vehicle) and
      // bay_status carry no station-level reading to score.
      return null;
  }
}
