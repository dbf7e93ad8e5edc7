// The llm subsystem's public surface: other code imports it only through this file.
export { ChatService, DEFAULT_CHAT_LIMITS, chatInputSchema } from './chat/index.js';
export type { ChatInput } from './chat/index.js';
export { createLlmClient } from './client/index.js';
export { ExplainabilityService } from './explanations/service.js';
export type { LlmClient } from './types.js';
export { TEMPLATE_EXPLAINER } from './explanations/template.js';
