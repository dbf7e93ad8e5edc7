import { expect } from 'chai';
import { DrainGate } from '../../services/platform/embeddedMongo/drainGate.js';

describe('DrainGate (commands around a remap of the embedded store)', () => {
  it('runs the task once the commands in flight are done, holding the ones that come meanwhile, in order', async () => {
    const gate = new DrainGate();
    const seen: string[] = [];
    let finishFirst!: () => void;
    const first = gate.run(
      () =>
        new Promise<void>((resolve) => {
          finishFirst = () => {
            seen.push('first done');
            resolve();
          };
        }),
    );
    gate.pause(
      async () => {
        seen.push('task');
      },
      () => undefined,
    );
    expect(gate.holding).to.equal(true);
    const later = [1, 2].map((n) => gate.run(async () => void seen.push(`later ${n}`)));
    await new Promise((r) => setImmediate(r));
    expect(seen, 'nothing runs while the first command is in flight').to.deep.equal([]);
    finishFirst();
    await Promise.all([first, ...later]);
    expect(seen).to.deep.equal(['first done', 'task', 'later 1', 'later 2']);
    expect(gate.holding).to.equal(false);
  });

  it('lets commands go on after a task that failed, and says why', async () => {
    const gate = new DrainGate();
    const errors: unknown[] = [];
    gate.pause(
      () => Promise.reject(new Error('no map')),
      (e) => errors.push(e),
    );
    expect(await gate.run(async () => 'answered')).to.equal('answered');
    expect(String(errors[0])).to.match(/no map/);
  });
});
