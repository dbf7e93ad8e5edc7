// What is anchored: leaves of kind + ref id + SHA-256, built into OpenZeppelin
// StandardMerkleTrees (double-hashed leaves, sorted pairs: what MerkleProof.verify accepts).
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';

/** Kinds of record that get a leaf of their own. */
export type LeafKind = 'decision' | 'explanation' | 'approval' | 'admin';

/** The ABI types of a leaf's values: kind, ref id, 0x-prefixed SHA-256 of the record's canonical JSON. */
export const LEAF_ENCODING = ['string', 'string', 'bytes32'] as const;
export type LeafValue = [kind: string, refId: string, hash: string];

/** One leaf as a batch stores it: the tree value plus where it belongs (sequence number, station). */
export interface StoredLeaf {
  seq: number;
  kind: LeafKind;
  refId: string;
  /** SHA-256 hex, no 0x (as records carry it). */
  hash: string;
  stationId?: string;
}

export function leafValue(l: Pick<StoredLeaf, 'kind' | 'refId' | 'hash'>): LeafValue {
  return [l.kind, l.refId, `0x${l.hash}`];
}

export type AnchorTree = StandardMerkleTree<LeafValue>;

export function buildTree(leaves: readonly StoredLeaf[]): AnchorTree {
  return StandardMerkleTree.of(leaves.map(leafValue), [...LEAF_ENCODING]);
}

/** The leaf's index in the tree (trees sort their leaves), or -1. */
export function indexOf(tree: AnchorTree, l: Pick<StoredLeaf, 'kind' | 'refId' | 'hash'>): number {
  const want = leafValue(l);
  for (const [i, v] of tree.entries()) {
    if (v[0] === want[0] && v[1] === want[1] && v[2].toLowerCase() === want[2]) return i;
  }
  return -1;
}
