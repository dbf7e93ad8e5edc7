// The one place the copilot talks to a chain (ethers v6 + the TypeChain bindings of AuditLog).
import { FetchRequest, JsonRpcProvider, NonceManager, Network, Wallet, isError, type Interface } from 'ethers';
import type { AuditLog } from '../../../typechain-types/index.js';
import { AuditLog__factory } from '../../../typechain-types/index.js';

/** Where anchoring writes: an RPC, the anchoring key, and the contract (null: use the recorded one or deploy). */
export interface ChainTarget {
  rpcUrl: string;
  privateKey: string;
  contract: string | null;
  /** The embedded Hardhat node: the key is funded on connect and a lost contract is redeployed. */
  embedded: boolean;
  /** The RPC URL auditors are told to read the chain at; without it they are told none (rpcUrl may hold a provider key). */
  publicRpcUrl?: string;
}

export interface OnChainBatch {
  submitter: string;
  timestamp: number;
  blockNumber: number;
}

export interface SentBatch {
  txHash: string;
  blockNumber: number;
  blockTime: Date;
  gasUsed: number;
}

/** A setup problem the operator must fix (wrong address, unreachable RPC); retried with backoff meanwhile. */
export class ChainSetupError extends Error {}

const RPC_TIMEOUT_MS = 10_000;

export async function probeChainId(url: string, timeoutMs = RPC_TIMEOUT_MS): Promise<number> {
  const req = new FetchRequest(url);
  req.timeout = timeoutMs;
  req.setHeader('content-type', 'application/json');
  req.body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] });
  let body: { result?: unknown; error?: { message?: string } };
  try {
    const res = await req.send();
    res.assertOk();
    body = res.bodyJson as typeof body;
  } catch (err) {
    throw new ChainSetupError(`no JSON-RPC answer from ${url}: ${shortMessage(err)}`);
  }
  if (typeof body.result !== 'string')
    throw new ChainSetupError(`eth_chainId failed at ${url}: ${body.error?.message ?? JSON.stringify(body)}`);
  return Number(BigInt(body.result));
}

export function shortMessage(err: unknown): string {
  if (err && typeof err === 'object' && 'shortMessage' in err && typeof err.shortMessage === 'string') return err.shortMessage;
  return err instanceof Error ? err.message : String(err);
}

export class AuditChain {
  private contract: AuditLog | null = null;

  private constructor(
    readonly chainId: number,
    readonly account: string,
    private readonly provider: JsonRpcProvider,
    private readonly signer: NonceManager,
    readonly target: ChainTarget,
  ) {}

  static async connect(target: ChainTarget): Promise<AuditChain> {
    const chainId = await probeChainId(target.rpcUrl);
    const req = new FetchRequest(target.rpcUrl);
    req.timeout = RPC_TIMEOUT_MS;
    // The local node mines on every transaction: poll receipts fast there, gently elsewhere.
    const provider = new JsonRpcProvider(req, Network.from(chainId), {
      staticNetwork: true,
      cacheTimeout: -1,
      batchMaxCount: 1,
      pollingInterval: target.embedded ? 50 : 1000,
    });
    const wallet = new Wallet(target.privateKey, provider);
    return new AuditChain(chainId, wallet.address, provider, new NonceManager(wallet), target);
  }

  static get iface(): Interface {
    return AuditLog__factory.createInterface();
  }

  static get abi() {
    return AuditLog__factory.abi;
  }

  get address(): string | null {
    return this.contract ? (this.contract.target as string) : null;
  }

  /** Gives the embedded node's anchoring account ether (a dev-chain RPC; never used on a real chain). */
  async fundDevAccount(): Promise<void> {
    await this.provider.send('hardhat_setBalance', [this.account, '0x' + (10n ** 24n).toString(16)]);
  }

  async hasCode(address: string): Promise<boolean> {
    return (await this.provider.getCode(address)) !== '0x';
  }

  use(address: string): void {
    this.contract = AuditLog__factory.connect(address, this.signer);
  }

  async deploy(): Promise<{ address: string; txHash: string | null }> {
    const c = await new AuditLog__factory(this.signer).deploy(this.account, this.account);
    await c.waitForDeployment();
    const address = await c.getAddress();
    this.use(address);
    return { address, txHash: c.deploymentTransaction()?.hash ?? null };
  }

  private get audit(): AuditLog {
    if (!this.contract) throw new Error('no AuditLog contract selected');
    return this.contract;
  }

