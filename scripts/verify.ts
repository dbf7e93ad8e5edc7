// `npm run verify`: an auditor's check of one decision from its proof document and the chain alone.
// It imports none of the server's code, recomputes every hash itself and trusts no hash the document carries.
// Exit codes: 0 every check passed, 1 a check failed, 2 verification could not run (usage, input, RPC, HTTP).
import { parseArgs } from 'node:util';
import { isAddress } from 'ethers';
import { UsageError, numberFlag } from './cli.js';
import { anchorChecks, connectChain, type Chain } from './verify/chain.js';
import { parseProofJson, type AnchorClaim, type OutcomeValue, type ProofDocument } from './verify/document.js';
import { InputError } from './verify/errors.js';
import { isUrl, loadSource } from './verify/load.js';
import { canonicalJson, contentHash, leafHash, loadKeccak, walkProof, type LeafKind } from './verify/merkle.js';
import { fail, formatCheck, info, pass, summary, type Check } from './verify/report.js';

export { canonicalJson, contentHash, leafHash, loadKeccak, walkProof, hashPair } from './verify/merkle.js';
export { parseProofDocument, parseProofJson } from './verify/document.js';
export { InputError };

const USAGE =
  'usage: npm run verify -- <proof.json | http(s) URL of /api/audit/decisions/:id/proof> --rpc <url> --contract <address> [--token <jwt>] [--timeout <seconds>]';

export interface VerifyOptions {
  source: string;
  rpc: string;
  contract: string;
  /** Bearer token for the proof URL (auditor role); also read from AUDIT_TOKEN. */
  token: string | null;
  timeoutMs: number;
}

/** The options, or null when help was asked for. Throws UsageError naming the bad flag. */
export function parseVerifyArgs(argv: string[], env: NodeJS.ProcessEnv = {}): VerifyOptions | null {
  let values: { rpc?: string; contract?: string; token?: string; timeout?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        rpc: { type: 'string' },
        contract: { type: 'string' },
        token: { type: 'string' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${USAGE}`);
  }
  if (values.help === true) return null;
  if (positionals.length !== 1) throw new UsageError(`expected one proof file or URL, got ${positionals.length}\n${USAGE}`);
  if (values.rpc === undefined) throw new UsageError(`--rpc is required\n${USAGE}`);
  if (!isUrl(values.rpc)) throw new UsageError(`--rpc must be an http(s) JSON-RPC URL, got "${values.rpc}"`);
  if (values.contract === undefined) throw new UsageError(`--contract is required\n${USAGE}`);
  if (!isAddress(values.contract)) throw new UsageError(`--contract must be a 0x-prefixed 20-byte hex address, got "${values.contract}"`);
  const timeout = values.timeout === undefined ? 10 : numberFlag('timeout', values.timeout, 0.1, 600, false);
  const token = values.token ?? (env.AUDIT_TOKEN || null);
  return { source: positionals[0], rpc: values.rpc, contract: values.contract, token, timeoutMs: timeout * 1000 };
}

/** One anchored record of the document: the decision itself, its explanation, an operator's approval, or an actuator's outcome. */
interface Item {
  kind: LeafKind;
  /** How its checks are named: the kind, or `outcome[i]`. */
  label: string;
  refId: string;
  value: unknown;
  claimedHash: string;
  claim: AnchorClaim;
  /** Set when the proof walks to the document's root: what the chain checks need. */
  leaf: string | null;
}

/** The checks that need no chain: hash, leaf and proof, from the values alone. */
export function offlineChecks(
  kind: LeafKind,
  refId: string,
  value: unknown,
  claimedHash: string,
  claim: AnchorClaim,
  label: string = kind,
): { checks: Check[]; leaf: string | null } {
  const checks: Check[] = [];
  let hash: string;
  try {
    hash = contentHash(value);
  } catch (err) {
    return { checks: [fail(`${label}.hash`, `cannot canonicalize the ${kind} (RFC 8785): ${(err as Error).message}`)], leaf: null };
  }
  checks.push(
    hash === claimedHash
      ? pass(`${label}.hash`, `sha256(JCS(${kind})) = ${hash}, as the document says`)
      : fail(
          `${label}.hash`,
          `sha256(JCS(${kind})) = ${hash}, the document says ${claimedHash}: the ${kind} was altered or its hash is wrong`,
        ),
  );
  const leaf = leafHash(kind, refId, hash);
  checks.push(info(`${label}.leaf`, `${leaf} derived from ("${kind}", "${refId}", 0x${hash.slice(0, 16)}...)`));
  const [k, id, h] = claim.leafValue;
  if ((claim.leaf !== null && claim.leaf !== leaf) || k !== kind || id !== refId || h.toLowerCase() !== `0x${hash}`) {
    checks.push(
      info(`${label}.leaf`, `the document's leaf ${claim.leaf} (leafValue ${JSON.stringify(claim.leafValue)}) differs; it is not used`),
    );
  }
  if (claim.root === null) {
    checks.push(fail(`${label}.proof`, 'the document has no root: the record is not anchored yet'));
    return { checks, leaf };
  }
  const reached = walkProof(leaf, claim.proof);
  checks.push(
    reached === claim.root
      ? pass(`${label}.proof`, `${claim.proof.length}-step proof from the leaf reaches root ${claim.root}`)
      : fail(`${label}.proof`, `${claim.proof.length}-step proof from the leaf reaches ${reached}, not root ${claim.root}`),
  );
  return { checks, leaf };
}

