// The chat's public face for the edges and the composition root.
import Joi from 'joi';

export {
  ChatService,
  DEFAULT_CHAT_LIMITS,
  CHAT_PROMPT_VERSION,
  type ChatAnswer,
  type ChatDeps,
  type ChatInput,
  type ChatLimits,
  type OnDelta,
} from './service.js';
export type { Citation } from './citations.js';
export { TOOL_NAMES, TOOL_SPECS } from './tools.js';

export const MAX_CHAT_MESSAGE = 2000;

/** One operator message, as both edges (POST /api/chat, the /chat namespace) accept it. */
export const chatInputSchema = Joi.object({
  message: Joi.string().min(1).max(MAX_CHAT_MESSAGE).pattern(/\S/, 'some text').required(),
  stationId: Joi.string().max(64),
  conversationId: Joi.string().guid({ version: ['uuidv4'] }),
}).unknown(false);
