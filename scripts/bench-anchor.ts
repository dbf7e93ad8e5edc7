// Anchoring cost (`npm run bench:anchor`): gas per anchored decision when a
// batch of N leaves is anchored as one Merkle root on Hardhat's in-process
// network, where one anchorBatch's gas goes (from the node's opcode trace), and
// the off-chain time to verify one decision's proof.
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import hre from 'hardhat';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { deployAuditLog } from './deploy.js';
import { leafHash, loadKeccak, walkProof } from './verify/merkle.js';

const SIZES = [1, 10, 100, 1_000, 10_000];
const VERIFY_LEAVES = 10_000;
// The targets.
const TARGET_GAS_PER_DECISION_AT_1000 = 50;
const TARGET_VERIFY_MS = 1;

const LEAF_ENCODING = ['string', 'string', 'bytes32'];
type Leaf = [kind: string, refId: string, hash: string];

function leaves(n: number, batch: number): Leaf[] {
  return Array.from({ length: n }, (_, i): Leaf => {
    const refId = `b${batch}-d${i}`;
    return ['decision', refId, '0x' + createHash('sha256').update(`{"id":"${refId}"}`).digest('hex')];
  });
}

interface Row {
  leaves: number;
  buildMs: number;
  gas: bigint;
  txHash: string;
}

interface StructLog {
  op: string;
  gasCost: number;
}

/** Where one transaction's gas went: the intrinsic part, and execution split by opcode from the node's trace. */
async function gasBreakdown(txHash: string, gasUsed: bigint) {
  const tx = await hre.ethers.provider.getTransaction(txHash);
  if (tx === null) throw new Error(`no transaction ${txHash}`);
  const data = hre.ethers.getBytes(tx.data);
  const zeros = data.filter((b) => b === 0).length;
  const calldata = zeros * 4 + (data.length - zeros) * 16;
  const trace = (await hre.network.provider.send('debug_traceTransaction', [txHash, {}])) as { structLogs: StructLog[] };
  const byOp = (ops: string[]) => trace.structLogs.filter((l) => ops.includes(l.op)).reduce((sum, l) => sum + l.gasCost, 0);
  const storage = byOp(['SLOAD', 'SSTORE']);
  const logs = byOp(['LOG0', 'LOG1', 'LOG2', 'LOG3', 'LOG4']);
  const execution = Number(gasUsed) - 21_000 - calldata;
  return { bytes: data.length, zeros, calldata, storage, logs, other: execution - storage - logs };
}

