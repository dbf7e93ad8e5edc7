// scripts/verify.ts: its pure parts, then the CLI run as a user runs it against a real Hardhat
// node, with proofs built here (StandardMerkleTree + erdtman's canonicalize), not by our server.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { expect } from 'chai';
import canonicalize from 'canonicalize';
import { JsonRpcProvider, Wallet } from 'ethers';
import { deployAuditLog } from '../../scripts/deploy.js';
import { UsageError } from '../../scripts/cli.js';
import {
  InputError,
  contentHash,
  hashPair,
  leafHash,
  loadKeccak,
  offlineChecks,
  parseProofDocument,
  parseProofJson,
  parseVerifyArgs,
  walkProof,
} from '../../scripts/verify.js';
import { canonicalHash } from '../../services/audit/canonical.js';
import { freePort } from '../../utils/net.js';
import { startHardhatNode, type HardhatNode } from '../helpers/hardhatNode.js';

const ROOT = resolve(__dirname, '../..');
const ENCODING = ['string', 'string', 'bytes32'];
type LeafValue = [string, string, string];

const sha256 = (v: unknown) =>
  createHash('sha256')
    .update(canonicalize(v) as string)
    .digest('hex');

function aDecision(n: number): Record<string, unknown> {
  const signalId = `5f0c9a1e-0000-4000-8000-00000000000${n}`;
  return {
    id: `dec-st-koramangala-01~${signalId}`,
    stationId: 'st-koramangala-01',
    signalId,
    signalType: 'charger_temp',
    ts: `2026-03-02T08:0${n}:00.000Z`,
    actions: [
      {
        agent: 'mechanic',
        action: 'schedule_maintenance',
        params: { chargerId: 'C1', priority: 'high', note: 'temp 88.25 C, limit 80 C; rate 1.5 C per min' },
        urgency: 0.82,
        confidence: 0.9,
        evidence: { tempC: 88.25, limitC: 80, faults: [{ code: 'OverTemp', at: '2026-03-02T07:58:10.000Z' }] },
        claims: { 'charger:C1': 1, 'staff.count': 1 },
      },
    ],
    rejected: [],
    conflicts: [],
    trail: [{ rule: 'safety_first', note: 'maintenance ranks above throughput — é ü 充电' }],
    risk: { level: 'high', score: 0.82, reasons: ['charger overheating'] },
    status: 'executed',
    stateVersion: 40 + n,
  };
}

function anExplanation(decisionId: string) {
  return {
    decisionId,
    text: 'Charger C1 ran at 88.25 C against a limit of 80 C, so maintenance was scheduled.',
    source: 'template',
    model: null,
    promptVersion: 'template-v1',
  };
}

interface Anchoring {
  tree: StandardMerkleTree<LeafValue>;
  txHash: string | null;
  blockNumber: number | null;
}

/** The proof document for `decision`, in the format the server answers. */
function proofDoc(
  a: Anchoring,
  decision: Record<string, unknown>,
  explanation: ReturnType<typeof anExplanation> | null,
  chain: { chainId: number; contract: string },
) {
  const claim = (kind: string, id: string, hash: string) => {
    const leafValue: LeafValue = [kind, id, `0x${hash}`];
    const index = [...a.tree.entries()].find(([, v]) => v[0] === kind && v[1] === id)?.[0];
    if (index === undefined) throw new Error(`no ${kind} leaf for ${id}`);
    return {
      leafValue,
      leaf: a.tree.leafHash(leafValue),
      proof: a.tree.getProof(index),
      root: a.tree.root,
      batchId: 7,
      txHash: a.txHash,
      blockNumber: a.blockNumber,
    };
  };
  const hash = sha256(decision);
  const id = decision.id as string;
  return {
    decision,
    canonical: canonicalize(decision),
    hash,
    leafEncoding: ENCODING,
    ...claim('decision', id, hash),
    chainId: chain.chainId,
    contract: chain.contract,
    anchor: { status: a.txHash === null ? 'pending' : 'anchored' },
    explanation:
      explanation === null ? null : { value: explanation, hash: sha256(explanation), ...claim('explanation', id, sha256(explanation)) },
  };
}

