// Anchoring: collects leaves (decisions, explanations) into Merkle batches closed at
// N leaves or T ms, stores each batch in MongoDB before sending it, and sends the
// batches in order, one transaction each, whenever the chain is reachable.
import type { Logger } from 'pino';
import type { EventBus } from '../../../eventBus/index.js';
import type { AnchorInfo } from '../../../eventBus/types.js';
import type { AnchorBatchDoc, Models } from '../../../models/index.js';
import type { Metrics } from '../../platform/index.js';
import type { PartReport } from '../../platform/index.js';
import { AuditChain, classifyChainError, shortMessage, type ChainTarget, type SentBatch } from './chain.js';
import { BatchIndex, anchorInfo, summaryOf } from './batchIndex.js';
import { indexOf, leafValue, proofAt, type AnchorTree, type StoredLeaf } from './leaves.js';
import { TreeBuilder } from './treeBuilder.js';
import { prepareChain } from './chainSetup.js';
import { PendingLatencies } from './latencies.js';
import { UNNUMBERED, numberStored } from './numbering.js';
import { takeBack } from './recovery.js';

export type LeafInput = Omit<StoredLeaf, 'seq'>;
export type ChainState = 'off' | 'connecting' | 'up' | 'down';

export interface AnchoringDeps {
  models: Models;
  bus: EventBus;
  metrics: Metrics;
  logger: Logger;
  /** Close a batch this long after its first leaf arrived. */
  batchMs: number;
  /** ...or as soon as it holds this many leaves. */
  batchMax: number;
  /** Where to anchor; null keeps batches queued in the database until a chain is configured. */
  chain: ChainTarget | Promise<ChainTarget> | null;
  /**
   * Several instances share the database: records are stored unnumbered, and only the holder of this
   * lease numbers them, closes batches and sends them (see numbering.ts). Absent: this process is the writer.
   */
  lease?: { holds(): boolean };
  onError(err: unknown): void;
}

const MAX_BACKOFF_MS = 10_000;
const TX_WAIT_MS = 60_000;
const TREE_CACHE = 16;
const CLOSE_GRACE_MS = 5000;
/** How often the writer looks for records stored unnumbered, at most (shared mode). */
const NUMBERING_MS = 250;
/** At most this many records of each kind numbered in one round. */
const NUMBERING_LIMIT = 2000;

