// The on-chain half of `npm run verify`: AuditLog read through a human-readable ABI of its own
// (the auditor trusts neither our bindings nor our server), over a plain JSON-RPC endpoint.
import { FetchRequest, Interface, JsonRpcProvider, Network, getAddress, type Result } from 'ethers';
import { InputError } from './errors.js';
import { networkReason } from './load.js';
import { fail, info, pass, type Check } from './report.js';

export const AUDIT_LOG_ABI = [
  'function getBatch(bytes32 root) view returns (tuple(address submitter, uint48 timestamp, uint48 blockNumber))',
  'function isAnchored(bytes32 root) view returns (bool)',
  'function verifyLeaf(bytes32 root, bytes32 leaf, bytes32[] proof) view returns (bool)',
  'event BatchAnchored(bytes32 indexed root, uint64 leafCount, uint64 firstSeq, uint64 lastSeq, address indexed submitter)',
  'error AuditLogNotAnchored(bytes32 root)',
];

const auditLog = new Interface(AUDIT_LOG_ABI);

export interface Chain {
  url: string;
  chainId: bigint;
  contract: string;
  provider: JsonRpcProvider;
}

/** One eth_chainId with a timeout: an ethers provider would keep retrying an unreachable URL. */
export async function probeChainId(url: string, timeoutMs: number): Promise<bigint> {
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await res.text();
  } catch (err) {
    throw new InputError(`cannot reach the RPC at ${url}: ${networkReason(err)}`);
  }
  if (!res.ok) throw new InputError(`the RPC at ${url} answered HTTP ${res.status} ${res.statusText} to eth_chainId`);
  let body: { result?: unknown; error?: { message?: string } };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new InputError(`the RPC at ${url} did not answer eth_chainId with JSON: is it a JSON-RPC endpoint?`);
  }
  if (typeof body.result !== 'string' || !/^0x[0-9a-fA-F]+$/.test(body.result)) {
    throw new InputError(`eth_chainId failed at ${url}: ${body.error?.message ?? JSON.stringify(body)}`);
  }
  return BigInt(body.result);
}

function reason(err: unknown): string {
  const e = err as { shortMessage?: string; message?: string };
  return e.shortMessage ?? e.message ?? String(err);
}

/** Connects and checks there is code at `contract`; throws InputError when verification cannot start. */
export async function connectChain(url: string, contract: string, timeoutMs: number): Promise<Chain> {
  const chainId = await probeChainId(url, timeoutMs);
  const request = new FetchRequest(url);
  request.timeout = timeoutMs;
  const provider = new JsonRpcProvider(request, Network.from(chainId), { staticNetwork: true, batchMaxCount: 1 });
  const chain = { url, chainId, contract: getAddress(contract), provider };
  const code = await rpc(chain, 'eth_getCode', () => provider.getCode(chain.contract));
  if (code === '0x') {
    provider.destroy();
    throw new InputError(`no contract at ${chain.contract} on chain ${chainId} (${url}): check --contract`);
  }
  return chain;
}

async function rpc<T>(chain: Pick<Chain, 'url'>, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new InputError(`${what} failed at ${chain.url}: ${reason(err)}`);
  }
}

async function view(chain: Chain, fn: 'getBatch' | 'isAnchored' | 'verifyLeaf', args: unknown[]): Promise<Result> {
  const data = auditLog.encodeFunctionData(fn, args);
  const out = await rpc(chain, `eth_call ${fn}`, () => chain.provider.call({ to: chain.contract, data }));
  return auditLog.decodeFunctionResult(fn, out);
}

export interface AnchorTarget {
  /** `decision` or `explanation`: prefixes the check names. */
  label: string;
  root: string;
  leaf: string;
  proof: readonly string[];
  txHash: string | null;
  blockNumber: number | null;
}

/** Is the root anchored (when, by whom), does verifyLeaf accept the leaf, and did txHash anchor it. */
export async function anchorChecks(chain: Chain, t: AnchorTarget): Promise<Check[]> {
  const checks: Check[] = [];
  const where = `${chain.contract} on chain ${chain.chainId}`;
  const [anchored] = await view(chain, 'isAnchored', [t.root]);
  if (anchored !== true) {
    checks.push(fail(`${t.label}.anchored`, `root ${t.root} is not anchored at ${where}`));
  } else {
    const [batch] = await view(chain, 'getBatch', [t.root]);
    const block = Number(batch.blockNumber);
    const time = new Date(Number(batch.timestamp) * 1000).toISOString();
    checks.push(pass(`${t.label}.anchored`, `root ${t.root} anchored at block ${block}, ${time}, by ${batch.submitter as string}`));
    if (t.blockNumber !== null && t.blockNumber !== block) {
      checks.push(info(`${t.label}.anchored`, `the document says block ${t.blockNumber}; the contract records block ${block}`));
    }
  }
  const [accepted] = await view(chain, 'verifyLeaf', [t.root, t.leaf, t.proof]);
  const call = `verifyLeaf(root, ${t.leaf}, ${t.proof.length}-step proof)`;
  checks.push(accepted === true ? pass(`${t.label}.verifyLeaf`, `${call} = true`) : fail(`${t.label}.verifyLeaf`, `${call} = false`));
  if (t.txHash !== null) checks.push(await txCheck(chain, t.label, t.txHash, t.root));
  return checks;
}

async function txCheck(chain: Chain, label: string, txHash: string, root: string): Promise<Check> {
  const name = `${label}.tx`;
  const receipt = await rpc(chain, 'eth_getTransactionReceipt', () => chain.provider.getTransactionReceipt(txHash));
  if (receipt === null) return fail(name, `transaction ${txHash} not found on chain ${chain.chainId}`);
  const topic = auditLog.getEvent('BatchAnchored')?.topicHash;
  const anchoredRoots = receipt.logs
    .filter((l) => l.address.toLowerCase() === chain.contract.toLowerCase() && l.topics[0] === topic)
    .map((l) => l.topics[1]?.toLowerCase());
  const at = `transaction ${txHash} (block ${receipt.blockNumber})`;
  if (anchoredRoots.includes(root)) return pass(name, `${at} emitted BatchAnchored for this root from ${chain.contract}`);
  const others =
    anchoredRoots.length === 0 ? 'holds no BatchAnchored log from the contract' : `anchored ${anchoredRoots.join(', ')} instead`;
  return fail(name, `${at} ${others}, not root ${root}`);
}
