import { expect } from 'chai';
import { BatchWriter } from '../../services/platform/batchWriter.js';

function writer(opts: { failFirst?: number; maxBatch?: number; lingerMs?: number; gate?: Promise<void> } = {}) {
  const batches: number[][] = [];
  let failures = opts.failFirst ?? 0;
  const errors: number[] = [];
  const w = new BatchWriter<number>({
    name: 'test',
    lingerMs: opts.lingerMs ?? 0,
    maxBatch: opts.maxBatch ?? 100,
    maxInflight: 1,
    maxBackoffMs: 5,
    insert: async (docs) => {
      if (opts.gate) await opts.gate;
      if (failures > 0) {
        failures--;
        throw new Error('database away');
      }
      batches.push(docs);
    },
    onError: (_err, attempt) => errors.push(attempt),
  });
  return { w, batches, errors };
}

describe('BatchWriter (group commit)', () => {
  it('inserts one tick of appends as one batch and answers each caller after it', async () => {
    const { w, batches } = writer();
    await Promise.all([w.append([1, 2]), w.append([3]), w.append([4])]);
    expect(batches).to.deep.equal([[1, 2, 3, 4]]);
    expect(w.backlog).to.equal(0);
  });

  it('queues what arrives while an insert is in flight into the next batch', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const { w, batches } = writer({ gate });
    const first = w.append([1]);
    await new Promise((r) => setImmediate(r));
    const later = [w.append([2]), w.append([3])];
    expect(w.backlog).to.equal(3);
    open();
    await Promise.all([first, ...later]);
    expect(batches).to.deep.equal([[1], [2, 3]]);
  });

  it('never puts more than maxBatch documents in one insert (unless one append is larger)', async () => {
    const { w, batches } = writer({ maxBatch: 3 });
    await Promise.all([w.append([1, 2]), w.append([3, 4]), w.append([5])]);
    expect(batches.map((b) => b.length)).to.deep.equal([2, 3]);
  });

  it('keeps documents through failed inserts and answers once one succeeds', async () => {
    const { w, batches, errors } = writer({ failFirst: 2 });
    await w.append([7, 8]);
    expect(errors).to.deep.equal([1, 2]);
    expect(batches).to.deep.equal([[7, 8]]);
    expect(w.failing).to.equal(false);
  });

  it('drains on close, then refuses new appends', async () => {
    const { w, batches } = writer({ lingerMs: 60_000 });
    const pending = w.append([1, 2, 3]);
    await w.close();
    await pending;
    expect(batches).to.deep.equal([[1, 2, 3]]);
    let refused: unknown = null;
    await w.append([4]).catch((e: unknown) => (refused = e));
    expect(String(refused)).to.include('closed');
  });
});
