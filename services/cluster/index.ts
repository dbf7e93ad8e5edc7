// Several instances behind one Redis: the Socket.io adapter, partition leases.
export { clusterOptions, RECOVERY_WINDOW_MS, SOCKET_STREAM, SOCKET_STREAM_MAX_LEN } from './socketAdapter.js';
export { LeaseManager, type LeaseOptions } from './leases.js';
