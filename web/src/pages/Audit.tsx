// The auditor's page: the contract and where to read it, the Merkle batches, and Verify, which checks a
// decision's proof document in this browser (web/src/verify) against the chain itself, trusting nothing the
// server says it checked. The verifier and ethers load on the first Verify, not with the console.
import { useCallback, useEffect, useRef, useState, type ChangeEvent, type ReactNode } from 'react';
import { Link } from 'wouter';
import { ApiError, api, describe } from '../api';
import { live } from '../live';
import type { ContractInfo, ProofDocument, Verdict } from '../verify';
import { AnchorTag, decisionHref, when } from './Decisions';
import './decisions.css';

interface Contract extends ContractInfo {
  embedded?: boolean;
  state?: string;
  detail?: string;
}

/** Where a record stands on chain, as `GET /api/decisions/:id` gives it. */
export interface Anchor {
  status: string;
  reason?: string;
  seq?: number;
  batch?: number;
  root?: string;
  leaf?: string;
  proof?: string[];
  txHash?: string;
  blockNumber?: number;
  chainId?: number;
  contract?: string;
}

interface Batch {
  batchId: number;
  root: string;
  leafCount: number;
  firstSeq: number;
  lastSeq: number;
  status: string;
  reason: string | null;
  txHash: string | null;
  blockNumber: number | null;
  blockTime: string | null;
}

let contractOnce: Promise<Contract> | null = null;

/** The contract info, read once per page load (a failed read is tried again next time). */
function contractInfo(): Promise<Contract> {
  contractOnce ??= api<Contract>('/audit/contract').catch((err: unknown) => {
    contractOnce = null;
    throw err;
  });
  return contractOnce;
}

/** The proof document of a decision, then every check of it; what failed to load is the verdict's reason. */
async function verifyById(id: string): Promise<{ verdict: Verdict; doc: ProofDocument }> {
  const [verify, contract, raw] = await Promise.all([
    import('../verify'),
    contractInfo(),
    api<unknown>(`/audit/decisions/${encodeURIComponent(id)}/proof`),
  ]);
  const doc = verify.parseProofDocument(raw);
  return { verdict: await verify.verifyDocument(doc, contract), doc };
}

function whyNot(err: unknown): string {
  if (err instanceof ApiError && err.code === 'ANCHOR_PENDING') return 'Its batch is still open: try again in a moment.';
  return describe(err);
}

/** The outcome of a Verify: `Verified`, or which checks failed, and every check with its figures. */
export function VerdictView({ verdict }: { verdict: Verdict }) {
  return (
    <div className="verdict">
      {verdict.verified ? (
        <p className="verdict-line ok">Verified</p>
      ) : (
        <p className="verdict-line bad">Verification failed: {verdict.failed.join(', ') || 'nothing could be checked'}</p>
      )}
      <ul className="checks">
        {verdict.checks.map((c, i) => (
          <li key={i} className={c.result}>
            <span className="result">{c.result.toUpperCase()}</span> <code>{c.name}</code>: {c.detail}
          </li>
        ))}
      </ul>
    </div>
  );
}

type Run =
  { state: 'idle' } | { state: 'running' } | { state: 'done'; verdict: Verdict; doc?: ProofDocument } | { state: 'error'; message: string };

function RunView({ run }: { run: Run }) {
  return (
    <div role="status" aria-live="polite">
      {run.state === 'running' && <p className="notice">Checking in this browser...</p>}
      {run.state === 'error' && <p className="error">Could not verify: {run.message}</p>}
      {run.state === 'done' && <VerdictView verdict={run.verdict} />}
    </div>
  );
}

/** A Verify by decision id: the run's state, and how to start one. */
function useVerify(): [Run, (id: string) => Promise<void>] {
  const [run, setRun] = useState<Run>({ state: 'idle' });
  const start = useCallback(async (id: string) => {
    setRun({ state: 'running' });
    try {
      const { verdict, doc } = await verifyById(id);
      setRun({ state: 'done', verdict, doc });
    } catch (err) {
      setRun({ state: 'error', message: whyNot(err) });
    }
  }, []);
  return [run, start];
}

/** Verify for one decision (its page shows it to auditors and admins). */
export function VerifyDecision({ id }: { id: string }) {
  const [run, start] = useVerify();
  return (
    <div className="verify">
      <button type="button" className="primary" disabled={run.state === 'running'} onClick={() => void start(id)}>
        Verify
      </button>
      <RunView run={run} />
    </div>
  );
}

/** A record's anchor: status, batch, root, transaction. */
export function AnchorDetails({ anchor, hash }: { anchor: Anchor | undefined; hash?: string }) {
  if (!anchor) return <p className="notice">Not anchored yet.</p>;
  const rows: [string, ReactNode][] = [
    ['Status', <AnchorTag key="s" status={anchor.status} />],
    ['Why', anchor.reason],
    ['Batch', anchor.batch],
    ['Root', anchor.root],
    ['Transaction', anchor.txHash],
    ['Block', anchor.blockNumber],
    ['Chain', anchor.chainId],
    ['Contract', anchor.contract],
    ['Hash (SHA-256)', hash],
  ];
  return (
    <dl className="kv">
      {rows
        .filter(([, v]) => v !== undefined && v !== null)
        .map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd className={typeof v === 'string' && /^(0x)?[0-9a-f]{40,}$/i.test(v) ? 'mono hex' : undefined}>{v}</dd>
          </div>
        ))}
    </dl>
  );
}

