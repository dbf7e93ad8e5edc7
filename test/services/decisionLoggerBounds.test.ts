// The decision logger holds a record in memory only until its insert settles, stored or failed.
import { expect } from 'chai';
import { decide } from '../../agents/index.js';
import { DEFAULT_POLICY } from '../../agents/thresholds.js';
import { createEventBus } from '../../eventBus/index.js';
import type { DecisionLogDoc } from '../../models/index.js';
import { createMetrics, type BatchWriter } from '../../services/platform/index.js';
import { DecisionLogger } from '../../services/pipeline/decisionLogger.js';
import { applySignal, cloneState } from '../../services/pipeline/stationFold.js';
import { T0, aContext, aSignal, aStation } from '../builders.js';

describe('decision logger bounds', () => {
  it('forgets each record once its insert settles, whether it was stored or refused', async () => {
    const before = aStation();
    const signal = aSignal('charger_status', { chargerId: 'C1', status: 'faulted', errorCode: 'GroundFailure' }, { id: 'gf-1', ts: T0 });
    const state = applySignal(cloneState(before), signal);
    const { decision } = decide(state, signal, aContext(), DEFAULT_POLICY);
    const inserts: { resolve(): void; reject(e: Error): void }[] = [];
    const writer = {
      append: () => new Promise<void>((resolve, reject) => inserts.push({ resolve, reject })),
    } as unknown as BatchWriter<DecisionLogDoc>;
    const errors: unknown[] = [];
    const logger = new DecisionLogger({
      bus: createEventBus(),
      writer,
      metrics: createMetrics(),
      anchoring: { enqueue: (leaves) => leaves.map((_, i) => i + 1) },
      template: { promptVersion: 't', explain: () => 'text' },
      onError: (err) => errors.push(err),
    });
    const ids = Array.from({ length: 200 }, (_, i) => `dec-${i}`);
    for (const id of ids) logger.log({ ...decision!, id }, state, 0);
    expect(logger.peek('dec-0')).to.not.equal(undefined);
    inserts.forEach((p, i) => (i % 2 ? p.reject(new Error('writer closed')) : p.resolve()));
    await Promise.all(ids.map((id) => logger.stored(id)));
    expect(ids.filter((id) => logger.peek(id) !== undefined)).to.deep.equal([]);
    expect(errors).to.have.length(100);
  });
});
