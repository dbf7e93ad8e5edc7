// Several instances: a charge point is connected to one of them, while its station's plan changes on
// the instance working the station's partition. A command for a charge point not connected here is put
// to the other instances as a server-side event of the Socket.io cluster (the Redis Streams adapter);
// the one holding the connection sends it and answers with the charge point's answer, the others with
// null. One instance alone has no peers.
import type { Call, CallResult } from './actuator.js';

/** What this needs of the Socket.io namespace: server-side events with acknowledgements. */
export interface PeerBus {
  on(event: string, fn: (...args: unknown[]) => void): unknown;
  serverSideEmit(event: string, ...args: unknown[]): unknown;
}

const EVENT = 'ocpp:call';

export interface Peers {
  /** The holder's answer, or null when no other instance holds the charge point (or none answered in time). */
  send(call: Call, leftMs: number): Promise<CallResult | null>;
}

/**
 * Serves other instances' commands for the charge points connected here (`here`), and answers a
 * `Peers` for this instance's own. The adapter waits at most 5 s for every instance's answer; a slower
 * charge point counts as no answer.
 */
export function peersOver(
  bus: PeerBus,
  here: { holds(identity: string): boolean; send(call: Call, deadline: number): Promise<CallResult> },
): Peers {
  bus.on(EVENT, (call: unknown, leftMs: unknown, ack: unknown) => {
    const reply = typeof ack === 'function' ? (ack as (r: CallResult | null) => void) : () => undefined;
    const c = call as Call;
    if (typeof c?.identity !== 'string' || !here.holds(c.identity) || typeof leftMs !== 'number') return reply(null);
    here.send(c, performance.now() + leftMs).then(reply, () => reply(null));
  });
  return {
    send: (call, leftMs) =>
      new Promise((resolve) => {
        bus.serverSideEmit(EVENT, call, leftMs, (_err: unknown, responses: unknown[] | undefined) =>
          resolve(((responses ?? []).find((r) => r !== null && typeof r === 'object') as CallResult | undefined) ?? null),
        );
      }),
  };
}
