// The pure recomputations behind `npm run verify`, written from the published formats alone:
// RFC 8785 canonical JSON (erdtman's `canonicalize`, not the server's library), SHA-256,
// OpenZeppelin StandardMerkleTree leaves and OpenZeppelin MerkleProof's sorted-pair walk.
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { AbiCoder, getBytes, hexlify, keccak256 } from 'ethers';
import { createKeccak, type IHasher } from 'hash-wasm';

/** The ABI types of a leaf's values: (kind, id of the record, 0x + SHA-256 of its canonical JSON). */
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
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
}

let wasmKeccak: IHasher | null = null;

/**
 * Loads the WebAssembly keccak (hash-wasm): about 1 us a hash here against about 15 us for the pure-JS
 * one in ethers, which keeps checking a proof well under a millisecond. Until it is loaded, ethers hashes.
 */
export async function loadKeccak(): Promise<void> {
  wasmKeccak ??= await createKeccak(256);
}

function keccak(data: Uint8Array): Uint8Array {
  if (wasmKeccak === null) return getBytes(keccak256(data));
  wasmKeccak.init();
  wasmKeccak.update(data);
  return wasmKeccak.digest('binary');
}

/** StandardMerkleTree leaf: keccak256(keccak256(abi.encode(kind, refId, 0x + hash))). */
export function leafHash(kind: LeafKind, refId: string, sha256Hex: string): string {
  const hash = sha256Hex.startsWith('0x') ? sha256Hex : `0x${sha256Hex}`;
  const encoded = AbiCoder.defaultAbiCoder().encode(LEAF_ENCODING, [kind, refId, hash]);
  return hexlify(keccak(keccak(getBytes(encoded))));
}

function pairOf(a: Uint8Array, b: Uint8Array): Uint8Array {
  // MerkleProof._hashPair: the smaller node (as a big-endian number) first.
  return keccak(Buffer.compare(a, b) < 0 ? Buffer.concat([a, b]) : Buffer.concat([b, a]));
}

/** Parent of two nodes, as MerkleProof._hashPair: the smaller one first. */
export function hashPair(a: string, b: string): string {
  return hexlify(pairOf(getBytes(a), getBytes(b)));
}

/** The root that `proof` leads to from `leaf` (MerkleProof.processProof). */
export function walkProof(leaf: string, proof: readonly string[]): string {
  return hexlify(proof.reduce<Uint8Array>((node, sibling) => pairOf(node, getBytes(sibling)), getBytes(leaf)));
}
