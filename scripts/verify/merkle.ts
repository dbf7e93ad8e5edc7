// The pure recomputations behind `npm run verify`, written from the published formats alone:
// RFC 8785 canonical JSON (erdtman's `canonicalize`, not the server's library), SHA-256,
// OpenZeppelin StandardMerkleTree leaves and OpenZeppelin MerkleProof's sorted-pair walk.
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { AbiCoder, concat, keccak256 } from 'ethers';

/** The ABI types of a leaf's values: (kind, id of the record, 0x + SHA-256 of its canonical JSON). */
export const LEAF_ENCODING = ['string', 'string', 'bytes32'] as const;

export type LeafKind = 'decision' | 'explanation' | 'approval';

/** RFC 8785 text of `value`; throws when it has none (a lone surrogate, a non-finite number). */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('the value has no JSON form');
  return text;
}

/** SHA-256 (64 lowercase hex characters, no 0x) of the RFC 8785 text of `value`. */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
}

/** StandardMerkleTree leaf: keccak256(keccak256(abi.encode(kind, refId, 0x + hash))). */
export function leafHash(kind: LeafKind, refId: string, sha256Hex: string): string {
  const hash = sha256Hex.startsWith('0x') ? sha256Hex : `0x${sha256Hex}`;
  const encoded = AbiCoder.defaultAbiCoder().encode(LEAF_ENCODING, [kind, refId, hash]);
  return keccak256(keccak256(encoded));
}

/** Parent of two nodes, as MerkleProof._hashPair: the smaller one first. */
export function hashPair(a: string, b: string): string {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  // Equal-length lowercase hex orders the same way as the bytes it spells.
  return x < y ? keccak256(concat([x, y])) : keccak256(concat([y, x]));
}

/** The root that `proof` leads to from `leaf` (MerkleProof.processProof). */
export function walkProof(leaf: string, proof: readonly string[]): string {
  return proof.reduce<string>((node, sibling) => hashPair(node, sibling), leaf.toLowerCase());
}
