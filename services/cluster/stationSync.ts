// Stations registered, removed or resized on one instance, taken in by the others: an instance that
// changed its registry says so on a Redis channel, and every other one reads the registry again from
// the database (which holds the change already). Without Redis there is one instance and nothing to tell.
import { randomUUID } from 'node:crypto';
import { RedisCache, type Cache } from '../platform/index.js';

export const STATIONS_CHANNEL = 'copilot:stations';

export interface StationSync {
  /** Tell the other instances (after a change here). */
  announce(): void;
  stop(): void;
}

export async function syncStations(
  cache: Cache,
  stations: { refresh(): Promise<string[]> },
  onError: (err: unknown) => void,
): Promise<StationSync> {
  if (!(cache instanceof RedisCache)) return { announce: () => undefined, stop: () => undefined };
  const me = randomUUID();
  // A subscribed connection takes no other commands; it waits through an outage and subscribes again.
  const sub = cache.client.duplicate({ enableOfflineQueue: true, commandTimeout: undefined, maxRetriesPerRequest: null });
  sub.on('error', () => undefined);
  let running: Promise<unknown> | null = null;
  let again = false;
  const refresh = () => {
    // One refresh at a time; a notice during one makes one more after it.
    if (running) {
      again = true;
      return;
    }
    running = stations
      .refresh()
      .catch(onError)
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          refresh();
        }
      });
  };
  sub.on('message', (_channel: string, from: string) => {
    if (from !== me) refresh();
  });
  await sub.subscribe(STATIONS_CHANNEL);
  return {
    announce: () => void cache.client.publish(STATIONS_CHANNEL, me).catch(onError),
    stop: () => sub.disconnect(),
  };
}