function itemsOf(doc: ProofDocument): Item[] {
  const items: Item[] = [
    { kind: 'decision', label: 'decision', refId: doc.decision.id, value: doc.decision, claimedHash: doc.hash, claim: doc, leaf: null },
  ];
  // Derived from the decision's id, not the explanation's own decisionId: an explanation moved
  // from another decision must not verify here.
  if (doc.explanation !== null)
    items.push({
      kind: 'explanation',
      label: 'explanation',
      refId: doc.decision.id,
      value: doc.explanation.value,
      claimedHash: doc.explanation.hash,
      claim: doc.explanation,
      leaf: null,
    });
  if (doc.approval)
    items.push({
      kind: 'approval',
      label: 'approval',
      refId: doc.decision.id,
      value: doc.approval.value,
      claimedHash: doc.approval.hash,
      claim: doc.approval,
      leaf: null,
    });
  // An outcome's leaf names its command (`<decision id>/<kind>/<action id>`), rebuilt here from this
  // decision's id: an outcome moved from another decision does not reach an anchored leaf.
  for (const [i, o] of (doc.outcomes ?? []).entries())
    items.push({
      kind: 'outcome',
      label: `outcome[${i}]`,
      refId: `${doc.decision.id}/${o.value.kind}/${o.value.actionId}`,
      value: o.value,
      claimedHash: o.hash,
      claim: o,
      leaf: null,
    });
  return items;
}

/** An outcome must name this decision and its hash: what the actuator answered is about exactly this content. */
function boundOutcome(item: Item, doc: ProofDocument): Check {
  const o = item.value as OutcomeValue;
  let ours: string | null = null;
  try {
    ours = contentHash(doc.decision);
  } catch {
    // the decision's own hash check reports it
  }
  if (o.decisionId !== doc.decision.id) return fail(`${item.label}.decision`, `the outcome is for ${o.decisionId}, not ${doc.decision.id}`);
  if (o.decisionHash !== ours)
    return fail(`${item.label}.decision`, `the outcome names decision hash ${o.decisionHash}, this decision hashes to ${ours}`);
  return pass(`${item.label}.decision`, `${o.kind} ${o.actionId}: ${o.outcome} (${o.actuator}, ${o.at}), for exactly this decision`);
}

