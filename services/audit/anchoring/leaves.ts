// What is anchored: leaves of kind + ref id + SHA-256, built into OpenZeppelin
// StandardMerkleTrees (double-hashed leaves, sorted pairs: what MerkleProof.verify accepts).
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { getProof } from '@openzeppelin/merkle-tree/dist/core.js';

/** Kinds of record that get a leaf of their own. */
export type LeafKind = 'decision' | 'explanation' | 'approval' | 'outcome' | 'admin';

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

/**
 * A built tree as OpenZeppelin's StandardMerkleTree dumps it: every node (root first) and each
 * value with its node index. Proofs are read off the nodes without hashing anything again.
 */
export interface AnchorTree {
  root: string;
  nodes: string[];
  values: { value: LeafValue; treeIndex: number }[];
}

/** Builds the tree in this thread: about 0.2 ms per leaf here (pure-JS keccak), so large batches go to the TreeBuilder worker. */
export function buildTree(values: LeafValue[]): AnchorTree {
  const dump = StandardMerkleTree.of(values, [...LEAF_ENCODING]).dump();
  return { root: dump.tree[0], nodes: dump.tree, values: dump.values };
}

/** The leaf's position among the tree's values, or -1. */
export function indexOf(tree: AnchorTree, l: Pick<StoredLeaf, 'kind' | 'refId' | 'hash'>): number {
  const want = leafValue(l);
  return tree.values.findIndex(({ value: v }) => v[0] === want[0] && v[1] === want[1] && v[2].toLowerCase() === want[2]);
}

/** The leaf hash at a value position and its proof (sibling hashes up to the root). */
export function proofAt(tree: AnchorTree, i: number): { leaf: string; proof: string[] } {
  const at = tree.values[i].treeIndex;
  return { leaf: tree.nodes[at], proof: getProof(tree.nodes, at) };
}