async function main(): Promise<void> {
  await hre.run('compile', { quiet: true });
  const [deployer] = await hre.ethers.getSigners();
  const audit = await deployAuditLog(deployer, { admin: deployer.address, anchorer: deployer.address });

  const rows: Row[] = [];
  let seq = 1;
  let verifyTree: StandardMerkleTree<Leaf> | null = null;
  for (const [b, n] of SIZES.entries()) {
    const t0 = performance.now();
    const tree = StandardMerkleTree.of(leaves(n, b), LEAF_ENCODING);
    const buildMs = performance.now() - t0;
    const receipt = await (await audit.anchorBatch(tree.root, n, seq, seq + n - 1)).wait();
    if (receipt === null) throw new Error(`batch of ${n}: no receipt`);
    rows.push({ leaves: n, buildMs, gas: receipt.gasUsed, txHash: receipt.hash });
    seq += n;
    if (n === VERIFY_LEAVES) verifyTree = tree;
  }
  if (verifyTree === null) throw new Error(`no ${VERIFY_LEAVES}-leaf tree was built`);
  const single = await (await audit.anchorDecision(hre.ethers.id('single'))).wait();

  // Off chain, as the auditor's tool does: recompute the leaf, walk the proof to the root.
  const tree = verifyTree;
  const items = [...tree.entries()].map(([i, value]) => ({ value, proof: tree.getProof(i) }));
  const verifyAll = () => {
    for (const { value, proof } of items) {
      if (!StandardMerkleTree.verify(tree.root, LEAF_ENCODING, value, proof)) throw new Error('a valid proof failed');
    }
  };
  // The same check written out with ethers: the double-hashed leaf, then sorted-pair keccak up to the root.
  const { AbiCoder, concat, keccak256 } = hre.ethers;
  const coder = AbiCoder.defaultAbiCoder();
  const recomputeAll = () => {
    for (const { value, proof } of items) {
      let node = keccak256(keccak256(coder.encode(LEAF_ENCODING, value)));
      for (const sibling of proof) node = keccak256(node < sibling ? concat([node, sibling]) : concat([sibling, node]));
      if (node !== tree.root) throw new Error('a valid proof failed');
    }
  };
  const timePerDecision = (fn: () => void) => {
    fn(); // warm-up
    const t0 = performance.now();
    fn();
    return (performance.now() - t0) / items.length;
  };
  const verifyMsPerDecision = timePerDecision(verifyAll);
  const recomputeMsPerDecision = timePerDecision(recomputeAll);
  // What `npm run verify` does: ethers' ABI encoding, WebAssembly keccak for the hashes.
  await loadKeccak();
  const cliAll = () => {
    for (const { value, proof } of items) {
      if (walkProof(leafHash('decision', value[1], value[2]), proof) !== tree.root) throw new Error('a valid proof failed');
    }
  };
  const cliMsPerDecision = timePerDecision(cliAll);
  // One eth_call per decision against the in-process node, for comparison.
  const onChainSample = items.slice(0, 200);
  const t1 = performance.now();
  for (const { value, proof } of onChainSample) {
    if (!(await audit.verifyLeaf(tree.root, tree.leafHash(value), proof))) throw new Error('verifyLeaf failed');
  }
  const ethCallMs = (performance.now() - t1) / onChainSample.length;

  const fmt = (n: number | bigint, digits = 0) =>
    Number(n).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  console.log('| leaves per batch | anchorBatch gas | gas per decision | tree build (ms) |');
  console.log('| ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(`| ${fmt(r.leaves)} | ${fmt(r.gas)} | ${fmt(Number(r.gas) / r.leaves, 1)} | ${fmt(r.buildMs, 1)} |`);
  }
  console.log('');
  const at1000 = rows.find((r) => r.leaves === 1_000)!;
  const parts = await gasBreakdown(at1000.txHash, at1000.gas);
  // Storage: the role lookup (cold SLOAD, 2,100) and the root's new slot (cold SLOAD 2,100 + SSTORE 0 -> non-zero 20,000).
  console.log(`where the 1,000-leaf anchorBatch's ${fmt(at1000.gas)} gas goes:`);
  const fixed = 21_000 + parts.calldata + parts.storage + parts.logs;
  const line = (label: string, gas: number) => console.log(`  ${label.padEnd(50)} ${fmt(gas).padStart(6)}`);
  line('transaction base', 21_000);
  line(`calldata (${parts.bytes} bytes, ${parts.zeros} zero)`, parts.calldata);
  line('SLOAD + SSTORE (role lookup, new root slot)', parts.storage);
  line('BatchAnchored log (3 topics, 96 data bytes)', parts.logs);
  line('all other opcodes (dispatch, ABI decoding, checks)', parts.other);
  console.log(
    `  the first four are set by the ABI and the one-slot record: ${fmt(fixed)}, leaving ${fmt(1_000 * TARGET_GAS_PER_DECISION_AT_1000 - fixed)} for all code under the target`,
  );
  console.log(`anchorDecision (one transaction per decision): ${fmt(single!.gasUsed)} gas per decision`);
  console.log(`off-chain proof verification, ${fmt(items.length)}-leaf tree (proof length ${items[0].proof.length}), per decision:`);
  console.log(`  StandardMerkleTree.verify:          ${(verifyMsPerDecision * 1000).toFixed(1)} µs`);
  console.log(`  leaf + MerkleProof walk with ethers: ${(recomputeMsPerDecision * 1000).toFixed(1)} µs`);
  console.log(`  npm run verify's check (WebAssembly keccak): ${(cliMsPerDecision * 1000).toFixed(1)} µs`);
  console.log(`verifyLeaf eth_call on the in-process network: ${ethCallMs.toFixed(2)} ms per decision (${onChainSample.length} calls)`);

  const perDecision = Number(at1000.gas) / at1000.leaves;
  console.log('');
  console.log(
    `target gas per decision at 1,000 leaves <= ${TARGET_GAS_PER_DECISION_AT_1000}: ${fmt(perDecision, 1)} ${perDecision <= TARGET_GAS_PER_DECISION_AT_1000 ? 'met' : 'NOT met'}`,
  );
  console.log(
    `target off-chain verification well under ${TARGET_VERIFY_MS} ms per decision: npm run verify's check ${cliMsPerDecision.toFixed(3)} ms ${cliMsPerDecision < TARGET_VERIFY_MS / 2 ? 'met' : 'NOT met'} (StandardMerkleTree.verify ${verifyMsPerDecision.toFixed(3)} ms, ethers ${recomputeMsPerDecision.toFixed(3)} ms)`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
