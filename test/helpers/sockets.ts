// Waiting for a Socket.io event that matches, without sleeping.
import type { Socket } from 'socket.io-client';

/** Resolves with the first `event` payload for which `match` holds (earlier ones are passed over). */
export function once<T>(socket: Socket, event: string, match: (x: T) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const on = (x: T) => {
      if (!match(x)) return;
      socket.off(event, on);
      resolve(x);
    };
    socket.on(event, on);
  });
}
