// Several instances behind one Redis: the Socket.io adapter, partition leases.
export { clusterOptions, RECOVERY_WINDOW_MS, SOCKET_STREAM, SOCKET_STREAM_MAX_LEN } from './socketAdapter.js';
export { LeaseManager, type LeaseOptions } from './leases.js';
export { SignalStream, compareIds, GROUP, type StreamEntry } from './signalStream.js';
export { StreamConsumer, leaseName, type PartitionHandler } from './streamConsumer.js';
export { createStreamLog, type StreamLog } from './streamLog.js';
export { syncStations, STATIONS_CHANNEL, type StationSync } from './stationSync.js';
export { anchoringLease, ANCHORING_LEASE, type AnchoringLease } from './anchoringLease.js';
