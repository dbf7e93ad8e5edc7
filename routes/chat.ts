// POST /api/chat: one operator question, answered whole (the /chat namespace streams it).
import { Router } from 'express';
import type { Services } from '../services/index.js';
import { chatInputSchema, type ChatInput, type ChatService } from '../services/chat/index.js';
import { validate } from '../middlewares/validate.js';
import { requireRole } from '../middlewares/auth.js';
import { AppError } from '../services/errors.js';

export function chatRouter(s: Pick<Services, 'stations' | 'limits'> & { chat: ChatService }): Router {
  const r = Router();
  r.post('/chat', requireRole('operator'), async (req, res) => {
    const input = validate<ChatInput>(chatInputSchema, req.body ?? {}, 'body');
    // The chat's tools read every station: until they honour scopes, only all-station users may ask.
    if (req.user!.stationScope !== 'all') throw new AppError(403, 'FORBIDDEN', 'the chat is open to users with access to all stations for now', [{ field: 'authorization' }]);
    // Each question may cost an LLM call: per user once signed in, per address until then.
    await s.limits.chatPerUser.consume(req.user ? `user:${req.user.id}` : `ip:${req.ip ?? 'unknown'}`);
    res.json(await s.chat.ask(input));
  });
  return r;
}