export class AnchoringService {
  private nextSeq = 1;
  private nextBatchId = 1;
  private open: StoredLeaf[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** When each pending decision leaf was logged (monotonic ms), for the latency metric; capped. */
  private readonly loggedAt = new PendingLatencies();
  private index = new BatchIndex(50_000);
  private readonly trees = new Map<number, { doc: AnchorBatchDoc; tree: AnchorTree }>();
  private readonly builder = new TreeBuilder();
  /** Batch ids stored and waiting for the chain, in the order they must be sent. */
  private queue: number[] = [];
  /** Leaves in stored batches waiting for the chain, and in closed batches not stored yet. */
  private queuedLeaves = 0;
  private storingLeaves = 0;
  private persisting: Promise<void> = Promise.resolve();
  private pumping: Promise<void> | null = null;
  private connecting: Promise<void> | null = null;
  private chain: AuditChain | null = null;
  private wake: (() => void) | null = null;
  /** Send failures since the last batch went through: the next reconnect waits longer each time. */
  private failures = 0;
  private lastWarning = '';
  private closed = false;
  /** Whether this instance numbers leaves and closes and sends batches: always alone, in shared mode while it holds the lease. */
  private writing: boolean;
  /** Counts takeovers and step-downs: work begun under an earlier one is dropped, not finished. */
  private epoch = 0;
  private numbering: NodeJS.Timeout | null = null;
  state: ChainState;
  detail = '';

  constructor(private readonly deps: AnchoringDeps) {
    this.state = deps.chain === null ? 'off' : 'connecting';
    this.writing = deps.lease === undefined;
    deps.metrics.anchorBacklog.read = () => this.backlog;
  }

  get backlog(): number {
    return this.open.length + this.storingLeaves + this.queuedLeaves;
  }

  /**
   * What auditors are told. The RPC URL is only ever CHAIN_PUBLIC_RPC_URL, or the embedded chain's local
   * one: the URL the copilot writes through (CHAIN_RPC_URL) may hold a provider's key, so without a
   * public URL auditors get none and read the chain at a node of their own.
   */
  get contract(): { address: string; chainId: number; account: string; rpcUrl: string | null; embedded: boolean } | null {
    const c = this.chain;
    if (!c || !c.address) return null;
    return {
      address: c.address,
      chainId: c.chainId,
      account: c.account,
      rpcUrl: c.target.publicRpcUrl ?? (c.target.embedded ? c.target.rpcUrl : null),
      embedded: c.target.embedded,
    };
  }

  /** Loads what the writer needs; in shared mode that waits until this instance takes the lease over. */
  async init(): Promise<void> {
    if (this.writing) await this.load();
  }

  /**
   * This instance now holds the anchoring lease: it reads where the last writer stopped (the stored
   * batches, and leaves numbered after the last of them), then numbers, closes and sends.
   */
  async takeOver(): Promise<void> {
    if (this.closed) return;
    const epoch = this.reset();
    await this.load();
    if (epoch !== this.epoch) return;
    this.writing = true;
    this.deps.logger.info({ nextSeq: this.nextSeq, nextBatchId: this.nextBatchId }, 'anchoring: this instance is the anchoring writer');
    if (this.open.length) this.scheduleClose(0);
    this.scheduleNumbering(0);
    // Batches the chain lost, or that a replaced contract does not hold, are queued again by the writer only.
    if (this.chain && this.state === 'up') await this.prepare(this.chain);
    this.kick();
  }

  /** The lease is gone (or about to be): stop at once; what was numbered and not stored, the next writer takes back. */
  stepDown(): void {
    if (!this.writing) return;
    this.reset();
    this.deps.logger.warn('anchoring: this instance is no longer the anchoring writer');
  }

  private reset(): number {
    this.writing = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.numbering) clearTimeout(this.numbering);
    this.timer = this.numbering = null;
    this.open = [];
    this.queue = [];
    this.queuedLeaves = 0;
    this.index = new BatchIndex(50_000);
    this.trees.clear();
    return ++this.epoch;
  }

  /** Whether work begun in `epoch` may still write: the same writer, still holding its lease. */
  private writes(epoch: number): boolean {
    return this.writing && epoch === this.epoch && !this.closed && (this.deps.lease?.holds() ?? true);
  }

  private scheduleNumbering(ms: number): void {
    const epoch = this.epoch;
    this.numbering = setTimeout(() => {
      this.numbering = null;
      void this.numberRound(epoch).finally(() => {
        if (this.writes(epoch) && !this.numbering) this.scheduleNumbering(Math.min(NUMBERING_MS, this.deps.batchMs));
      });
    }, ms);
  }

  private async numberRound(epoch: number): Promise<void> {
    try {
      const leaves = await numberStored({
        models: this.deps.models,
        next: () => this.nextSeq++,
        limit: NUMBERING_LIMIT,
        writing: () => this.writes(epoch),
      });
      if (leaves.length && this.writes(epoch)) this.add(leaves);
    } catch (err) {
      this.deps.onError(err);
    }
  }

  /** Loads counters and batch summaries, and takes back leaves of decisions stored after the last stored batch (a crash inside a batch window). */
  private async load(): Promise<void> {
    const { AnchorBatch } = this.deps.models;
    const recent = await AnchorBatch.find({}, { leaves: 0 }).sort({ batchId: -1 }).limit(50_000).lean<Omit<AnchorBatchDoc, 'leaves'>[]>();
    for (const d of recent.reverse()) this.index.add(summaryOf(d));
    const last = recent.at(-1);
    this.nextBatchId = (last?.batchId ?? 0) + 1;
    const watermark = last?.lastSeq ?? 0;
    const back = await takeBack(this.deps.models, watermark);
    this.nextSeq = back.nextSeq;
    this.open.push(...back.leaves);
    if (this.open.length)
      this.deps.logger.warn(
        { leaves: this.open.length },
        'anchoring: taking back leaves stored after the last batch (the previous run stopped inside a batch window)',
      );

    // A batch the contract refused may pass now (a role granted, a contract replaced): try failed batches again.
    const failed = await AnchorBatch.updateMany({ status: 'failed' }, { $set: { status: 'queued', reason: 'retrying after restart' } });
    if (failed.modifiedCount)
      this.deps.logger.warn({ batches: failed.modifiedCount }, 'anchoring: retrying batches that failed before the restart');
    await this.reloadQueue();
  }

