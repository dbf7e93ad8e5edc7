// Type tests: `npm test` runs `tsc --noEmit` over this file, so a wrongly typed emit or listener
// that compiles would fail the build through an unused @ts-expect-error.
import { expect } from 'chai';
import { createEventBus, type ArgOf } from '../../eventBus/index.js';

describe('typed event bus', () => {
  it('delivers a typed payload to a listener', () => {
    const bus = createEventBus();
    const seen: ArgOf<'decision.explained'>[] = [];
    bus.on('decision.explained', (e) => seen.push(e));
    bus.emit('decision.explained', {
      id: 'dec-1',
      stationId: 'st-1',
      explanation: { text: 't', source: 'template', promptVersion: 'v', hash: 'h' },
    });
    expect(seen.map((e) => e.id)).to.deep.equal(['dec-1']);
  });

  it('rejects wrongly typed emits and listeners at compile time', () => {
    const bus = createEventBus();
    const compileOnly = () => {
      // @ts-expect-error unknown event name
      bus.emit('decision.exploded', {});
      // @ts-expect-error payload missing required fields
      bus.emit('decision.explained', { id: 'dec-1' });
      // Payloads kept apart from the emits, so each error stays on the line its directive names.
      const wrongIdType = {
        id: 1,
        stationId: 'st-1',
        explanation: { text: 't', source: 'template' as const, promptVersion: 'v', hash: 'h' },
      };
      const unknownSource = {
        id: 'd',
        stationId: 's',
        explanation: { text: 't', source: 'oracle' as const, promptVersion: 'v', hash: 'h' },
      };
      // @ts-expect-error wrong field type
      bus.emit('decision.explained', wrongIdType);
      // @ts-expect-error explanation source outside the union
      bus.emit('decision.explained', unknownSource);
      // @ts-expect-error listener reads a field the payload does not have
      bus.on('station.updated', (e) => e.decision);
    };
    expect(compileOnly).to.be.a('function');
  });
});
