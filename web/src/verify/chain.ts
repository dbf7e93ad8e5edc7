// The on-chain half of Verify: the AuditLog contract read over the JSON-RPC URL the contract info names,
// through two hand-written ABI fragments and the event, so nothing the server computed is trusted.
import { FetchRequest, Interface, JsonRpcProvider, Network, getAddress } from 'ethers';

const AUDIT_LOG = new Interface([
  'function isAnchored(bytes32 root) view returns (bool)',
  'function verifyLeaf(bytes32 root, bytes32 leaf, bytes32[] proof) view returns (bool)',
  'event BatchAnchored(bytes32 indexed root, uint64 leafCount, uint64 firstSeq, uint64 lastSeq, address indexed submitter)',
]);

const TIMEOUT_MS = 10_000;

export class ChainError extends Error {}

function reason(err: unknown): string {
  const e = err as { shortMessage?: string; message?: string };
  return e.shortMessage ?? e.message ?? String(err);
}

/** One eth_chainId by hand: an ethers provider would keep retrying an unreachable URL. */
async function chainIdAt(url: string): Promise<bigint> {
  let body: { result?: unknown; error?: { message?: string } };
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    body = (await res.json()) as typeof body;
  } catch (err) {
    throw new ChainError(`cannot read the chain at ${url}: ${reason(err)}`);
  }
  if (typeof body.result !== 'string') throw new ChainError(`eth_chainId failed at ${url}: ${body.error?.message ?? 'no result'}`);
  return BigInt(body.result);
}

export class AuditChain {
  private readonly roots = new Map<string, Promise<boolean>>();
  private readonly receipts = new Map<string, Promise<string[] | null>>();

  private constructor(
    readonly url: string,
    readonly chainId: bigint,
    readonly contract: string,
    private readonly provider: JsonRpcProvider,
  ) {}

  /** Connects and checks there is code at `contract`; a ChainError says why not. */
  static async open(url: string, contract: string): Promise<AuditChain> {
    const chainId = await chainIdAt(url);
    const request = new FetchRequest(url);
    request.timeout = TIMEOUT_MS;
    const provider = new JsonRpcProvider(request, Network.from(chainId), { staticNetwork: true, batchMaxCount: 1 });
    const chain = new AuditChain(url, chainId, getAddress(contract), provider);
    const code = await chain.rpc('eth_getCode', () => provider.getCode(chain.contract));
    if (code === '0x') {
      provider.destroy();
      throw new ChainError(`no contract at ${chain.contract} on chain ${chainId} (${url})`);
    }
    return chain;
  }

  private async rpc<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new ChainError(`${what} failed at ${this.url}: ${reason(err)}`);
    }
  }

  private async view(fn: 'isAnchored' | 'verifyLeaf', args: unknown[]): Promise<boolean> {
    const data = AUDIT_LOG.encodeFunctionData(fn, args);
    const out = await this.rpc(`eth_call ${fn}`, () => this.provider.call({ to: this.contract, data }));
    return AUDIT_LOG.decodeFunctionResult(fn, out)[0] === true;
  }

  /** The records of one batch share a root: asked once. */
  isAnchored(root: string): Promise<boolean> {
    let p = this.roots.get(root);
    if (!p) this.roots.set(root, (p = this.view('isAnchored', [root])));
    return p;
  }

  verifyLeaf(root: string, leaf: string, proof: readonly string[]): Promise<boolean> {
    return this.view('verifyLeaf', [root, leaf, proof]);
  }

  /** The roots the transaction's BatchAnchored logs from this contract name, or null without a receipt. */
  anchoredBy(txHash: string): Promise<string[] | null> {
    let p = this.receipts.get(txHash);
    if (!p) {
      const topic = AUDIT_LOG.getEvent('BatchAnchored')!.topicHash;
      p = this.rpc('eth_getTransactionReceipt', () => this.provider.getTransactionReceipt(txHash)).then(
        (r) =>
          r?.logs
            .filter((l) => l.address.toLowerCase() === this.contract.toLowerCase() && l.topics[0] === topic)
            .map((l) => (l.topics[1] ?? '').toLowerCase()) ?? null,
      );
      this.receipts.set(txHash, p);
    }
    return p;
  }

  close(): void {
    this.provider.destroy();
  }
}
