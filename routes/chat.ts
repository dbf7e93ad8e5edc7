// POST /api/chat: one operator question, answered whole (the /chat namespace streams it).
import { Router } from 'express';
import type { Limiter } from '../services/access/index.js';
import { chatInputSchema, type ChatInput, type ChatService } from '../services/llm/index.js';
import { validate } from '../services/platform/index.js';
import { requireRole } from '../middlewares/auth.js';
import type { ApiOperation } from './apiSpec.js';

export const chatApi: ApiOperation[] = [
  {
    method: 'post',
    path: '/api/chat',
    summary:
      'Ask the copilot about live state. The LLM answers through read-only tools; without it (no key, breaker open) a deterministic fallback answers from live data. The chat never acts.',
    roles: ['operator'],
    body: chatInputSchema,
    responses: {
      200: '{ reply, citations: [{ kind, id }], source: llm | fallback, conversationId }',
      400: 'bad input',
      404: 'unknown stationId',
      429: 'too many questions (Retry-After)',
    },
  },
];

export function chatRouter(s: { chat: Pick<ChatService, 'ask'>; chatPerUser: Limiter }): Router {
  const r = Router();
  r.post('/chat', requireRole('operator'), async (req, res) => {
    const input = validate<ChatInput>(chatInputSchema, req.body ?? {}, 'body');

    // Each question may cost an LLM call: per user once signed in, per address until then.
    await s.chatPerUser.consume(req.user ? `user:${req.user.id}` : `ip:${req.ip ?? 'unknown'}`);
    res.json(await s.chat.ask(input, undefined, req.user!.stationScope, req.user!.id));
  });
  return r;
}