  /** Connects to the chain in the background; decisions flow whether or not it is reachable. */
  start(): void {
    if (this.open.length) this.scheduleClose(0);
    if (this.deps.chain !== null) this.connectSoon();
  }

  /**
   * Gives each leaf its sequence number and adds it to the open batch. In shared mode the leaves are
   * not taken here: each comes back as 0, its record is stored with it, and the writer numbers it.
   */
  enqueue(leaves: LeafInput[], loggedAt?: number): number[] {
    if (this.deps.lease) return leaves.map(() => UNNUMBERED);
    const seqs: number[] = [];
    for (const l of leaves) {
      const seq = this.nextSeq++;
      // With the chain off no batch is ever sent, so there is no latency to measure.
      if (loggedAt !== undefined && l.kind === 'decision' && this.deps.chain !== null) this.loggedAt.note(seq, loggedAt);
      seqs.push(seq);
    }
    this.add(leaves.map((l, i) => ({ ...l, seq: seqs[i]! })));
    return seqs;
  }

  private add(leaves: StoredLeaf[]): void {
    this.open.push(...leaves);
    if (this.open.length >= this.deps.batchMax) this.scheduleClose(0);
    else if (!this.timer) this.scheduleClose(this.deps.batchMs);
  }

  /** Where the leaf with `seq` stands, from memory; undefined when its batch is too old to be held there (or this instance does not write). */
  infoFor(seq: number | undefined): AnchorInfo | undefined {
    if (seq === undefined) return { status: 'pending', reason: 'recorded before anchoring was enabled; not collected' };
    if (seq === UNNUMBERED) return { status: 'pending', reason: 'waiting for the anchoring writer to number it' };
    // Only the writer's memory follows the batches; another instance reads them from the database.
    if (!this.writing) return undefined;
    const b = this.index.find(seq);
    if (b) return anchorInfo(b, seq);
    if (seq > this.index.lastSeq) return { status: 'pending', seq, reason: 'waiting for its batch to close' };
    return seq < this.index.oldestSeq ? undefined : { status: 'pending', seq, reason: 'not in any batch' };
  }

  async info(seq: number | undefined): Promise<AnchorInfo> {
    const hit = this.infoFor(seq);
    if (hit || seq === undefined) return hit ?? { status: 'pending' };
    const doc = await this.deps.models.AnchorBatch.findOne({ firstSeq: { $lte: seq }, lastSeq: { $gte: seq } }, { leaves: 0 }).lean<
      Omit<AnchorBatchDoc, 'leaves'>
    >();
    return doc ? anchorInfo(summaryOf(doc), seq) : { status: 'pending', seq, reason: 'not in any batch' };
  }

  /** The batch holding `seq` with its tree, and the leaf's proof, when the leaf (kind, refId, hash) is in it. */
  async locate(
    l: Pick<StoredLeaf, 'kind' | 'refId' | 'hash'>,
    seq: number | undefined,
  ): Promise<{ batch: AnchorBatchDoc; tree: AnchorTree; leaf: string; proof: string[] } | null> {
    if (seq === undefined) return null;
    const batchId =
      (this.writing ? this.index.find(seq)?.batchId : undefined) ??
      (
        await this.deps.models.AnchorBatch.findOne(
          { firstSeq: { $lte: seq }, lastSeq: { $gte: seq } },
          { batchId: 1 },
        ).lean<AnchorBatchDoc>()
      )?.batchId;
    if (batchId === undefined) return null;
    const entry = await this.treeOf(batchId);
    if (!entry) return null;
    const i = indexOf(entry.tree, l);
    if (i < 0) return null;
    const summary = this.writing
      ? this.index.get(batchId)
      : await this.deps.models.AnchorBatch.findOne({ batchId }, { leaves: 0 }).lean<Omit<AnchorBatchDoc, 'leaves'>>();
    const batch = summary ? { ...entry.doc, ...summary, leaves: entry.doc.leaves } : entry.doc;
    return { batch, tree: entry.tree, ...proofAt(entry.tree, i) };
  }

