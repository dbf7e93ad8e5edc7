// One listener's throw or rejection is reported where it happened and never stops the others.
import { expect } from 'chai';
import { createEventBus, listen } from '../../eventBus/index.js';
import type { ExplanationOutcome } from '../../eventBus/index.js';

describe('isolated bus listeners', () => {
  const outcome: ExplanationOutcome = { id: 'd-1', stationId: 's-1', result: 'accepted' };

  it('a throwing listener is reported and the next listener still runs; the emitter does not see the throw', () => {
    const bus = createEventBus();
    const reported: { where: string; message: string }[] = [];
    const sink = (where: string, err: unknown) => reported.push({ where, message: (err as Error).message });
    const seen: string[] = [];
    listen(
      bus,
      'explanation.outcome',
      'first',
      () => {
        throw new Error('boom');
      },
      sink,
    );
    listen(bus, 'explanation.outcome', 'second', (e) => seen.push(e.id), sink);
    expect(() => bus.emit('explanation.outcome', outcome)).to.not.throw();
    expect(seen).to.deep.equal(['d-1']);
    expect(reported).to.deep.equal([{ where: 'first', message: 'boom' }]);
  });

  it('a rejected async listener is reported under its name', async () => {
    const bus = createEventBus();
    const reported = new Promise<string>((resolve) => {
      listen(
        bus,
        'explanation.outcome',
        'async-one',
        async () => {
          throw new Error('later');
        },
        (where, err) => resolve(`${where}: ${(err as Error).message}`),
      );
    });
    bus.emit('explanation.outcome', outcome);
    expect(await reported).to.equal('async-one: later');
  });

  it('the returned function unsubscribes', () => {
    const bus = createEventBus();
    let n = 0;
    const off = listen(
      bus,
      'explanation.outcome',
      'counter',
      () => n++,
      () => undefined,
    );
    bus.emit('explanation.outcome', outcome);
    off();
    bus.emit('explanation.outcome', outcome);
    expect(n).to.equal(1);
    expect(bus.listenerCount('explanation.outcome')).to.equal(0);
  });
});
