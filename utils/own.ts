// Lookups keyed by ids that come from outside (a charger id, a pack id): only the map's own entries
// count, so "constructor", "toString" or "hasOwnProperty" are ordinary ids and never reach
// Object.prototype (a plain-object lookup would return its function and write onto it).

/** The map's own entry for `key`, or undefined. */
export function own<T>(map: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}