  async verifyOnChain(
    root: string,
    leaf: string,
    proof: string[],
  ): Promise<{ ok: boolean; detail: string; blockNumber?: number; timestamp?: number }> {
    const chain = this.chain;
    if (!chain || this.state !== 'up')
      return { ok: false, detail: `chain not reachable (${this.state}${this.detail ? `: ${this.detail}` : ''})` };
    const onChain = await chain.getBatch(root);
    if (!onChain) return { ok: false, detail: `root ${root} is not anchored on AuditLog ${chain.address} (chain ${chain.chainId})` };
    const ok = await chain.verifyLeaf(root, leaf, proof);
    return {
      ok,
      detail: ok ? `verifyLeaf true on AuditLog ${chain.address}, anchored in block ${onChain.blockNumber}` : 'verifyLeaf returned false',
      blockNumber: onChain.blockNumber,
      timestamp: onChain.timestamp,
    };
  }

  health(): PartReport {
    const waiting = this.writing
      ? `${this.backlog} leaves waiting (${this.queue.length} batches queued)`
      : 'standby: another instance holds the anchoring lease';
    if (this.state === 'off')
      return {
        state: 'not_configured',
        detail: `anchoring is off (CHAIN_RPC_URL=off); ${this.writing ? `${this.backlog} leaves waiting in stored batches` : waiting}`,
      };
    if (this.state === 'up') {
      const c = this.contract!;
      return { state: c.embedded ? 'embedded' : 'up', detail: `AuditLog ${c.address} on chain ${c.chainId}; ${waiting}` };
    }
    return {
      state: this.state === 'connecting' ? 'degraded' : 'down',
      detail: `${this.state}${this.detail ? `: ${this.detail}` : ''}; ${waiting}`,
    };
  }