function ContractPanel() {
  const [c, setC] = useState<Contract | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    contractInfo().then(setC, (err: unknown) => setError(describe(err)));
  }, []);
  return (
    <section className="panel" aria-labelledby="audit-contract">
      <h2 id="audit-contract">Contract</h2>
      {error && <p className="error">{error}</p>}
      {c && (
        <dl className="kv">
          <dt>Address</dt>
          <dd className="mono">{c.address ?? 'none (no chain configured)'}</dd>
          <dt>Chain id</dt>
          <dd>{c.chainId ?? '-'}</dd>
          <dt>JSON-RPC URL</dt>
          <dd className="mono">{c.rpcUrl ?? 'none: the server names no public RPC, so Verify cannot read the chain'}</dd>
          {c.detail && (
            <>
              <dt>State</dt>
              <dd>
                {c.state}: {c.detail}
              </dd>
            </>
          )}
        </dl>
      )}
    </section>
  );
}

function CheckById({ onDocument }: { onDocument: (doc: ProofDocument) => void }) {
  const [typed, setTyped] = useState('');
  const [run, start] = useVerify();
  const id = typed.trim();
  return (
    <section className="panel" aria-labelledby="audit-check">
      <h2 id="audit-check">Check a decision</h2>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          if (id) void start(id);
        }}
      >
        <label>
          Decision id
          <input value={typed} onChange={(e) => setTyped(e.target.value)} placeholder="dec-..." spellCheck={false} />
        </label>
        <button type="submit" disabled={!id || run.state === 'running'}>
          Verify
        </button>
      </form>
      {run.state === 'done' && run.doc && (
        <p className="row">
          <Link href={decisionHref(run.doc.decision.id)}>Open the decision</Link>
          <button type="button" onClick={() => onDocument(run.doc!)}>
            Edit a copy
          </button>
        </p>
      )}
      <RunView run={run} />
    </section>
  );
}

function CheckDocument({ text, setText }: { text: string; setText: (t: string) => void }) {
  const [run, setRun] = useState<Run>({ state: 'idle' });
  async function start(): Promise<void> {
    setRun({ state: 'running' });
    try {
      const verify = await import('../verify');
      const doc = verify.parseProofText(text);
      setRun({ state: 'done', verdict: await verify.verifyDocument(doc, await contractInfo()) });
    } catch (err) {
      setRun({ state: 'error', message: describe(err) });
    }
  }
  function load(e: ChangeEvent<HTMLInputElement>): void {
    const file = e.target.files?.[0];
    if (file) void file.text().then(setText);
  }
  return (
    <section className="panel" aria-labelledby="audit-document">
      <h2 id="audit-document">Verify a proof document</h2>
      <p className="notice">
        A proof document from <code>GET /api/audit/decisions/:id/proof</code> or <code>npm run verify</code>; the chain is read at the
        contract's JSON-RPC URL.
      </p>
      <label>
        Proof document
        <textarea rows={10} value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} className="mono" />
      </label>
      <p className="row">
        <label className="file">
          Open a file
          <input type="file" accept="application/json,.json" onChange={load} />
        </label>
        <button type="button" className="primary" disabled={!text.trim() || run.state === 'running'} onClick={() => void start()}>
          Verify document
        </button>
      </p>
      <RunView run={run} />
    </section>
  );
}

function Batches() {
  const [items, setItems] = useState<Batch[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  // Without `before`, the newest page replaces what is shown (older pages are read again on demand).
  const load = useCallback(async (before?: number) => {
    try {
      const page = await api<{ items: Batch[]; nextBefore: number | null }>('/audit/batches', { query: { limit: 20, before } });
      setItems((old) => (before === undefined ? page.items : [...old, ...page.items]));
      setNext(page.nextBefore);
      setError(null);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 403 ? `Not shown: ${err.message}.` : describe(err));
    }
  }, []);
  useEffect(() => {
    void load();
    // An anchoring changes a batch: read the newest page again, at most once a second.
    const off = live.onDecision((_id, event) => {
      if (event !== 'anchored' || timer.current) return;
      timer.current = setTimeout(() => {
        timer.current = null;
        void load();
      }, 1000);
    });
    return () => {
      off();
      if (timer.current) clearTimeout(timer.current);
    };
  }, [load]);
  return (
    <section className="panel" aria-labelledby="audit-batches">
      <h2 id="audit-batches">Batches</h2>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Batch</th>
                <th scope="col">Status</th>
                <th scope="col">Leaves</th>
                <th scope="col">Sequence</th>
                <th scope="col">Block</th>
                <th scope="col">Mined</th>
                <th scope="col">Root</th>
                <th scope="col">Transaction</th>
              </tr>
            </thead>
            <tbody>
              {items.map((b) => (
                <tr key={b.batchId}>
                  <td>{b.batchId}</td>
                  <td title={b.reason ?? undefined}>{b.status}</td>
                  <td>{b.leafCount}</td>
                  <td>
                    {b.firstSeq}-{b.lastSeq}
                  </td>
                  <td>{b.blockNumber ?? '-'}</td>
                  <td>{when(b.blockTime)}</td>
                  <td className="mono hex">{b.root}</td>
                  <td className="mono hex">{b.txHash ?? '-'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {items.length === 0 && <p className="notice">No batch yet.</p>}
          {next !== null && (
            <button type="button" onClick={() => void load(next)}>
              Older batches
            </button>
          )}
        </div>
      )}
    </section>
  );
}

export function Audit() {
  const [text, setText] = useState('');
  return (
    <section className="audit">
      <h1>Audit</h1>
      <div className="audit-grid">
        <ContractPanel />
        <CheckById onDocument={(doc) => setText(JSON.stringify(doc, null, 2))} />
      </div>
      <CheckDocument text={text} setText={setText} />
      <Batches />
    </section>
  );
}
