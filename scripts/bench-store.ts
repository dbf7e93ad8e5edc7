// npm run bench:store: what a query costs on the embedded store as a collection grows. Fills a
// decisions-like collection in steps and, at each size, times the copilot's kinds of reads and writes
// (a lookup by id, an update by id, the newest page of one station, a count of one station's open
// items) and the time to open the store again. Prints a markdown table; nothing is asserted.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { connectMongo, startEmbeddedMongo } from '../services/platform/database.js';
import { UsageError, numberFlag, parseFlags, runMain } from './cli.js';

const USAGE = `usage: npm run bench:store -- [--sizes 10000,50000,200000] [--ops 300]
  --sizes  collection sizes to measure at (documents, ascending)
  --ops    operations timed per kind and size`;

interface Options {
  sizes: number[];
  ops: number;
}

function parseOptions(argv: string[]): Options | null {
  const values = parseFlags(argv, { sizes: { type: 'string' }, ops: { type: 'string' }, help: { type: 'boolean' } });
  if (values.help) return null;
  const sizes = (values.sizes ?? '10000,50000,200000').split(',').map((s) => numberFlag('sizes', s, 1, 10_000_000, true));
  if (sizes.some((n, i) => i > 0 && n <= sizes[i - 1]!)) throw new UsageError('--sizes must be ascending');
  return { sizes, ops: values.ops === undefined ? 300 : numberFlag('ops', values.ops, 1, 100_000, true) };
}

const dir = mkdtempSync(path.join(tmpdir(), 'bench-store-'));

async function main({ sizes, ops }: Options): Promise<void> {
  let mongo = await startEmbeddedMongo({ dataDir: dir });
  let conn = await connectMongo(mongo.uri, { dbName: 'bench', embedded: true });
  const coll = () => conn.db!.collection('decisions');
  await coll().createIndex({ decisionId: 1 }, { unique: true });
  await coll().createIndex({ stationId: 1, ts: -1 });
  await coll().createIndex({ stationId: 1, open: 1 });
  const body = 'x'.repeat(1500); // about a decision's canonical text
  const doc = (i: number) => ({
    decisionId: `dec-${i}`,
    stationId: `st-${i % 20}`,
    ts: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
    open: i % 50 === 0,
    canonical: body,
    explanation: { text: body.slice(0, 400) },
  });
  const time = async (fn: (i: number) => Promise<unknown>, n: number): Promise<number> => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await fn(i);
    return (performance.now() - t0) / n;
  };
  const rows: string[] = [];
  let filled = 0;
  for (const size of sizes) {
    for (; filled < size; filled += 5000)
      await coll().insertMany(Array.from({ length: Math.min(5000, size - filled) }, (_, k) => doc(filled + k)));
    const pick = (i: number) => (i * 7919) % size;
    const byId = await time((i) => coll().findOne({ decisionId: `dec-${pick(i)}` }), ops);
    const update = await time((i) => coll().updateOne({ decisionId: `dec-${pick(i)}` }, { $set: { seen: i } }), ops);
    const page = await time(
      (i) =>
        coll()
          .find({ stationId: `st-${i % 20}` }, { sort: { ts: -1 }, limit: 50 })
          .toArray(),
      ops,
    );
    const count = await time((i) => coll().countDocuments({ stationId: `st-${i % 20}`, open: true }), Math.max(1, Math.floor(ops / 10)));
    await conn.close();
    await mongo.stop();
    const t0 = performance.now();
    mongo = await startEmbeddedMongo({ dataDir: dir });
    conn = await connectMongo(mongo.uri, { dbName: 'bench', embedded: true });
    await coll().findOne({ decisionId: 'dec-0' });
    const reopen = performance.now() - t0;
    rows.push(
      `| ${size.toLocaleString('en')} | ${byId.toFixed(2)} | ${update.toFixed(2)} | ${page.toFixed(2)} | ${count.toFixed(2)} | ${reopen.toFixed(0)} |`,
    );
    process.stderr.write(`bench:store: ${size} documents measured\n`);
  }
  await conn.close();
  await mongo.stop();
  console.log(
    '| documents | findOne by id ms | updateOne by id ms | newest 50 of a station ms | count open of a station ms | reopen to first answer ms |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(r);
}

runMain('bench:store', USAGE, parseOptions, main, async () => rmSync(dir, { recursive: true, force: true }));
