// Default thresholds and supervisor policy (AGENTS.md). Config may override any of them;
// GET /api/agents reports the values in force.
import type { AgentThresholds, SupervisorPolicy } from '../eventBus/types.js';

export const DEFAULT_THRESHOLDS: AgentThresholds = {
  traffic: {
    waitMinutesHigh: 10,
    waitMinutesOff: 7,
    minSavingMinutes: 5,
    driveSpeedKmh: 30,
    /** Incentive (station currency) per minute of wait a driver saves by going elsewhere. */
    incentivePerMinute: 0.5,
    hourlyBudget: 50,
    nearbyKm: 10,
    acceptanceShare: 0.3,
    herdShare: 0.25,
    packCoverMinutes: 20,
  },
  logistics: {
    stockoutMinutes: 60,
    stockoutOffMinutes: 90,
    /** A rebalance brings enough packs to last this long at the current net drain. */
    rebalanceTargetMinutes: 120,
    /** Charged packs above this fraction of battery slots are surplus. */
    surplusFraction: 0.8,
    surplusOffFraction: 0.7,
    nearbyKm: 15,
    packChargeMinutes: 60,
    transportSpeedKmh: 40,
    loadMinutes: 15,
  },
  mechanic: {
    sohQuarantinePct: 75,
    riskMaintenance: 0.5,
    riskMaintenanceOff: 0.35,
    tempLimitC: 70,
    tempDerateC: 65,
    tempDerateOffC: 60,
    derateKW: 30,
    derateMinMinutes: 60,
    // OCPP 1.6 ChargePointErrorCode values that mean electrical danger, plus the short forms stations send.
    criticalErrorCodes: ['GroundFailure', 'OverCurrentFailure', 'OverCurrent', 'OverVoltage', 'PowerSwitchFailure'],
    repeatedFaults: 3,
    faultWindowMin: 60,
  },
  energy: {
    curtailFraction: 0.9,
    curtailOffFraction: 0.8,
    healthyStockMinutes: 120,
    deferMarginMinutes: 30,
    spikeRatio: 2,
    priceWindow: 96,
  },
  auditor: {
    zScoreLimit: 3.5,
    staleSeconds: 300,
    window: 50,
  },
};

export const DEFAULT_POLICY: SupervisorPolicy = {
  maxCurtailFraction: 0.5,
  approvalRiskScore: 0.6,
  minDwellS: 300,
  adjustDeadband: 0.15,
  declineHoldS: 1800,
  releaseEveryS: 1800,
  jobTtlS: 8 * 3600,
};

/** Each off-threshold and the on-threshold it must not pass (on the side that would make the band empty). */
export const HYSTERESIS_PAIRS: readonly { agent: keyof AgentThresholds; off: string; on: string; offBelowOn: boolean }[] = [
  { agent: 'traffic', off: 'waitMinutesOff', on: 'waitMinutesHigh', offBelowOn: true },
  { agent: 'logistics', off: 'stockoutOffMinutes', on: 'stockoutMinutes', offBelowOn: false },
  { agent: 'logistics', off: 'surplusOffFraction', on: 'surplusFraction', offBelowOn: true },
  { agent: 'mechanic', off: 'riskMaintenanceOff', on: 'riskMaintenance', offBelowOn: true },
  { agent: 'mechanic', off: 'tempDerateOffC', on: 'tempDerateC', offBelowOn: true },
  { agent: 'energy', off: 'curtailOffFraction', on: 'curtailFraction', offBelowOn: true },
];
