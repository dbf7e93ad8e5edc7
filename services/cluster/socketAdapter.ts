// Several copilots behind one Redis: Socket.io broadcasts go through a Redis stream (the Redis Streams
// adapter), so a dashboard on any instance gets the events of every instance, and a dashboard that
// reconnects within the recovery window is sent what it missed (connection-state recovery, read back
// from the same stream). Without Redis there is one process and the in-memory adapter.
import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { ServerOptions } from 'socket.io';
import type { Cache } from '../platform/index.js';
import { RedisCache } from '../platform/index.js';

/** The Redis stream the instances broadcast through. */
export const SOCKET_STREAM = 'copilot:sio';
/**
 * Entries kept in that stream (trimmed approximately): it bounds Redis's memory and how far back a
 * reconnecting dashboard can be caught up. Dashboards that ask for `every` put a station at most once
 * per interval in it, those that follow every signal once per signal.
 */
export const SOCKET_STREAM_MAX_LEN = 50_000;
/** A dashboard that reconnects within this is sent what it missed; later, it reads the state again. */
export const RECOVERY_WINDOW_MS = 2 * 60_000;

/**
 * The Socket.io server options for the cache in use: clustered through Redis, or none; `close` ends the
 * adapter's own connection once the server is closed.
 */
export function clusterOptions(cache: Cache): { options: Partial<ServerOptions>; close(): void } {
  if (!(cache instanceof RedisCache)) return { options: {}, close: () => undefined };
  // Its own connection, which (unlike the cache's) holds commands while Redis is away and sends them
  // when it is back, a few reconnections at most: the stream readers block on it, and a broadcast made
  // during a short outage still goes out. The adapter makes its readers from it.
  const client = cache.client.duplicate({ enableOfflineQueue: true, commandTimeout: undefined, maxRetriesPerRequest: 3 });
  client.on('error', () => undefined);
  const options: Partial<ServerOptions> = {
    adapter: createAdapter(client, {
      streamName: SOCKET_STREAM,
      maxLen: SOCKET_STREAM_MAX_LEN,
      // How long a closing server's reader may still block on the stream.
      blockTimeInMs: 1000,
      sessionKeyPrefix: 'copilot:sio:session:',
      channelPrefix: 'copilot:sio',
      onlyPlaintext: true,
    }),
    // Recovered sockets go through the handshake's authentication again (a revoked token stays out).
    connectionStateRecovery: { maxDisconnectionDuration: RECOVERY_WINDOW_MS, skipMiddlewares: false },
  };
  return { options, close: () => client.disconnect() };
}
