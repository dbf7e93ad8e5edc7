// The agents' thresholds and the supervisor's policy (AGENTS.md, DECISIONS.md): what config and
// `PATCH /api/agents/:name` may change. Re-exported by types.ts, so importers need not know the split.

export interface AgentThresholds {
  traffic: {
    waitMinutesHigh: number;
    /** Hysteresis: traffic actions in force stay until the predicted wait falls below this. */
    waitMinutesOff: number;
    minSavingMinutes: number;
    /** Average driving speed to a nearby station: an incentive's saving counts the drive (default 30 km/h). */
    driveSpeedKmh: number;
    incentivePerMinute: number;
    hourlyBudget: number;
    nearbyKm: number;
    /** Share of arriving drivers expected to take an offer and drive to the other station. */
    acceptanceShare: number;
    /** No herding: drivers sent to one station (from every station's offers) stay under this share of its swap capacity. */
    herdShare: number;
    /**
     * Drivers are sent only where a charged pack waits for them: the target's shelf, less packs pledged
     * to rebalances, must outlast this many minutes of its own net drain plus every offer's drivers.
     */
    packCoverMinutes: number;
  };
  logistics: {
    stockoutMinutes: number;
    /** Hysteresis: stock actions in force stay until the stockout is further away than this. */
    stockoutOffMinutes: number;
    rebalanceTargetMinutes: number;
    surplusFraction: number;
    /** Hysteresis: an offered surplus stays offered while charged packs exceed this fraction of slots. */
    surplusOffFraction: number;
    nearbyKm: number;
    /** Minutes to recharge one pack; sets the recharge rate in the stockout estimate (default 60). */
    packChargeMinutes?: number;
    /** A transport's average speed between stations, km/h: with loadMinutes, when packs arrive. */
    transportSpeedKmh: number;
    /** Minutes from a rebalance request until the packs leave the donor (it can be cancelled until then). */
    loadMinutes: number;
  };
  mechanic: {
    sohQuarantinePct: number;
    riskMaintenance: number;
    /** Hysteresis: maintenance in force stays until the risk falls below this. */
    riskMaintenanceOff: number;
    tempLimitC: number;
    /** A charger at or above this temperature is derated (a kW setpoint) before it reaches the limit. */
    tempDerateC: number;
    /** Hysteresis: a derate stays until the charger cools below this. */
    tempDerateOffC: number;
    /** The kW setpoint a derated charger runs at. */
    derateKW: number;
    /** A derate stays at least this long (minutes): a charger's heat changes over tens of minutes. */
    derateMinMinutes: number;
    criticalErrorCodes: string[];
    repeatedFaults: number;
    faultWindowMin: number;
  };
  energy: {
    curtailFraction: number;
    /** Hysteresis: a curtailment stays until the draw falls below this fraction of the limit. */
    curtailOffFraction: number;
    /** Charging is deferred on price only if the stock, not recharged, lasts this long (or the dear window and the margin, if shorter). */
    healthyStockMinutes: number;
    /** Minutes the stock must last beyond the end of a dear price window, without recharge, for charging to be deferred through it. */
    deferMarginMinutes: number;
    /** A price at least this many times the window's median is a spike: worth deferring through on a thinner stock margin. */
    spikeRatio: number;
    priceWindow: number;
  };
  auditor: {
    zScoreLimit: number;
    staleSeconds: number;
    window: number;
  };
}

export interface SupervisorPolicy {
  /** Fraction of planned draw above which curtailment needs approval. */
  maxCurtailFraction: number;
  /** Risk score at or above which a decision needs an operator. */
  approvalRiskScore: number;
  /** Seconds an action stays in force at least, once started, unless a rule supersedes it. */
  minDwellS: number;
  /** Relative change of a numeric parameter (0.15 = 15 %) below which a standing action is not adjusted. */
  adjustDeadband: number;
  /** Seconds an action an operator rejected is not proposed again. */
  declineHoldS: number;
  /**
   * Releases alone (actions nobody wants any more) wait until this long after the plan's last
   * change, so they go out together, or with the next change, instead of one decision each.
   */
  releaseEveryS: number;
  /** Seconds a job (scheduled maintenance, a level-2 ticket) stays in force unless an operator ends it sooner. */
  jobTtlS: number;
}