type Doc = ReturnType<typeof proofDoc>;
const clone = (d: Doc): Doc => JSON.parse(JSON.stringify(d)) as Doc;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function runVerify(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(
      'npx',
      ['tsx', 'scripts/verify.ts', ...args],
      { cwd: ROOT, env: { ...process.env, AUDIT_TOKEN: '', ...env } },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** The outcome printed for check `name` (the first line, INFO lines aside). */
function outcome(out: string, name: string): string | undefined {
  const line = out.split('\n').find((l) => /^(PASS|FAIL) /.test(l) && l.slice(6).trimStart().startsWith(`${name} `));
  return line?.slice(0, 4);
}

describe('verify: pure parts', () => {
  const values: LeafValue[] = [1, 2, 3, 4, 5].map((n) => ['decision', `dec-${n}`, `0x${sha256(aDecision(n))}`]);
  const tree = StandardMerkleTree.of(values, ENCODING);

  it('hashes the RFC 8785 text with SHA-256, agreeing with the server library', () => {
    const d = aDecision(1);
    expect(contentHash(d))
      .to.equal(sha256(d))
      .and.to.match(/^[0-9a-f]{64}$/);
    expect(contentHash(d)).to.equal(canonicalHash(d));
    expect(contentHash({ b: 1, a: [1e21, 0.5, 'x'] })).to.equal(createHash('sha256').update('{"a":[1e+21,0.5,"x"],"b":1}').digest('hex'));
  });

  it('derives StandardMerkleTree leaves', () => {
    for (const v of values) expect(leafHash('decision', v[1], v[2].slice(2))).to.equal(tree.leafHash(v));
    expect(leafHash('decision', 'dec-1', values[0][2])).to.equal(tree.leafHash(values[0]));
    expect(leafHash('explanation', 'dec-1', values[0][2])).to.not.equal(tree.leafHash(values[0]));
  });

  it('walks every proof to the root, and a one-leaf tree with an empty proof', () => {
    for (const [i, v] of tree.entries()) expect(walkProof(tree.leafHash(v), tree.getProof(i))).to.equal(tree.root);
    const single = StandardMerkleTree.of([values[0]], ENCODING);
    expect(walkProof(single.leafHash(values[0]), [])).to.equal(single.root);
    const proof = tree.getProof(0);
    proof[0] = `0x${'00'.repeat(32)}`;
    expect(walkProof(tree.leafHash(values[0]), proof)).to.not.equal(tree.root);
  });

  it('gives the same leaves and roots with the WebAssembly keccak as with ethers', async () => {
    // The tests above may run before or after it is loaded: compare both explicitly.
    const before = [...tree.entries()].map(([i, v]) => [
      leafHash('decision', v[1], v[2].slice(2)),
      walkProof(tree.leafHash(v), tree.getProof(i)),
    ]);
    await loadKeccak();
    const after = [...tree.entries()].map(([i, v]) => [
      leafHash('decision', v[1], v[2].slice(2)),
      walkProof(tree.leafHash(v), tree.getProof(i)),
    ]);
    expect(after).to.deep.equal(before);
    for (const [, root] of after) expect(root).to.equal(tree.root);
  });

  it('hashes pairs in sorted order', () => {
    const [a, b] = [`0x${'ab'.repeat(32)}`, `0x${'0C'.repeat(32)}`];
    expect(hashPair(a, b)).to.equal(hashPair(b, a)).and.to.equal(hashPair(b.toLowerCase(), a));
  });

  describe('offlineChecks', () => {
    const d = aDecision(1);
    const claim = {
      leafValue: values[0],
      leaf: tree.leafHash(values[0]),
      proof: tree.getProof(0),
      root: tree.root,
      batchId: 1,
      txHash: null,
      blockNumber: null,
    };

    it('passes hash and proof for an intact record', () => {
      const { checks, leaf } = offlineChecks('decision', 'dec-1', d, sha256(d), claim);
      expect(leaf).to.equal(claim.leaf);
      expect(checks.filter((c) => c.outcome !== 'INFO').map((c) => `${c.outcome} ${c.name}`)).to.deep.equal([
        'PASS decision.hash',
        'PASS decision.proof',
      ]);
    });

    it('fails hash and proof for an altered record, without using the claimed leaf', () => {
      const { checks, leaf } = offlineChecks('decision', 'dec-1', { ...d, status: 'rejected' }, sha256(d), claim);
      expect(leaf).to.not.equal(claim.leaf);
      expect(checks.map((c) => `${c.outcome} ${c.name}`)).to.include.members([
        'FAIL decision.hash',
        'FAIL decision.proof',
        'INFO decision.leaf',
      ]);
    });

    it('fails the proof when the document has no root yet', () => {
      const { checks } = offlineChecks('decision', 'dec-1', d, sha256(d), { ...claim, root: null });
      expect(checks.find((c) => c.name === 'decision.proof')).to.include({ outcome: 'FAIL' });
    });
  });

  describe('parseProofDocument', () => {
    const good = proofDoc({ tree, txHash: null, blockNumber: null }, { ...aDecision(1), id: 'dec-1' }, null, {
      chainId: 31337,
      contract: `0x${'12'.repeat(20)}`,
    });
    good.hash = values[0][2].slice(2);
    const problem = (mutate: (d: Record<string, unknown>) => void): string => {
      const d = JSON.parse(JSON.stringify(good)) as Record<string, unknown>;
      mutate(d);
      try {
        parseProofDocument(d);
      } catch (err) {
        expect(err).to.be.instanceOf(InputError);
        return (err as Error).message;
      }
      return expect.fail('should throw');
    };

    it('accepts the documented format and normalises hex case', () => {
      const doc = parseProofDocument({ ...good, root: good.root.toUpperCase().replace('0X', '0x') });
      expect(doc.root).to.equal(good.root);
      expect(doc.decision.id).to.equal('dec-1');
    });

    it('names the bad field', () => {
      expect(problem((d) => ((d.proof as unknown[])[2] = '0x1234'))).to.equal('proof[2]: must be a 0x-prefixed 32-byte hex string');
      expect(problem((d) => delete d.proof)).to.equal('proof: is required');
      expect(problem((d) => (d.hash = 'xyz'))).to.equal('hash: must be 64 hex characters (a SHA-256)');
      expect(problem((d) => (d.decision = { stationId: 's' }))).to.equal('decision.id: is required');
      expect(problem((d) => (d.anchor = { status: 'done' }))).to.equal('anchor.status: must be one of anchored, pending, failed');
      expect(problem((d) => (d.leafEncoding = ['string', 'bytes32']))).to.match(/^leafEncoding: must be \["string","string","bytes32"\]/);
      expect(
        problem(
          (d) =>
            (d.explanation = {
              value: { decisionId: 'dec-1', text: 't', source: 'template', model: null, promptVersion: 'v' },
              hash: 'ab',
            }),
        ),
      ).to.match(/^explanation\.hash: must be 64 hex/);
      expect(problem((d) => (d.contract = '0x12'))).to.equal('contract: must be a 0x-prefixed 20-byte hex address');
    });

    it('prefixes where the text came from, and says when it is not JSON', () => {
      expect(() => parseProofJson('{"decision":', 'p.json')).to.throw(InputError, /^p\.json: not JSON/);
      expect(() => parseProofJson('[]', 'p.json')).to.throw(InputError, /^p\.json: document: must be an object$/);
    });
  });

  describe('parseVerifyArgs', () => {
    const addr = `0x${'12'.repeat(20)}`;
    it('reads the source, flags and token', () => {
      expect(parseVerifyArgs(['p.json', '--rpc', 'http://127.0.0.1:8545', '--contract', addr], { AUDIT_TOKEN: 't' })).to.deep.equal({
        source: 'p.json',
        rpc: 'http://127.0.0.1:8545',
        contract: addr,
        token: 't',
        timeoutMs: 10_000,
      });
      expect(parseVerifyArgs(['--help'])).to.equal(null);
    });
    const bad: [string, string[], RegExp][] = [
      ['no source', ['--rpc', 'http://x', '--contract', addr], /expected one proof file or URL, got 0/],
      ['no --rpc', ['p.json', '--contract', addr], /--rpc is required/],
      ['a websocket RPC', ['p.json', '--rpc', 'ws://x', '--contract', addr], /--rpc must be an http\(s\) JSON-RPC URL/],
      ['a short address', ['p.json', '--rpc', 'http://x', '--contract', '0x12'], /--contract must be a 0x-prefixed 20-byte hex address/],
      ['an unknown flag', ['p.json', '--rcp', 'http://x'], /Unknown option '--rcp'/],
      [
        'a zero timeout',
        ['p.json', '--rpc', 'http://x', '--contract', addr, '--timeout', '0'],
        /--timeout must be a number from 0.1 to 600/,
      ],
    ];
    for (const [what, argv, message] of bad) {
      it(`rejects ${what}`, () => {
        expect(() => parseVerifyArgs(argv)).to.throw(UsageError, message);
      });
    }
  });
});

describe('npm run verify (CLI against a Hardhat node)', function () {
  this.timeout(180_000);
  let node: HardhatNode;
  let provider: JsonRpcProvider;
  let contract: string;
  let chainId: number;
  let dir: string;
  let good: Doc;
  let deployTx: string;
  let unanchored: Doc;
  let http: Server;
  let httpUrl: string;
  const decisions = [1, 2, 3].map(aDecision);
  const TOKEN = 'auditor-token';

  const file = async (name: string, content: unknown): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    return path;
  };
  const chainArgs = () => ['--rpc', node.url, '--contract', contract];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'verify-test-'));
    node = await startHardhatNode();
    provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true, cacheTimeout: -1, batchMaxCount: 1, pollingInterval: 50 });
    chainId = Number((await provider.getNetwork()).chainId);
    const signer = await provider.getSigner(0);
    const audit = await deployAuditLog(signer, { admin: signer.address, anchorer: signer.address });
    contract = await audit.getAddress();
    deployTx = audit.deploymentTransaction()?.hash ?? expect.fail('no deployment transaction');

    const explanation = anExplanation(decisions[0].id as string);
    const values: LeafValue[] = [
      ...decisions.map((d): LeafValue => ['decision', d.id as string, `0x${sha256(d)}`]),
      ['explanation', decisions[0].id as string, `0x${sha256(explanation)}`],
    ];
    const tree = StandardMerkleTree.of(values, ENCODING);
    const receipt = await (await audit.anchorBatch(tree.root, values.length, 1, 3)).wait();
    if (receipt === null) expect.fail('anchorBatch has no receipt');
    good = proofDoc({ tree, txHash: receipt.hash, blockNumber: receipt.blockNumber }, decisions[0], explanation, { chainId, contract });

    const other = [4, 5].map(aDecision);
    const otherTree = StandardMerkleTree.of(
      other.map((d): LeafValue => ['decision', d.id as string, `0x${sha256(d)}`]),
      ENCODING,
    );
    unanchored = proofDoc({ tree: otherTree, txHash: null, blockNumber: null }, other[0], null, { chainId, contract });

    http = createServer((req, res) => {
      const ok = req.url === `/api/audit/decisions/${good.decision.id as string}/proof`;
      const [status, body] = !ok
        ? [404, { error: { code: 'NOT_FOUND', message: 'decision dec-x not found' } }]
        : req.headers.authorization !== `Bearer ${TOKEN}`
          ? [401, { error: { code: 'UNAUTHORIZED', message: 'missing or invalid token' } }]
          : [200, good];
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  after(async () => {
    provider?.destroy();
    await node?.stop();
    await new Promise((r) => (http ? http.close(r) : r(undefined)));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('passes every check for a valid proof', async () => {
    const r = await runVerify([await file('good.json', good), ...chainArgs()]);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    const checks = ['hash', 'proof', 'anchored', 'verifyLeaf', 'tx'].flatMap((c) => [`decision.${c}`, `explanation.${c}`]);
    for (const name of [...checks, 'chain']) expect(outcome(r.stdout, name), name).to.equal('PASS');
    expect(r.stdout).not.to.match(/^FAIL/m);
    expect(r.stdout).to.match(new RegExp(`decision\\.hash +sha256\\(JCS\\(decision\\)\\) = ${good.hash}`));
    expect(r.stdout).to.match(
      /decision\.anchored +root 0x[0-9a-f]{64} anchored at block \d+, \d{4}-\d\d-\d\dT[\d:.]+Z, by 0x[0-9a-fA-F]{40}/,
    );
    expect(r.stdout).to.match(/^VERIFIED: all 11 checks passed$/m);
  });

  it('fails the hash (and the proof) when one decision field is altered', async () => {
    const doc = clone(good);
    (doc.decision.risk as { score: number }).score = 0.2;
    const r = await runVerify([await file('tampered-decision.json', doc), ...chainArgs()]);
    expect(r.code, r.stdout + r.stderr).to.equal(1);
    expect(outcome(r.stdout, 'decision.hash')).to.equal('FAIL');
    expect(r.stdout).to.match(/the decision was altered or its hash is wrong/);
    expect(outcome(r.stdout, 'decision.proof')).to.equal('FAIL');
    expect(outcome(r.stdout, 'decision.verifyLeaf')).to.equal('FAIL');
    expect(outcome(r.stdout, 'explanation.proof')).to.equal('PASS');
  });

  it('fails the proof when one proof element is altered', async () => {
    const doc = clone(good);
    doc.proof[1] = `0x${'5a'.repeat(32)}`;
    const r = await runVerify([await file('tampered-proof.json', doc), ...chainArgs()]);
    expect(r.code, r.stdout + r.stderr).to.equal(1);
    expect(outcome(r.stdout, 'decision.hash')).to.equal('PASS');
    expect(outcome(r.stdout, 'decision.proof')).to.equal('FAIL');
    expect(outcome(r.stdout, 'decision.anchored')).to.equal('PASS');
    expect(outcome(r.stdout, 'decision.verifyLeaf')).to.equal('FAIL');
  });

  it('fails when the root is altered', async () => {
    const doc = clone(good);
    doc.root = `0x${'77'.repeat(32)}`;
    const r = await runVerify([await file('tampered-root.json', doc), ...chainArgs()]);
    expect(r.code, r.stdout + r.stderr).to.equal(1);
    expect(outcome(r.stdout, 'decision.proof')).to.equal('FAIL');
    expect(outcome(r.stdout, 'decision.anchored')).to.equal('FAIL');
    expect(r.stdout).to.contain(`root 0x${'77'.repeat(32)} is not anchored at ${contract} on chain ${chainId}`);
    expect(outcome(r.stdout, 'decision.tx')).to.equal('FAIL');
  });

  it('fails the explanation when its text is altered', async () => {
    const doc = clone(good);
    if (doc.explanation === null) expect.fail('fixture has an explanation');
    doc.explanation.value.text += ' Approved by nobody.';
    const r = await runVerify([await file('tampered-explanation.json', doc), ...chainArgs()]);
    expect(r.code, r.stdout + r.stderr).to.equal(1);
    expect(outcome(r.stdout, 'decision.hash')).to.equal('PASS');
    expect(outcome(r.stdout, 'explanation.hash')).to.equal('FAIL');
    expect(outcome(r.stdout, 'explanation.proof')).to.equal('FAIL');
    expect(r.stdout).to.match(/^NOT VERIFIED: 3 of 11 checks failed \(explanation\.hash, explanation\.proof, explanation\.verifyLeaf\)$/m);
  });

  it('fails a proof whose root was never anchored', async () => {
    const r = await runVerify([await file('unanchored.json', unanchored), ...chainArgs()]);
    expect(r.code, r.stdout + r.stderr).to.equal(1);
    expect(outcome(r.stdout, 'decision.hash')).to.equal('PASS');
    expect(outcome(r.stdout, 'decision.proof')).to.equal('PASS');
    expect(outcome(r.stdout, 'decision.anchored')).to.equal('FAIL');
    expect(outcome(r.stdout, 'decision.verifyLeaf')).to.equal('FAIL');
  });

  it('fails when txHash is a transaction that did not anchor the root', async () => {
    const doc = clone(good);
    doc.txHash = deployTx;
    const r = await runVerify([await file('wrong-tx.json', doc), ...chainArgs()]);
    expect(r.code, r.stdout + r.stderr).to.equal(1);
    expect(outcome(r.stdout, 'decision.tx')).to.equal('FAIL');
    expect(r.stdout).to.match(/holds no BatchAnchored log from the contract/);
    expect(outcome(r.stdout, 'explanation.tx')).to.equal('PASS');
  });

  it('notes, without failing, a document that names another chain and block', async () => {
    const doc = clone(good);
    doc.chainId = 1;
    doc.blockNumber = 999;
    const r = await runVerify([await file('other-chain.json', doc), ...chainArgs()]);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.match(new RegExp(`^INFO +chain +the document names chain 1; checking chain ${chainId}$`, 'm'));
    expect(r.stdout).to.match(/^INFO +decision\.anchored +the document says block 999/m);
  });

  const malformed: [string, () => unknown, RegExp][] = [
    ['a file that is not JSON', () => '{"decision": {', /: not JSON \(/],
    ['a document without proof', () => ({ ...good, proof: undefined }), /: proof: is required$/m],
    [
      'a bad hex proof element',
      () => ({ ...good, proof: ['0xnothex', ...good.proof.slice(1)] }),
      /: proof\[0\]: must be a 0x-prefixed 32-byte hex string$/m,
    ],
  ];
  malformed.forEach(([what, body, message], i) => {
    it(`exits 2 naming the problem for ${what}`, async () => {
      const r = await runVerify([await file(`malformed-${i}.json`, body()), ...chainArgs()]);
      expect(r.code, r.stdout + r.stderr).to.equal(2);
      expect(r.stderr)
        .to.match(/^verify: /m)
        .and.match(message);
      expect(r.stdout).to.equal('');
    });
  });

  it('exits 2 for a missing file', async () => {
    const r = await runVerify([join(dir, 'nope.json'), ...chainArgs()]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain(`verify: cannot read ${join(dir, 'nope.json')}: no such file`);
  });

  it('exits 2 with the server message for an unknown decision id', async () => {
    const url = `${httpUrl}/api/audit/decisions/dec-x/proof`;
    const r = await runVerify([url, ...chainArgs(), '--token', TOKEN]);
    expect(r.code, r.stdout + r.stderr).to.equal(2);
    expect(r.stderr).to.contain(`verify: GET ${url}: HTTP 404 Not Found: decision dec-x not found`);
  });

  it('verifies a valid proof served over HTTP, sending the token from AUDIT_TOKEN', async () => {
    const url = `${httpUrl}/api/audit/decisions/${good.decision.id as string}/proof`;
    const r = await runVerify([url, ...chainArgs()], { AUDIT_TOKEN: TOKEN });
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^VERIFIED: all 11 checks passed$/m);
    const anonymous = await runVerify([url, ...chainArgs()]);
    expect(anonymous.code).to.equal(2);
    expect(anonymous.stderr).to.contain('HTTP 401 Unauthorized: missing or invalid token');
  });

  it('says there is no contract at a wrong address', async () => {
    const wrong = Wallet.createRandom().address;
    const r = await runVerify([await file('good.json', good), '--rpc', node.url, '--contract', wrong]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain(`verify: no contract at ${wrong} on chain ${chainId}`);
  });

  it('exits 2 with a precise message when the RPC is unreachable', async () => {
    const port = await freePort();
    const started = Date.now();
    const r = await runVerify([
      await file('good.json', good),
      '--rpc',
      `http://127.0.0.1:${port}`,
      '--contract',
      contract,
      '--timeout',
      '5',
    ]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain(`verify: cannot reach the RPC at http://127.0.0.1:${port}: connection refused (ECONNREFUSED)`);
    expect(Date.now() - started).to.be.below(15_000);
  });

  it('exits 2 with the usage for missing flags', async () => {
    const r = await runVerify([await file('good.json', good)]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/verify: --rpc is required\nusage: npm run verify -- /);
  });
});
