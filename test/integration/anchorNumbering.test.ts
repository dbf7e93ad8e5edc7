// Numbering records stored unnumbered (several instances share the database, services/audit/anchoring/numbering.ts),
// on the real wire server: each record is numbered once even when two writers race, and a leaf whose
// record changed between the read and the write is left for the next round, never numbered as read.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { numberStored, UNNUMBERED } from '../../services/audit/anchoring/numbering.js';

const h = (c: string) => c.repeat(64);

function decisionDoc(i: number) {
  return {
    decisionId: `dec-n-${i}`,
    stationId: 'st-n',
    signalId: `s-${i}`,
    ts: '2026-01-01T00:00:00.000Z',
    status: 'executed',
    riskLevel: 'low',
    canonical: '{}',
    agents: [],
    actionNames: [],
    hash: h('a'),
    explanation: { text: 'template', source: 'template', hash: h('b') },
    anchorSeq: UNNUMBERED,
    explanationSeq: UNNUMBERED,
    createdAt: new Date(),
  };
}

describe('numbering stored records for the anchoring writer', function () {
  this.timeout(60_000);
  let t: TestApp;
  before(async () => (t = await startTestApp()));
  after(() => t.close());
  beforeEach(() => t.app.models.DecisionLog.deleteMany({}));

  it('numbers each record once, in order, and leaves an explanation replaced meanwhile for the next round', async () => {
    const { DecisionLog } = t.app.models;
    await DecisionLog.collection.insertMany([0, 1, 2].map(decisionDoc));
    let seq = 100;
    let round = 0;
    const leaves = await numberStored({
      models: t.app.models,
      next: () => seq++,
      limit: 10,
      writing: async () => {
        // Between the explanations' read and their numbering, the LLM replaces one of them.
        if (++round === 2) await DecisionLog.collection.updateOne({ decisionId: 'dec-n-1' }, { $set: { 'explanation.hash': h('c') } });
        return true;
      },
    });
    const docs = await DecisionLog.find({}, { decisionId: 1, anchorSeq: 1, explanationSeq: 1, explanation: 1 })
      .sort({ decisionId: 1 })
      .lean();
    const byRef = (kind: string) => leaves.filter((l) => l.kind === kind).map((l) => [l.refId, l.seq]);
    expect(byRef('decision')).to.deep.equal(docs.map((d) => [d.decisionId, d.anchorSeq]));
    const explained = byRef('explanation');
    for (const [ref, s] of explained) expect(docs.find((d) => d.decisionId === ref)!.explanationSeq).to.equal(s);
    // A leaf numbered is the record as it is: never the old hash on the new text.
    for (const l of leaves.filter((x) => x.kind === 'explanation'))
      expect((docs.find((d) => d.decisionId === l.refId)!.explanation as { hash: string }).hash).to.equal(l.hash);
    expect(new Set(leaves.map((l) => l.seq)).size).to.equal(leaves.length);

    // Whatever is still 0 is numbered by the next round, with the hash it holds now.
    const again = await numberStored({ models: t.app.models, next: () => seq++, limit: 10, writing: () => true });
    const after = await DecisionLog.find({}, { anchorSeq: 1, explanationSeq: 1 }).lean();
    expect(after.every((d) => (d.anchorSeq ?? 0) > 0 && (d.explanationSeq ?? 0) > 0)).to.equal(true);
    // The replaced explanation was not numbered with the text it had when read; the next round took the new one.
    expect(leaves.map((l) => `${l.kind}/${l.refId}`)).not.to.include('explanation/dec-n-1');
    expect(again.map((l) => [l.kind, l.refId, l.hash])).to.deep.equal([['explanation', 'dec-n-1', h('c')]]);
    expect(leaves.length + again.length).to.equal(6);
  });

  it('numbers a record once when two writers race for it', async () => {
    const { DecisionLog } = t.app.models;
    await DecisionLog.collection.insertMany(Array.from({ length: 40 }, (_, i) => decisionDoc(i)));
    let a = 1000;
    let b = 5000;
    const [fromA, fromB] = await Promise.all([
      numberStored({ models: t.app.models, next: () => a++, limit: 100, writing: () => true }),
      numberStored({ models: t.app.models, next: () => b++, limit: 100, writing: () => true }),
    ]);
    const all = [...fromA, ...fromB];
    const keys = all.map((l) => `${l.kind}/${l.refId}`);
    expect(new Set(keys).size, 'a record numbered by both').to.equal(keys.length);
    expect(all.length).to.equal(80);
    const docs = await DecisionLog.find({}, { decisionId: 1, anchorSeq: 1, explanationSeq: 1 }).lean();
    const seqOf = new Map(all.map((l) => [`${l.kind}/${l.refId}`, l.seq]));
    for (const d of docs) {
      expect(seqOf.get(`decision/${d.decisionId}`)).to.equal(d.anchorSeq);
      expect(seqOf.get(`explanation/${d.decisionId}`)).to.equal(d.explanationSeq);
    }
  });

  it('writes nothing once the writer has lost its lease', async () => {
    const { DecisionLog } = t.app.models;
    await DecisionLog.collection.insertMany([0, 1].map(decisionDoc));
    const leaves = await numberStored({ models: t.app.models, next: () => 1, limit: 10, writing: () => false });
    expect(leaves).to.deep.equal([]);
    expect(await DecisionLog.countDocuments({ anchorSeq: UNNUMBERED })).to.equal(2);
  });
});
