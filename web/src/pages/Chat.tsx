// The operator chat: questions go over the `/chat` namespace, the answer streams in as deltas and is
// then replaced by the server's checked reply, whose [decision:id] and [station:id] marks become links.
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { Link } from 'wouter';
import { io, type Socket } from 'socket.io-client';
import { session } from '../session';
import { useLive } from '../live';
import './admin.css';

interface Citation {
  kind: 'decision' | 'station';
  id: string;
}

interface Turn {
  key: number;
  role: 'user' | 'copilot';
  text: string;
  /** Set once `chat:done` arrived: the text is the checked reply. */
  final: boolean;
  citations: Citation[];
  source?: 'llm' | 'fallback';
  error?: string;
}

interface Ack {
  ok: boolean;
  error?: { code?: string; message?: string; details?: { field?: string }[] };
}

/** Matches the server's citation marks (services/llm/chat/citations.ts). */
const CITE = /\[(decision|station):([A-Za-z0-9][A-Za-z0-9._:~-]{0,159})\]/g;
const ANSWER_TIMEOUT_MS = 120_000;

const hrefOf = (c: Citation) => `/${c.kind === 'decision' ? 'decisions' : 'stations'}/${encodeURIComponent(c.id)}`;

/** What an operator can do about a refused question, in words. */
function explain(e: Ack['error']): string {
  const code = e?.code ?? 'ERROR';
  const said = e?.message ?? 'the question was refused';
  if (code === 'CHAT_BUSY') return `The copilot is still answering your previous question (${said}).`;
  if (code === 'RATE_LIMITED') return `Too many questions at once: wait a moment and ask again (${said}).`;
  const fields = (e?.details ?? []).map((d) => d.field).filter(Boolean);
  return `${said}${fields.length ? ` (${fields.join(', ')})` : ''} [${code}]`;
}

/**
 * The text with its citation marks as links. While streaming, the server sends only marks it has
 * vouched for; once final, only the checked citations are linked.
 */
