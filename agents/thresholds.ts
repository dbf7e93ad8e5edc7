// Default thresholds and supervisor policy (AGENTS.md). Config may override any of them;
// GET /api/agents reports the values in force.
import type { AgentThresholds, SupervisorPolicy } from '../eventBus/types.js';

export const DEFAULT_THRESHOLDS: AgentThresholds = {
  traffic: {
    waitMinutesHigh: 10,
    minSavingMinutes: 5,
    /** Incentive (station currency) per minute of wait a driver saves by going elsewhere. */
    incentivePerMinute: 0.5,
    hourlyBudget: 50,
    nearbyKm: 10,
  },
  logistics: {
    stockoutMinutes: 60,
    /** A rebalance brings enough packs to last this long at the current net drain. */
    rebalanceTargetMinutes: 120,
    /** Charged packs above this fraction of battery slots are surplus. */
    surplusFraction: 0.8,
    nearbyKm: 15,
    packChargeMinutes: 60,
  },
  mechanic: {
    sohQuarantinePct: 75,
    riskMaintenance: 0.5,
    tempLimitC: 70,
    // OCPP 1.6 ChargePointErrorCode values that mean electrical danger, plus the short forms stations send.
    criticalErrorCodes: ['GroundFailure', 'OverCurrentFailure', 'OverCurrent', 'OverVoltage', 'PowerSwitchFailure'],
    repeatedFaults: 3,
    faultWindowMin: 60,
  },
  energy: {
    curtailFraction: 0.9,
    healthyStockMinutes: 120,
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
};