  async isAnchored(root: string): Promise<boolean> {
    return this.audit.isAnchored(root);
  }

  async getBatch(root: string): Promise<OnChainBatch | null> {
    if (!(await this.audit.isAnchored(root))) return null;
    const b = await this.audit.getBatch(root);
    return { submitter: b.submitter, timestamp: Number(b.timestamp), blockNumber: Number(b.blockNumber) };
  }

  async verifyLeaf(root: string, leaf: string, proof: string[]): Promise<boolean> {
    return this.audit.verifyLeaf(root, leaf, proof);
  }

  async hasAnchorerRole(): Promise<boolean> {
    return this.audit.hasRole(await this.audit.ANCHORER_ROLE(), this.account);
  }

  /** Sends one anchorBatch and waits for it to be mined. */
  async anchorBatch(b: { root: string; leafCount: number; firstSeq: number; lastSeq: number }, waitMs: number): Promise<SentBatch> {
    try {
      const tx = await this.audit.anchorBatch(b.root, b.leafCount, b.firstSeq, b.lastSeq);
      const receipt = await tx.wait(1, waitMs);
      if (!receipt) throw new Error(`transaction ${tx.hash} has no receipt`);
      if (receipt.status !== 1) throw new Error(`transaction ${tx.hash} reverted`);
      const block = await receipt.getBlock();
      return {
        txHash: receipt.hash,
        blockNumber: receipt.blockNumber,
        blockTime: new Date(block.timestamp * 1000),
        gasUsed: Number(receipt.gasUsed),
      };
    } catch (err) {
      // Whatever happened, the next send asks the node for the nonce again.
      this.signer.reset();
      throw err;
    }
  }

  /** The transaction that anchored `root`, found by its BatchAnchored event (after a crash between send and record). */
  async findAnchoring(root: string): Promise<SentBatch | null> {
    const onChain = await this.getBatch(root);
    if (!onChain) return null;
    const logs = await this.audit.queryFilter(this.audit.filters.BatchAnchored(root), onChain.blockNumber, onChain.blockNumber);
    const log = logs[0];
    if (!log) return null;
    const receipt = await this.provider.getTransactionReceipt(log.transactionHash);
    return {
      txHash: log.transactionHash,
      blockNumber: log.blockNumber,
      blockTime: new Date(onChain.timestamp * 1000),
      gasUsed: receipt ? Number(receipt.gasUsed) : 0,
    };
  }

  destroy(): void {
    this.provider.destroy();
  }
}

export type ChainFailure =
  | { kind: 'already_anchored' }
  /** The contract refused: retrying the same batch cannot help (e.g. the key lacks ANCHORER_ROLE). */
  | { kind: 'rejected'; reason: string }
  /** The chain is unreachable or slow, or the account cannot pay: keep the batch queued and retry. */
  | { kind: 'transient'; reason: string };

/** The revert data (0x-prefixed hex) carried somewhere in an ethers or Hardhat error. */
export function revertData(err: unknown): string | null {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0) {
    const e = queue.shift();
    if (e === null || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    const rec = e as Record<string, unknown>;
    if (typeof rec.data === 'string' && /^0x[0-9a-fA-F]{8,}$/.test(rec.data)) return rec.data;
    queue.push(rec.data, rec.error, rec.info, rec.cause);
  }
  return null;
}

export function classifyChainError(err: unknown, account: string): ChainFailure {
  const data = revertData(err);
  if (data !== null) {
    const decoded = AuditChain.iface.parseError(data);
    if (decoded?.name === 'AuditLogAlreadyAnchored') return { kind: 'already_anchored' };
    if (decoded?.name === 'AccessControlUnauthorizedAccount')
      return { kind: 'rejected', reason: `the anchoring account ${account} lacks ANCHORER_ROLE on the AuditLog contract` };
    return {
      kind: 'rejected',
      reason: `the AuditLog contract rejected the batch: ${decoded ? `${decoded.name}(${decoded.args.join(', ')})` : data}`,
    };
  }
  if (isError(err, 'CALL_EXCEPTION')) return { kind: 'rejected', reason: `the AuditLog contract rejected the batch: ${shortMessage(err)}` };
  if (isError(err, 'INSUFFICIENT_FUNDS')) return { kind: 'transient', reason: `the anchoring account ${account} cannot pay for gas` };
  return { kind: 'transient', reason: shortMessage(err) };
}
