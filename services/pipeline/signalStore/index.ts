export type { SignalListing, SignalStore } from './types.js';
export { MongoSignalStore, RETENTION_INDEX } from './mongo.js';
export { EmbeddedSignalStore, SIGNAL_JOURNAL_FILE } from './embedded.js';
export { moveLegacySignals } from './legacy.js';
