// The real app with the operator chat on it. Once server.ts builds the chat (services.chat) this
// uses the app as it is; until then it builds the ChatService from the app's own services and puts
// POST /api/chat in front of the app's routes (createApp ends with its 404 handler, so a router
// cannot be added to the app after it is built), the /chat namespace on the app's own Socket.io.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import pino from 'pino';
import { startTestApp, type TestApp } from './app.js';
import { io as ioClient, type Socket } from 'socket.io-client';
import type { LlmStub, StubReply, StubRequest } from './llmStub.js';
import { loadConfig } from '../../config/index.js';
import { createLlmClient } from '../../services/groqClient/index.js';
import { ChatService, DEFAULT_CHAT_LIMITS } from '../../services/chat/index.js';
import { chatRouter } from '../../routes/chat.js';
import { attachChat } from '../../socket/chat.js';
import { errorHandler, requireJson } from '../../middlewares/errors.js';

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
  return { GROQ_API_KEY: 'test', GROQ_BASE_URL: stub.url, GROQ_MAX_RETRIES: '0', LLM_RPM: '100000', LLM_QUEUE_MAX: '1000', CHAIN_RPC_URL: 'off', ...over };
}

/** A distinctive sentence of prompts/chat.v1.md: only chat requests carry it (explanations have their own prompt). */
export const CHAT_PROMPT_MARK = 'confidential operating rules for this assistant';

export const isChatRequest = (r: StubRequest) => r.messages.some((m) => m.role === 'system' && (m.content ?? '').includes(CHAT_PROMPT_MARK));

export async function startChatApp(env: Record<string, string> = {}): Promise<ChatTestApp> {
  const t = await startTestApp({ env: { CHAIN_RPC_URL: 'off', ...env } });
  const wired = (t.app.services as unknown as { chat?: ChatService }).chat;
  if (wired) return { t, url: t.url, ioUrl: t.url, chat: wired, close: () => t.close() };

  const logger = pino({ level: 'silent' });
  const llm = createLlmClient(loadConfig({ PORT: '0', LOG_LEVEL: 'silent', CHAIN_RPC_URL: 'off', ...env }), logger);
  const chat = new ChatService({ sources: t.app.services, llm, logger, limits: DEFAULT_CHAT_LIMITS });
  const edge = { stations: t.app.services.stations, chat };
  const unexpected = (err: unknown) => console.error('chat test app: unexpected error', err);
  attachChat(t.app.io.of('/chat'), edge, unexpected);
  const front = express();
  front.disable('x-powered-by');
  front.use('/api', requireJson(), express.json({ limit: '1mb', strict: false }), chatRouter(edge));
  front.use(t.app.app);
  front.use(errorHandler(unexpected));
  const http: Server = createServer(front);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    t,
    url: `http://127.0.0.1:${port}`,
    ioUrl: t.url,
    chat,
    close: async () => {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await llm.close();
      await t.close();
    },
  };
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

export async function chatOverSocket(url: string, payload: unknown): Promise<{ ack: { ok: boolean; error?: { code: string; details: { field: string }[] } }; deltas: string[]; done: Record<string, unknown> | null }> {
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