/** Runs every check, printing each line as it is known; returns them all. Throws InputError when it cannot go on. */
export async function verifyDocument(doc: ProofDocument, opts: VerifyOptions, print: (line: string) => void): Promise<Check[]> {
  await loadKeccak();
  const all: Check[] = [];
  const emit = (checks: Check[]) => {
    all.push(...checks);
    for (const c of checks) print(formatCheck(c));
  };
  const d = doc.decision;
  const about = [d.stationId, d.status, d.ts].filter((v) => typeof v === 'string').join(', ');
  print(
    `decision ${d.id}${about ? ` (${about})` : ''}; anchor status ${doc.anchor.status}${doc.anchor.reason ? ` (${doc.anchor.reason})` : ''}`,
  );
  const items = itemsOf(doc);
  for (const item of items) {
    if (item.kind === 'decision') {
      let ours: string | null = null;
      try {
        ours = canonicalJson(doc.decision);
      } catch {
        // offlineChecks reports it.
      }
      if (ours !== null && ours !== doc.canonical)
        emit([info('decision.canonical', "the document's canonical text differs from JCS(decision) as recomputed here")]);
    } else if (item.kind === 'explanation' && doc.explanation !== null && doc.explanation.value.decisionId !== d.id) {
      emit([fail('explanation.decision', `the explanation is for ${doc.explanation.value.decisionId}, not ${d.id}`)]);
    } else if (item.kind === 'approval' && doc.approval) {
      const a = doc.approval.value;
      if (a.decisionId !== d.id) emit([fail('approval.decision', `the approval is for ${a.decisionId}, not ${d.id}`)]);
      else {
        // The approval names the hash of what was approved: it must be this decision's content.
        let ours: string | null = null;
        try {
          ours = contentHash(doc.decision);
        } catch {
          // the decision's own hash check reports it
        }
        emit([
          ours === a.decisionHash
            ? pass('approval.decision', `${a.outcome} by ${a.by} at ${a.at}, for exactly this decision`)
            : fail('approval.decision', `the approval names decision hash ${a.decisionHash}, this decision hashes to ${ours}`),
        ]);
      }
    }
    if (item.kind === 'outcome') emit([boundOutcome(item, doc)]);
    const { checks, leaf } = offlineChecks(item.kind, item.refId, item.value, item.claimedHash, item.claim, item.label);
    item.leaf = leaf;
    emit(checks);
  }

  const chain: Chain = await connectChain(opts.rpc, opts.contract, opts.timeoutMs);
  try {
    const sameChain = doc.chainId === null || BigInt(doc.chainId) === chain.chainId;
    emit([pass('chain', `chain ${chain.chainId} at ${opts.rpc}, contract ${chain.contract} has code`)]);
    if (!sameChain) emit([info('chain', `the document names chain ${doc.chainId}; checking chain ${chain.chainId}`)]);
    if (doc.contract !== null && doc.contract.toLowerCase() !== chain.contract.toLowerCase()) {
      emit([info('chain', `the document names contract ${doc.contract}; checking ${chain.contract}`)]);
    }
    for (const item of items) {
      if (item.leaf === null || item.claim.root === null) continue;
      emit(
        await anchorChecks(chain, {
          label: item.label,
          root: item.claim.root,
          leaf: item.leaf,
          proof: item.claim.proof,
          txHash: item.claim.txHash,
          blockNumber: item.claim.blockNumber,
        }),
      );
    }
  } finally {
    chain.provider.destroy();
  }
  return all;
}

async function main(): Promise<number> {
  const opts = parseVerifyArgs(process.argv.slice(2), process.env);
  if (opts === null) {
    console.log(USAGE);
    return 0;
  }
  const text = await loadSource(opts.source, opts);
  const doc = parseProofJson(text, opts.source);
  const checks = await verifyDocument(doc, opts, (line) => console.log(line));
  console.log(summary(checks));
  return checks.some((c) => c.outcome === 'FAIL') ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err instanceof UsageError || err instanceof InputError ? `verify: ${err.message}` : err);
      process.exitCode = 2;
    },
  );
}
