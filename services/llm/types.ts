// The LLM as the rest of the copilot sees it: chat completions (OpenAI format, as Groq
// speaks it) that may fail fast. Only services/groqClient implements it.

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ToolCall[] }
  | { role: 'tool'; content: string; tool_call_id: string };

export interface ToolSpec {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

export interface CompletionRequest {
  messages: ChatMessage[];
  tools?: ToolSpec[];
  maxTokens?: number;
  temperature?: number;
  /** Chat is interactive and goes first; explanations wait or are dropped when the queue is full. */
  purpose: 'explain' | 'chat';
}

export interface Completion {
  content: string | null;
  toolCalls: ToolCall[];
  model: string;
  latencyMs: number;
}

export type LlmUnavailableReason = 'not_configured' | 'circuit_open' | 'queue_full' | 'timeout' | 'rate_limited' | 'upstream_error';

/** The LLM cannot answer now; callers fall back (template explanation, deterministic chat). */
export class LlmUnavailableError extends Error {
  constructor(
    readonly reason: LlmUnavailableReason,
    message: string,
  ) {
    super(message);
    this.name = 'LlmUnavailableError';
  }
}

export type BreakerState = 'not_configured' | 'closed' | 'open' | 'half_open';

export interface LlmStats {
  state: BreakerState;
  model: string;
  queued: number;
  running: number;
  calls: number;
  failures: number;
  rejected: Record<LlmUnavailableReason, number>;
}

export interface LlmClient {
  readonly model: string;
  readonly configured: boolean;
  /** One completion; throws LlmUnavailableError when it cannot be had within the limits. */
  complete(req: CompletionRequest): Promise<Completion>;
  /** The same, streamed: `onDelta` gets each piece of the answer's text as it arrives. */
  stream(req: CompletionRequest, onDelta: (text: string) => void): Promise<Completion>;
  /**
   * Why a call for `purpose` would be refused right now (breaker open, queue full, not configured), or
   * null. Costs nothing: callers with a cheap fallback skip building a request the client would refuse.
   */
  refusal(purpose: CompletionRequest['purpose']): LlmUnavailableReason | null;
  stats(): LlmStats;
  close(): Promise<void>;
}
