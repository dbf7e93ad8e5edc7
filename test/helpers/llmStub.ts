// A local OpenAI-compatible chat-completions server (what groq-sdk calls at
// POST {baseURL}/openai/v1/chat/completions), scripted per request by the test.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubRequest {
  model: string;
  messages: { role: string; content: string | null; tool_calls?: unknown[]; tool_call_id?: string }[];
  tools?: { type: string; function: { name: string } }[];
  stream?: boolean;
  [key: string]: unknown;
}

/** What the stub answers: a reply (text and/or tool calls), an HTTP error, or a hang. */
export type StubReply =
  | { content?: string | null; toolCalls?: { id?: string; name: string; arguments: Record<string, unknown> }[]; delayMs?: number }
  | { status: number; body?: unknown; delayMs?: number; headers?: Record<string, string> }
  | { hang: true };

export interface LlmStub {
  /** Base URL to pass as GROQ_BASE_URL. */
  url: string;
  /** Every request received, in order. */
  requests: StubRequest[];
  /** Sets how the next requests are answered (called with each request; default: a short text). */
  respond(fn: (req: StubRequest, n: number) => StubReply): void;
  close(): Promise<void>;
}

function completion(
  model: string,
  reply: { content?: string | null; toolCalls?: { id?: string; name: string; arguments: Record<string, unknown> }[] },
) {
  const toolCalls = (reply.toolCalls ?? []).map((t, i) => ({
    id: t.id ?? `call_${i}`,
    type: 'function',
    function: { name: t.name, arguments: JSON.stringify(t.arguments) },
  }));
  return {
    id: 'chatcmpl-stub',
    object: 'chat.completion',
    created: 0,
    model,
    choices: [
      {
        index: 0,
        finish_reason: toolCalls.length ? 'tool_calls' : 'stop',
        message: { role: 'assistant', content: reply.content ?? null, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) },
      },
    ],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  };
}

function streamed(
  res: ServerResponse,
  model: string,
  reply: { content?: string | null; toolCalls?: { id?: string; name: string; arguments: Record<string, unknown> }[] },
): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const chunk = (delta: Record<string, unknown>, finish: string | null) =>
    res.write(
      `data: ${JSON.stringify({ id: 'chatcmpl-stub', object: 'chat.completion.chunk', created: 0, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`,
    );
  chunk({ role: 'assistant', content: '' }, null);
  // The text in a few pieces, so a client sees several deltas.
  const text = reply.content ?? '';
  const pieces = text.match(/.{1,12}/gs) ?? [];
  for (const p of pieces) chunk({ content: p }, null);
  (reply.toolCalls ?? []).forEach((t, i) =>
    chunk(
      {
        tool_calls: [
          { index: i, id: t.id ?? `call_${i}`, type: 'function', function: { name: t.name, arguments: JSON.stringify(t.arguments) } },
        ],
      },
      null,
    ),
  );
  chunk({}, reply.toolCalls?.length ? 'tool_calls' : 'stop');
  res.write('data: [DONE]\n\n');
  res.end();
}

export async function startLlmStub(): Promise<LlmStub> {
  const requests: StubRequest[] = [];
  let responder: (req: StubRequest, n: number) => StubReply = () => ({ content: 'stub reply' });
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}` } }));
        return;
      }
      const body = JSON.parse(raw) as StubRequest;
      requests.push(body);
      const reply = responder(body, requests.length);
      if ('hang' in reply) {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      const send = () => {
        if ('status' in reply) {
          res.writeHead(reply.status, { 'content-type': 'application/json', ...(reply.headers ?? {}) });
          res.end(JSON.stringify(reply.body ?? { error: { message: `stub status ${reply.status}`, type: 'stub' } }));
        } else if (body.stream) streamed(res, body.model, reply);
        else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(completion(body.model, reply)));
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respond: (fn) => {
      responder = fn;
    },
    close: async () => {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
