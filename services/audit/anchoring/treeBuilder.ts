// Builds Merkle trees in a worker thread: hashing a 1,000-leaf tree takes ~200 ms of
// pure-JS keccak here, which on the main thread would stall ingestion for as long.
import { Worker } from 'node:worker_threads';
import type { AnchorTree, LeafValue } from './leaves.js';
import { LEAF_ENCODING } from './leaves.js';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { StandardMerkleTree } = require(workerData.lib);
parentPort.on('message', ({ id, values }) => {
  try {
    const dump = StandardMerkleTree.of(values, workerData.encoding).dump();
    parentPort.postMessage({ id, tree: { root: dump.tree[0], nodes: dump.tree, values: dump.values } });
  } catch (err) {
    parentPort.postMessage({ id, error: String((err && err.message) || err) });
  }
});
`;

export class TreeBuilder {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(t: AnchorTree): void; reject(e: Error): void }>();

  private start(): Worker {
    const w = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { lib: require.resolve('@openzeppelin/merkle-tree'), encoding: [...LEAF_ENCODING] },
    });
    w.on('message', (m: { id: number; tree?: AnchorTree; error?: string }) => {
      const p = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.tree) p?.resolve(m.tree);
      else p?.reject(new Error(`building a Merkle tree failed: ${m.error}`));
    });
    // A crashed worker fails what it held; the next build starts a new one.
    w.on('error', (err) => this.fail(err));
    w.on('exit', () => {
      if (this.worker === w) this.worker = null;
      this.fail(new Error('the Merkle tree worker exited'));
    });
    return w;
  }

  private fail(err: Error): void {
    for (const p of this.waiting.values()) p.reject(err);
    this.waiting.clear();
  }

  build(values: LeafValue[]): Promise<AnchorTree> {
    this.worker ??= this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker!.postMessage({ id, values });
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}
