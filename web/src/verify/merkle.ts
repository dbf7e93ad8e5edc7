// The recomputations behind the console's Verify, from the published formats alone (docs/verify.md):
// RFC 8785 canonical JSON, SHA-256, OpenZeppelin StandardMerkleTree leaves and MerkleProof's sorted-pair walk.
import canonicalize from 'canonicalize';
import { AbiCoder, concat, keccak256, sha256, toUtf8Bytes } from 'ethers';

export const LEAF_ENCODING = ['string', 'string', 'bytes32'] as const;

export type LeafKind = 'decision' | 'explanation' | 'approval' | 'outcome';

/** RFC 8785 text of `value`; throws when it has none (a lone surrogate, a non-finite number). */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('the value has no JSON form');
  return text;
}

/** SHA-256 (64 lowercase hex characters, no 0x) of the RFC 8785 text of `value`. */
export function contentHash(value: unknown): string {
  return sha256(toUtf8Bytes(canonicalJson(value))).slice(2);
}

/** StandardMerkleTree leaf: keccak256(keccak256(abi.encode(kind, refId, 0x + hash))). */
export function leafHash(kind: LeafKind, refId: string, sha256Hex: string): string {
  const hash = sha256Hex.startsWith('0x') ? sha256Hex : `0x${sha256Hex}`;
  return keccak256(keccak256(AbiCoder.defaultAbiCoder().encode(LEAF_ENCODING, [kind, refId, hash])));
}

/** MerkleProof._hashPair: the smaller node first. Equal-length lowercase hex compares as the bytes do. */
export function hashPair(a: string, b: string): string {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  return keccak256(x < y ? concat([x, y]) : concat([y, x]));
}

/** The root that `proof` leads to from `leaf` (MerkleProof.processProof). */
export function walkProof(leaf: string, proof: readonly string[]): string {
  return proof.reduce((node, sibling) => hashPair(node, sibling), leaf.toLowerCase());
}
