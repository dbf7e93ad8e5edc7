// Our ChatMessage/ToolSpec/Completion types to and from groq-sdk's OpenAI-format ones,
// including the assembly of a streamed answer from its deltas.
import type Groq from 'groq-sdk';
import type { ChatMessage, CompletionRequest, ToolCall, ToolSpec } from '../types.js';

type GroqMessage = Groq.Chat.ChatCompletionMessageParam;
type GroqTool = Groq.Chat.ChatCompletionTool;
type GroqChunk = Groq.Chat.ChatCompletionChunk;
type GroqToolCall = Groq.Chat.ChatCompletionMessageToolCall;

export function toGroqMessages(messages: ChatMessage[]): GroqMessage[] {
  return messages.map((m): GroqMessage => {
    switch (m.role) {
      case 'system':
        return { role: 'system', content: m.content };
      case 'user':
        return { role: 'user', content: m.content };
      case 'assistant':
        return { role: 'assistant', content: m.content, ...(m.tool_calls?.length ? { tool_calls: m.tool_calls.map(toGroqToolCall) } : {}) };
      case 'tool':
        return { role: 'tool', content: m.content, tool_call_id: m.tool_call_id };
    }
  });
}

function toGroqToolCall(t: ToolCall): GroqToolCall {
  return { id: t.id, type: 'function', function: { name: t.function.name, arguments: t.function.arguments } };
}

export function toGroqTools(tools: ToolSpec[]): GroqTool[] {
  return tools.map((t) => ({
    type: 'function',
    function: { name: t.function.name, description: t.function.description, parameters: t.function.parameters },
  }));
}

/** The request body fields shared by complete() and stream(). */
export function requestBody(req: CompletionRequest, model: string) {
  return {
    model,
    messages: toGroqMessages(req.messages),
    ...(req.tools?.length ? { tools: toGroqTools(req.tools), tool_choice: 'auto' as const } : {}),
    ...(req.maxTokens !== undefined ? { max_completion_tokens: req.maxTokens } : {}),
    ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
  };
}

/** Tool calls of a non-streamed answer, keeping only function calls (Groq's built-in tools are not ours). */
export function fromGroqToolCalls(calls: GroqToolCall[] | undefined): ToolCall[] {
  return (calls ?? [])
    .filter((c) => c.type === 'function')
    .map((c) => ({ id: c.id, type: 'function', function: { name: c.function.name, arguments: c.function.arguments } }));
}

/**
 * Folds stream chunks into one answer. Text arrives in pieces; a tool call arrives as
 * pieces keyed by `index`: its id, type and name once, its JSON arguments possibly split
 * across chunks (OpenAI's format; Groq usually sends a call whole).
 */
export class StreamAssembler {
  private text = '';
  private sawText = false;
  private readonly calls = new Map<number, { id: string; type: string; name: string; arguments: string }>();
  model: string | null = null;

  /** Returns the text piece in this chunk, if any, for the caller's onDelta. */
  add(chunk: GroqChunk): string {
    if (chunk.model) this.model = chunk.model;
    let piece = '';
    for (const choice of chunk.choices) {
      if (choice.index !== 0) continue;
      const { content, tool_calls: toolCalls } = choice.delta;
      if (typeof content === 'string') {
        this.sawText ||= content.length > 0;
        this.text += content;
        piece += content;
      }
      for (const t of toolCalls ?? []) {
        const call = this.calls.get(t.index) ?? { id: '', type: 'function', name: '', arguments: '' };
        if (t.id) call.id = t.id;
        if (t.type) call.type = t.type;
        if (t.function?.name) call.name = t.function.name;
        if (t.function?.arguments) call.arguments += t.function.arguments;
        this.calls.set(t.index, call);
      }
    }
    return piece;
  }

  get content(): string | null {
    return this.sawText ? this.text : null;
  }

  get toolCalls(): ToolCall[] {
    return [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .filter(([, c]) => c.type === 'function')
      .map(([, c]) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
  }
}
