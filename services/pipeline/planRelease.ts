// An operator ends an action only they may end (a level-3 isolation with its ticket, a quarantine).
// The request is checked against the station's plan, then goes in as an `operator_release` signal
// through the same ingestion as every other signal: stored in the signal log, folded and decided,
// so a replay of the log makes the same decision with the same hash.
import { randomUUID } from 'node:crypto';
import type { DecisionRecord, Signal } from '../../eventBus/types.js';
import { decisionIdOf, isSticky } from '../../agents/index.js';
import { AppError } from '../platform/index.js';
import type { DecisionQuery } from './decisionQuery.js';
import type { IngestionService } from './ingestion.js';
import type { StationStore } from './stationStore.js';

export class PlanReleaseService {
  constructor(
    private readonly deps: {
      stations: Pick<StationStore, 'get'>;
      ingestion: Pick<IngestionService, 'ingestOwn'>;
      decisions: Pick<DecisionQuery, 'get'>;
    },
  ) {}

  /** The decision that took the action (and, with a charger's isolation, its level-3 ticket) out of the plan. */
  async release(stationId: string, actionId: string, by: string, note: string | null): Promise<DecisionRecord> {
    const state = this.deps.stations.get(stationId);
    if (!state) throw new AppError(404, 'UNKNOWN_STATION', `station ${stationId} is not registered`, [{ field: 'id' }]);
    const action = state.plan.actions.find((a) => a.id === actionId);
    if (!action) throw new AppError(409, 'NOT_IN_PLAN', `${actionId} is not in station ${stationId}'s plan`, [{ field: 'actionId' }]);
    if (!isSticky(action))
      throw new AppError(
        409,
        'NOT_OPERATOR_RELEASABLE',
        `${actionId} ends by itself when it is no longer needed; an operator ends only a level-3 isolation, its ticket or a quarantine`,
        [{ field: 'actionId' }],
      );
    // Agents judge on signal time: the release comes after the evidence already in, even when the
    // station's clock runs ahead of this one (a simulation).
    const last = state.updatedAt === null ? 0 : Date.parse(state.updatedAt);
    const signal: Signal = {
      id: `op-${randomUUID()}`,
      stationId,
      type: 'operator_release',
      ts: new Date(Math.max(Date.now(), last)).toISOString(),
      payload: { actionId, by, note },
    };
    const result = await this.deps.ingestion.ingestOwn(signal, performance.now());
    const refused = result.rejected[0];
    if (refused) throw new Error(`the release signal was refused: ${refused.error.field}: ${refused.error.message}`);
    // The decision is made while the signal is taken in (the bus is synchronous), so it is there now.
    const decision = await this.deps.decisions.get(decisionIdOf(signal));
    if (!decision)
      throw new AppError(409, 'NOT_IN_PLAN', `${actionId} left station ${stationId}'s plan meanwhile; nothing was released`, [
        { field: 'actionId' },
      ]);
    return decision;
  }
}
