// The Merkle side of anchoring: trees built in the worker equal those built in-thread,
// proofs read off the stored nodes verify with OpenZeppelin's own check, and the
// sequence-range index finds the batch holding a leaf.
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { LEAF_ENCODING, buildTree, indexOf, leafValue, proofAt, type StoredLeaf } from '../../services/audit/anchoring/leaves.js';
import { TreeBuilder } from '../../services/audit/anchoring/treeBuilder.js';
import { BatchIndex, anchorInfo } from '../../services/audit/anchoring/batchIndex.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const leaves = (n: number): StoredLeaf[] =>
  Array.from({ length: n }, (_, i) => ({
    seq: i + 1,
    kind: i % 2 ? 'explanation' : 'decision',
    refId: `dec-${Math.floor(i / 2)}`,
    hash: sha(`record ${i}`),
    stationId: 'st-1',
  }));

describe('anchoring trees', () => {
  it('proves every leaf of a batch with proofs OpenZeppelin verifies, and finds no leaf that is not there', () => {
    const ls = leaves(37);
    const tree = buildTree(ls.map(leafValue));
    for (const l of ls) {
      const i = indexOf(tree, l);
      expect(i).to.be.at.least(0);
      const { leaf, proof } = proofAt(tree, i);
      expect(StandardMerkleTree.verify(tree.root, [...LEAF_ENCODING], leafValue(l), proof)).to.equal(true);
      expect(leaf).to.equal(StandardMerkleTree.of([leafValue(l)], [...LEAF_ENCODING]).leafHash(leafValue(l)));
    }
    expect(indexOf(tree, { ...ls[3], hash: sha('edited') })).to.equal(-1);
    expect(indexOf(tree, { ...ls[0], kind: 'explanation' })).to.equal(-1);
    const { proof } = proofAt(tree, 0);
    const flipped = [...proof];
    flipped[0] = `0x${'00'.repeat(32)}`;
    expect(StandardMerkleTree.verify(tree.root, [...LEAF_ENCODING], tree.values[0].value, flipped)).to.equal(false);
  });

  it('builds the same tree in the worker thread as in this one', async () => {
    const builder = new TreeBuilder();
    try {
      const values = leaves(101).map(leafValue);
      const [a, b] = await Promise.all([builder.build(values), builder.build(values.slice(0, 1))]);
      expect(a).to.deep.equal(buildTree(values));
      expect(b.root).to.equal(buildTree(values.slice(0, 1)).root);
      await builder.build([['decision', 'x', 'not-hex']]).then(
        () => expect.fail('a malformed leaf must be refused'),
        (err: Error) => expect(err.message).to.contain('building a Merkle tree failed'),
      );
    } finally {
      await builder.close();
    }
  });

  it('finds the batch covering a sequence number and reports its state', () => {
    const index = new BatchIndex(3);
    const batch = (batchId: number, firstSeq: number, lastSeq: number) => ({
      batchId,
      firstSeq,
      lastSeq,
      root: `0x${batchId}`,
      status: 'queued' as const,
    });
    index.add(batch(1, 1, 4));
    index.add(batch(2, 5, 9));
    index.add(batch(3, 12, 20));
    index.add(batch(4, 21, 21));
    expect(index.size).to.equal(3);
    expect(index.find(2)).to.equal(undefined);
    expect(index.find(5)?.batchId).to.equal(2);
    expect(index.find(15)?.batchId).to.equal(3);
    expect(index.find(21)?.batchId).to.equal(4);
    expect(index.find(10)).to.equal(undefined);
    expect(index.lastSeq).to.equal(21);
    index.update(3, { status: 'anchored', txHash: '0xabc', blockNumber: 7, chainId: 31337, contract: '0xc' });
    expect(anchorInfo(index.find(13)!, 13)).to.deep.equal({
      status: 'anchored',
      seq: 13,
      batch: 3,
      root: '0x3',
      txHash: '0xabc',
      blockNumber: 7,
      chainId: 31337,
      contract: '0xc',
    });
    index.update(4, { status: 'failed', reason: 'refused' });
    expect(anchorInfo(index.find(21)!, 21)).to.include({ status: 'failed', reason: 'refused' });
  });
});
