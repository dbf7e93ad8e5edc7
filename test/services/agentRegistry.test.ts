import { expect } from 'chai';
import { mergeThresholds } from '../../services/pipeline/agentRegistry.js';
import { DEFAULT_THRESHOLDS } from '../../agents/thresholds.js';
import { AppError } from '../../services/platform/errors.js';

describe('threshold overrides', () => {
  it('deep-merges known keys and leaves the rest at their defaults', () => {
    const t = mergeThresholds(DEFAULT_THRESHOLDS, { traffic: { waitMinutesHigh: 8 } });
    expect(t.traffic.waitMinutesHigh).to.equal(8);
    expect(t.traffic.hourlyBudget).to.equal(DEFAULT_THRESHOLDS.traffic.hourlyBudget);
    expect(t.energy).to.deep.equal(DEFAULT_THRESHOLDS.energy);
  });
  const bad: [Record<string, unknown>, string][] = [
    [{ trafic: {} }, 'AGENT_THRESHOLDS.trafic'],
    [{ traffic: { waitMinutesHigh: 'ten' } }, 'AGENT_THRESHOLDS.traffic.waitMinutesHigh'],
    [{ traffic: { waitMinutesHigh: -1 } }, 'AGENT_THRESHOLDS.traffic.waitMinutesHigh'],
    [{ traffic: 5 }, 'AGENT_THRESHOLDS.traffic'],
    [{ mechanic: { criticalErrorCodes: [1] } }, 'AGENT_THRESHOLDS.mechanic.criticalErrorCodes'],
  ];
  for (const [over, field] of bad) {
    it(`rejects ${JSON.stringify(over)} naming ${field}`, () => {
      try {
        mergeThresholds(DEFAULT_THRESHOLDS, over);
        expect.fail('should throw');
      } catch (err) {
        expect(err).to.be.instanceOf(AppError);
        expect((err as AppError).details[0].field).to.equal(field);
      }
    });
  }
});