function withLinks(text: string, allowed: Citation[] | null): ReactNode[] {
  const out: ReactNode[] = [];
  let at = 0;
  for (const m of text.matchAll(CITE)) {
    const c = { kind: m[1] as Citation['kind'], id: m[2] };
    if (allowed && !allowed.some((x) => x.kind === c.kind && x.id === c.id)) continue;
    if (m.index > at) out.push(text.slice(at, m.index));
    out.push(
      <Link key={`${m.index}`} href={hrefOf(c)} className="cite">
        {c.kind} {c.id}
      </Link>,
    );
    at = m.index + m[0].length;
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
}

function Answer({ turn }: { turn: Turn }) {
  return (
    <li className={`chat-turn ${turn.role}`} aria-busy={turn.role === 'copilot' && !turn.final && !turn.error}>
      <span className="chat-who">{turn.role === 'user' ? 'You' : 'Copilot'}</span>
      {turn.text && <div className="chat-text">{withLinks(turn.text, turn.final ? turn.citations : null)}</div>}
      {turn.role === 'copilot' && !turn.final && !turn.error && !turn.text && <div className="notice">Thinking...</div>}
      {turn.error && (
        <p role="alert" className="error">
          {turn.error}
        </p>
      )}
      {turn.final && turn.citations.length > 0 && (
        <ul className="chat-sources" aria-label="Sources">
          {turn.citations.map((c) => (
            <li key={`${c.kind}:${c.id}`}>
              <Link href={hrefOf(c)}>
                {c.kind === 'decision' ? 'Decision' : 'Station'} {c.id}
              </Link>
            </li>
          ))}
        </ul>
      )}
      {turn.final && turn.source === 'fallback' && <small className="notice">Answered from live data without the language model.</small>}
    </li>
  );
}

export function Chat() {
  const { stations } = useLive();
  const [turns, setTurns] = useState<Turn[]>([]);
  const [message, setMessage] = useState('');
  const [stationId, setStationId] = useState('');
  const [conversationId, setConversationId] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const socketRef = useRef<Socket | null>(null);
  const nextKey = useRef(1);
  const endRef = useRef<HTMLDivElement | null>(null);

  /** The copilot turn being answered: deltas, the reply and a late ack go to their own turn only. */
  const pending = useRef<number | null>(null);

  const patchTurn = (key: number | null, patch: (t: Turn) => Partial<Turn>) =>
    setTurns((ts) => ts.map((t) => (t.key === key && !t.final && !t.error ? { ...t, ...patch(t) } : t)));
  const settle = (key: number, patch?: (t: Turn) => Partial<Turn>) => {
    if (patch) patchTurn(key, patch);
    if (pending.current !== key) return;
    pending.current = null;
    setBusy(false);
  };

  useEffect(() => {
    const socket = io('/chat', {
      transports: ['websocket'],
      auth: (cb) => void session.token().then((token) => cb({ token })),
    });
    socketRef.current = socket;
    socket.on('connect', () => setProblem(null));
    socket.on('connect_error', (err: Error & { data?: { code?: string } }) => {
      if (err.data?.code === 'AUTH_REQUIRED' || err.data?.code === 'INVALID_TOKEN' || err.data?.code === 'TOKEN_EXPIRED')
        void session.refresh();
      setProblem(`Cannot reach the chat: ${err.message}`);
    });
    socket.on('auth:revoked', (e: { code?: string; message?: string }) => {
      // An expired token is renewed and the socket comes back; anything else ended the access.
      if (e.code === 'TOKEN_EXPIRED') void session.refresh().then((ok) => ok && socket.connect());
      else setProblem(`The chat closed: ${e.message ?? 'access ended'}`);
    });
    socket.on('disconnect', (reason) => {
      if (pending.current !== null && reason !== 'io client disconnect')
        settle(pending.current, () => ({ error: 'The connection dropped before the answer was complete: ask again.' }));
    });
    // The session renews its access token before it expires: the open socket is handed the new one.
    let renewed: string | null = null;
    const unsubscribe = session.subscribe(
      () =>
        void session.token().then((token) => {
          if (!token || token === renewed || !socket.connected) return;
          renewed = token;
          socket.emit('auth:renew', { token }, () => undefined);
        }),
    );
    // One question at a time per socket, so every delta belongs to the last copilot turn.
    socket.on('chat:delta', (d: { text: string; conversationId: string }) => {
      setConversationId(d.conversationId);
      patchTurn(pending.current, (t) => ({ text: t.text + d.text }));
    });
    socket.on('chat:done', (d: { reply: string; citations: Citation[]; source: 'llm' | 'fallback'; conversationId: string }) => {
      setConversationId(d.conversationId);
      patchTurn(pending.current, () => ({ text: d.reply, citations: d.citations, source: d.source, final: true }));
    });
    return () => {
      unsubscribe();
      socket.close();
      socketRef.current = null;
    };
  }, []);

  useEffect(() => {
    // Braces matter: newer browsers return a promise from scrollIntoView, which React would take for a cleanup.
    endRef.current?.scrollIntoView?.({ block: 'end' });
  }, [turns]);

  const send = (e: FormEvent) => {
    e.preventDefault();
    const text = message.trim();
    const socket = socketRef.current;
    if (!text || !socket || busy) return;
    const key = nextKey.current + 1;
    nextKey.current += 2;
    pending.current = key;
    setTurns((ts) => [
      ...ts,
      { key: key - 1, role: 'user', text, final: true, citations: [] },
      { key, role: 'copilot', text: '', final: false, citations: [] },
    ]);
    setMessage('');
    setBusy(true);
    const payload = { message: text, ...(stationId ? { stationId } : {}), ...(conversationId ? { conversationId } : {}) };
    socket.timeout(ANSWER_TIMEOUT_MS).emit('chat:message', payload, (err: Error | null, ack?: Ack) => {
      if (err) settle(key, () => ({ error: 'No answer came in time: ask again.' }));
      else if (!ack?.ok) settle(key, () => ({ error: explain(ack?.error) }));
      else settle(key);
    });
  };

  const restart = () => {
    setTurns([]);
    setConversationId(null);
  };

  const options = [...stations.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  return (
    <section className="chat">
      <h1>Chat</h1>
      <p className="notice">
        Ask about stations, decisions and thresholds. The copilot reads live data and never acts: approvals and changes stay yours.
      </p>
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
      <ol className="chat-log" aria-label="Conversation" aria-live="polite">
        {turns.map((t) => (
          <Answer key={t.key} turn={t} />
        ))}
      </ol>
      <div ref={endRef} />
      <form className="chat-form" onSubmit={send} aria-label="Ask">
        <label className="chat-station">
          Station
          <select aria-label="Station" value={stationId} onChange={(e) => setStationId(e.target.value)}>
            <option value="">Any station</option>
            {options.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name === s.id ? s.id : `${s.name} (${s.id})`}
              </option>
            ))}
          </select>
        </label>
        <label className="chat-input">
          Ask the copilot
          <textarea
            rows={2}
            maxLength={2000}
            value={message}
            onChange={(e) => setMessage(e.target.value)}
            onKeyDown={(e) => {
              // Enter sends, Shift+Enter breaks the line, as in most chats.
              if (e.key === 'Enter' && !e.shiftKey) {
                e.preventDefault();
                e.currentTarget.form?.requestSubmit();
              }
            }}
          />
        </label>
        <div className="chat-buttons">
          <button type="submit" disabled={busy || !message.trim()}>
            {busy ? 'Answering...' : 'Send'}
          </button>
          <button type="button" onClick={restart} disabled={busy || turns.length === 0}>
            New conversation
          </button>
        </div>
      </form>
    </section>
  );
}
