// The real app with the operator chat on it (services.chat, POST /api/chat, the /chat namespace),
// its LLM pointed at the local stub.
import { startTestApp, type TestApp } from './app.js';
import { io as ioClient, type Socket } from 'socket.io-client';
import type { LlmStub, StubReply, StubRequest } from './llmStub.js';
import type { ChatService } from '../../services/llm/chat/index.js';

export interface ChatTestApp {
  t: TestApp;
  /** Base URL for REST (POST /api/chat and every other route) and Socket.io (/chat). */
  url: string;
  ioUrl: string;
  chat: ChatService;
  close(): Promise<void>;
}

/** Env for an app whose LLM is the stub; no limits that a test run could hit by accident. */
export function stubEnv(stub: LlmStub, over: Record<string, string> = {}): Record<string, string> {
  return {
    GROQ_API_KEY: 'test',
    GROQ_BASE_URL: stub.url,
    GROQ_MAX_RETRIES: '0',
    LLM_RPM: '100000',
    LLM_QUEUE_MAX: '1000',
    CHAIN_RPC_URL: 'off',
    RATE_CHAT_PER_MIN: '100000',
    ...over,
  };
}

/** A distinctive sentence of prompts/chat.v1.md: only chat requests carry it (explanations have their own prompt). */
export const CHAT_PROMPT_MARK = 'confidential operating rules for this assistant';

export const isChatRequest = (r: StubRequest) =>
  r.messages.some((m) => m.role === 'system' && (m.content ?? '').includes(CHAT_PROMPT_MARK));

export async function startChatApp(env: Record<string, string> = {}): Promise<ChatTestApp> {
  const t = await startTestApp({ env: { CHAIN_RPC_URL: 'off', ...env } });
  return { t, url: t.url, ioUrl: t.url, chat: t.app.services.chat, close: () => t.close() };
}

/** Polls until `check` passes (decisions reach the database a few ms after the signal is accepted). */
export async function until(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Answers chat requests with `fn(request, n)` (n counts chat requests from 1); anything else gets a short text. */
export function script(stub: LlmStub, fn: (r: StubRequest, n: number) => StubReply): void {
  let n = 0;
  stub.respond((r) => (isChatRequest(r) ? fn(r, ++n) : { content: 'not a chat request' }));
}

export async function chatOverSocket(
  url: string,
  payload: unknown,
): Promise<{
  ack: { ok: boolean; error?: { code: string; details: { field: string }[] } };
  deltas: string[];
  done: Record<string, unknown> | null;
}> {
  const socket: Socket = ioClient(`${url}/chat`, { transports: ['websocket'], forceNew: true });
  try {
    const deltas: string[] = [];
    let done: Record<string, unknown> | null = null;
    socket.on('chat:delta', (d: { text: string }) => deltas.push(d.text));
    socket.on('chat:done', (d: Record<string, unknown>) => (done = d));
    const ack = await socket.timeout(15_000).emitWithAck('chat:message', payload);
    return { ack, deltas, done };
  } finally {
    socket.disconnect();
  }
}