  /** Closes the open batch and stores it; what the chain has not taken yet is sent after the next start. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    if (this.numbering) clearTimeout(this.numbering);
    this.timer = this.numbering = null;
    if (this.writes(this.epoch)) while (this.open.length) this.closeBatch();
    this.closed = true;
    this.wake?.();
    await this.persisting;
    // A transaction in flight may be waiting on a chain that went away: its batch is stored as queued, and
    // a resend after the restart finds it anchored (AuditLogAlreadyAnchored) and records it, so do not wait long.
    const grace = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref());
    await Promise.race([Promise.all([this.connecting, this.pumping]), grace]);
    await this.builder.close();
    this.chain?.destroy();
  }

  private scheduleClose(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.closeBatch();
      if (this.open.length) this.scheduleClose(this.open.length >= this.deps.batchMax ? 0 : this.deps.batchMs);
    }, ms);
  }

  private closeBatch(): void {
    const leaves = this.open.splice(0, this.deps.batchMax);
    if (!leaves.length) return;
    const batchId = this.nextBatchId++;
    const epoch = this.epoch;
    const doc: AnchorBatchDoc = {
      batchId,
      root: '',
      leafCount: leaves.length,
      firstSeq: leaves[0].seq,
      lastSeq: leaves.at(-1)!.seq,
      leaves,
      status: 'queued',
      attempts: 0,
      createdAt: new Date(),
    };
    // Known at once (its records read as pending in this batch); the root follows from the worker.
    this.index.add(summaryOf(doc));
    this.storingLeaves += leaves.length;
    // Built and stored before it is sent, in batch order; a failed insert is retried, the batch is held in memory meanwhile.
    this.persisting = this.persisting
      .then(async () => {
        let tree: AnchorTree | null = null;
        for (let delay = 200; !tree; delay = Math.min(delay * 2, MAX_BACKOFF_MS)) {
          try {
            tree = await this.builder.build(leaves.map(leafValue));
          } catch (err) {
            this.deps.onError(err);
            await new Promise((r) => setTimeout(r, delay));
          }
        }
        doc.root = tree.root;
        this.index.update(batchId, { root: tree.root });
        this.remember(batchId, doc, tree);
        for (let delay = 200; ; delay = Math.min(delay * 2, MAX_BACKOFF_MS)) {
          // A writer that lost its lease stores nothing more: the next one takes these leaves back.
          // (Closing at a clean stop still stores: the lease is given back only after.)
          if (!this.writes(epoch) && !(this.closed && this.writing && epoch === this.epoch)) {
            this.storingLeaves -= doc.leafCount;
            return;
          }
          try {
            await this.deps.models.AnchorBatch.collection.insertOne({ ...doc });
            break;
          } catch (err) {
            if ((err as { code?: number }).code === 11000) break;
            this.deps.onError(err);
            await new Promise((r) => setTimeout(r, delay));
          }
        }
        this.storingLeaves -= doc.leafCount;
        this.deps.bus.emit('anchor.batch', { batchId, status: 'queued', root: doc.root, leafCount: doc.leafCount });
        // With the chain off nothing is ever sent: the batch waits in the database only, not in a
        // list that would grow by one id per batch for as long as the copilot runs.
        if (this.deps.chain === null) this.queuedLeaves += doc.leafCount;
        else if (!this.queue.includes(batchId)) {
          this.queue.push(batchId);
          this.queuedLeaves += doc.leafCount;
        }
        this.kick();
      })
      .catch((err: unknown) => this.deps.onError(err));
  }

  private remember(batchId: number, doc: AnchorBatchDoc, tree: AnchorTree): void {
    this.trees.set(batchId, { doc, tree });
    if (this.trees.size > TREE_CACHE) this.trees.delete(this.trees.keys().next().value!);
  }

  private async treeOf(batchId: number): Promise<{ doc: AnchorBatchDoc; tree: AnchorTree } | null> {
    const hit = this.trees.get(batchId);
    if (hit) return hit;
    const doc = await this.deps.models.AnchorBatch.findOne({ batchId }).lean<AnchorBatchDoc>();
    if (!doc) return null;
    const tree = await this.builder.build((doc.leaves as StoredLeaf[]).map(leafValue));
    this.remember(batchId, doc, tree);
    return { doc, tree };
  }

  private async reloadQueue(): Promise<void> {
    const queued = await this.deps.models.AnchorBatch.find({ status: 'queued' }, { batchId: 1, leafCount: 1 })
      .sort({ batchId: 1 })
      .lean<AnchorBatchDoc[]>();
    this.queue = this.deps.chain === null ? [] : queued.map((q) => q.batchId);
    this.queuedLeaves = queued.reduce((n, q) => n + q.leafCount, 0);
    for (const q of queued) {
      this.index.update(q.batchId, { status: 'queued' });
      const cached = this.trees.get(q.batchId);
      if (cached) cached.doc.status = 'queued';
    }
  }

  private connectSoon(): void {
    this.connecting ??= this.connectLoop().finally(() => (this.connecting = null));
  }

  private async connectLoop(): Promise<void> {
    // After a failed send the chain answered but did not take the batch: do not hammer it.
    if (this.failures > 0) await this.sleep(Math.min(250 * 2 ** (this.failures - 1), MAX_BACKOFF_MS));
    for (let delay = 250; !this.closed; delay = Math.min(delay * 2, MAX_BACKOFF_MS)) {
      try {
        const target = await this.deps.chain!;
        this.chain = await AuditChain.connect(target);
        await this.prepare(this.chain);
        this.state = 'up';
        this.detail = '';
        this.kick();
        return;
      } catch (err) {
        this.chain?.destroy();
        this.chain = null;
        this.state = 'down';
        this.detail = shortMessage(err);
        this.warnOnce('anchoring: chain not usable; batches stay queued and are retried');
        await this.sleep(delay);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private async prepare(chain: AuditChain): Promise<void> {
    const requeued = await prepareChain(chain, this.deps, !this.writing);
    if (requeued > 0) await this.reloadQueue();
  }

  private kick(): void {
    if (this.closed || !this.writing || this.pumping || this.state !== 'up' || !this.queue.length) return;
    this.pumping = this.pump()
      .catch((err) => {
        this.deps.onError(err);
        this.wentDown(shortMessage(err));
      })
      .finally(() => {
        this.pumping = null;
        if (this.state === 'up') this.kick();
      });
  }

  private async pump(): Promise<void> {
    while (!this.closed && this.writing && this.state === 'up' && this.chain && this.queue.length) {
      const chain = this.chain;
      const batchId = this.queue[0];
      // Sending needs the stored root, not the tree: re-anchoring history does not rebuild trees.
      const doc = this.trees.get(batchId)?.doc ?? (await this.deps.models.AnchorBatch.findOne({ batchId }).lean<AnchorBatchDoc>());
      if (!doc) throw new Error(`batch ${batchId} is queued but not stored`);
      let sent: SentBatch | null;
      try {
        sent = await chain.anchorBatch(doc, TX_WAIT_MS);
      } catch (err) {
        const f = classifyChainError(err, chain.account);
        if (f.kind === 'transient') return this.wentDown(f.reason);
        if (f.kind === 'rejected') {
          await this.finish(chain, doc, null, f.reason);
          continue;
        }
        sent = await chain.findAnchoring(doc.root);
        if (!sent) return this.wentDown(`root of batch ${batchId} is anchored but its transaction was not found`);
      }
      await this.finish(chain, doc, sent, null);
    }
  }

  /** Records a batch's outcome and tells everyone waiting on its decisions. */
  private async finish(chain: AuditChain, doc: AnchorBatchDoc, sent: SentBatch | null, failure: string | null): Promise<void> {
    const where = sent ? { chainId: chain.chainId, contract: chain.address! } : {};
    const set = sent
      ? {
          status: 'anchored' as const,
          reason: null,
          txHash: sent.txHash,
          blockNumber: sent.blockNumber,
          blockTime: sent.blockTime,
          gasUsed: sent.gasUsed,
          ...where,
          anchoredAt: new Date(),
        }
      : { status: 'failed' as const, reason: failure };
    const earlier =
      sent && doc.txHash && doc.txHash !== sent.txHash
        ? [{ txHash: doc.txHash, blockNumber: doc.blockNumber!, chainId: doc.chainId!, contract: doc.contract! }]
        : [];
    await this.deps.models.AnchorBatch.updateOne(
      { batchId: doc.batchId },
      { $set: { ...set, previous: [...(doc.previous ?? []), ...earlier] }, $inc: { attempts: 1 } },
    );
    Object.assign(doc, set, { previous: [...(doc.previous ?? []), ...earlier] });
    this.index.update(doc.batchId, set);
    if (this.queue[0] === doc.batchId) this.queue.shift();
    if (sent) {
      this.failures = 0;
      this.lastWarning = '';
    }
    this.queuedLeaves = Math.max(0, this.queuedLeaves - doc.leafCount);
    const m = this.deps.metrics;
    m.anchorBatches.inc({ result: sent ? 'anchored' : 'failed' });
    if (sent) m.anchorGas.inc(sent.gasUsed);
    else this.deps.logger.error({ batchId: doc.batchId, reason: failure }, 'anchoring: batch failed');
    this.deps.bus.emit('anchor.batch', {
      batchId: doc.batchId,
      status: set.status,
      root: doc.root,
      leafCount: doc.leafCount,
      ...(sent ? { txHash: sent.txHash, blockNumber: sent.blockNumber } : { reason: failure ?? undefined }),
    });
    const now = performance.now();
    for (const l of doc.leaves) {
      if (l.kind !== 'decision') continue;
      const loggedAt = this.loggedAt.take(l.seq);
      if (sent && loggedAt !== undefined) m.anchorLatency.observe((now - loggedAt) / 1000);
      const summary = this.index.get(doc.batchId);
      const anchor = summary ? anchorInfo(summary, l.seq) : { status: sent ? ('anchored' as const) : ('failed' as const), seq: l.seq };
      this.deps.bus.emit('decision.anchored', { id: l.refId, stationId: l.stationId ?? '', anchor, loggedAt });
    }
  }

  /** Logs a chain problem once per distinct reason, not once per retry. */
  private warnOnce(msg: string): void {
    if (this.detail === this.lastWarning) return;
    this.lastWarning = this.detail;
    this.deps.logger.warn({ reason: this.detail, backlog: this.backlog }, msg);
  }

  private wentDown(reason: string): void {
    if (this.state !== 'up') return;
    this.state = 'down';
    this.detail = reason;
    this.failures++;
    this.warnOnce('anchoring: the chain did not take a batch; batches stay queued in the database and are retried');
    this.chain?.destroy();
    this.chain = null;
    if (!this.closed) this.connectSoon();
  }
}
