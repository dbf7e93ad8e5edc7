// RFC 8785 (JCS) canonical JSON and the SHA-256 that decision records are anchored by.
import { createHash } from 'node:crypto';
import canonicalizeJcs from 'canonicalize';

export function canonicalize(value: unknown): string {
  const out = canonicalizeJcs(value);
  if (out === undefined) throw new TypeError('value has no JSON form');
  return out;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function canonicalHash(value: unknown): string {
  return sha256Hex(canonicalize(value));
}
