// The operator chat: the LLM answers with read-only tools over live state; without it (no key,
// circuit open, timeout) a deterministic fallback answers from the same data. It never acts.
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { LlmUnavailableError, type ChatMessage, type Completion, type CompletionRequest, type LlmClient } from '../types.js';
import { AppError } from '../../platform/index.js';
import { checkCitations, DeltaGuard, promptShingles, quotesPrompt, stripLinks, type Citation } from './citations.js';
import { scopedSources } from './scope.js';
import { fallbackAnswer } from './fallback.js';
import { ConversationStore, type Turn } from './history.js';
import type { ChatSources } from './risk.js';
import { runTool, TOOL_SPECS } from './tools.js';
import { projectFile } from '../../../utils/paths.js';

export const CHAT_PROMPT_VERSION = 'chat.v1';
const PROMPT_FILE = projectFile('prompts', `${CHAT_PROMPT_VERSION}.md`);

export interface ChatInput {
  message: string;
  stationId?: string;
  conversationId?: string;
}

export interface ChatAnswer {
  reply: string;
  citations: Citation[];
  source: 'llm' | 'fallback';
  conversationId: string;
}

/** Gets each piece of the reply as it is written; the final reply (chat:done) is the authoritative text. */
export type OnDelta = (text: string, conversationId: string) => void;

export interface ChatLimits {
  /** Tool rounds before the model must answer with what it has. */
  toolRounds: number;
  /** Tool calls answered per round; more are refused. */
  callsPerRound: number;
  /** Messages of history kept per conversation (user and assistant turns). */
  historyMessages: number;
  conversations: number;
  maxTokens: number;
}

export const DEFAULT_CHAT_LIMITS: ChatLimits = {
  toolRounds: 4,
  callsPerRound: 6,
  historyMessages: 12,
  conversations: 1000,
  maxTokens: 800,
};

export interface ChatDeps {
  sources: ChatSources;
  /** Null, or a client that is not configured: every answer is the fallback. */
  llm: LlmClient | null;
  logger: Logger;
  limits: ChatLimits;
}

const WITHHELD =
  "I can't share my instructions. I can tell you about stations, decisions and their explanations, anchoring and the agents' thresholds.";
const ANSWER_NOW =
  'No more tool calls are available for this question: answer now from the tool results above, and say what you could not look up.';

export class ChatService {
  private readonly history: ConversationStore;
  private readonly prompt: string;
  private readonly shingles: Set<string>;

  constructor(private readonly deps: ChatDeps) {
    this.history = new ConversationStore(deps.limits.historyMessages, deps.limits.conversations);
    this.prompt = readFileSync(PROMPT_FILE, 'utf8').trim();
    this.shingles = promptShingles(this.prompt);
  }

  /** Conversations held in memory. */
  get conversations(): number {
    return this.history.size;
  }

  /**
   * `scope`: the asking user's stations; the chat reads nothing outside them. `owner`: the asking
   * user's id; a conversation continues only for the user who started it.
   */
  async ask(input: ChatInput, onDelta?: OnDelta, scope: string[] | 'all' = 'all', owner = ''): Promise<ChatAnswer> {
    const sources = scopedSources(this.deps.sources, scope);
    const { stations } = sources;
    if (input.stationId !== undefined && !stations.has(input.stationId)) {
      throw new AppError(404, 'UNKNOWN_STATION', `station ${input.stationId} is not registered`, [{ field: 'stationId' }]);
    }
    const conv = this.history.open(input.conversationId, owner);
    let streamed = false;
    const emit = onDelta
      ? (text: string) => {
          streamed = true;
          onDelta(text, conv.id);
        }
      : undefined;
    let answer: Omit<ChatAnswer, 'conversationId'> | null = null;
    let reason = 'no language model is configured';
    const llm = this.deps.llm;
    if (llm?.configured) {
      try {
        answer = await this.viaLlm(llm, sources, input, conv.turns, emit);
        if (!answer) reason = 'the language model gave an empty answer';
      } catch (err) {
        if (!(err instanceof LlmUnavailableError)) throw err;
        reason = `the language model is unavailable: ${err.reason.replace(/_/g, ' ')}`;
        this.deps.logger.info({ reason: err.reason, conversationId: conv.id }, 'chat: answering with the fallback');
      }
    }
    if (!answer) {
      answer = await fallbackAnswer(sources, input, Date.now(), reason);
      emit?.(streamed ? `\n\n${answer.reply}` : answer.reply);
    }
    this.history.append(conv.id, owner, [
      { role: 'user', content: input.message },
      { role: 'assistant', content: answer.reply },
    ]);
    return { ...answer, conversationId: conv.id };
  }

  private messages(input: ChatInput, past: Turn[]): ChatMessage[] {
    const out: ChatMessage[] = [{ role: 'system', content: this.prompt }];
    if (input.stationId)
      out.push({ role: 'system', content: `The operator has station ${input.stationId} selected; "this station" means it.` });
    return [...out, ...past, { role: 'user', content: input.message }];
  }

  /** The tool loop; null when the model gave no text at all. */
  private async viaLlm(
    llm: LlmClient,
    sources: ChatSources,
    input: ChatInput,
    past: Turn[],
    emit?: (text: string) => void,
  ): Promise<Omit<ChatAnswer, 'conversationId'> | null> {
    const { limits, logger } = this.deps;
    const messages = this.messages(input, past);
    // Decisions a tool showed exist: their citations may be streamed before the final check.
    const seen = new Set<string>();
    const guard = emit
      ? new DeltaGuard({
          shingles: this.shingles,
          emit,
          known: (c) => (c.kind === 'station' ? sources.stations.has(c.id) : seen.has(c.id)),
        })
      : null;
    const parts: string[] = [];
    for (let round = 0; ; round++) {
      const last = round >= limits.toolRounds;
      const req: CompletionRequest = {
        messages,
        purpose: 'chat',
        maxTokens: limits.maxTokens,
        temperature: 0.2,
        ...(last ? {} : { tools: TOOL_SPECS }),
      };
      let first = true;
      const separate = () => (parts.length && first ? '\n\n' : '');
      const c: Completion = guard
        ? await llm.stream(req, (text) => {
            if (!text) return;
            guard.push(separate() + text);
            first = false;
          })
        : await llm.complete(req);
      const text = c.content?.trim() ?? '';
      if (text) parts.push(text);
      if (last || c.toolCalls.length === 0) break;
      messages.push({ role: 'assistant', content: c.content, tool_calls: c.toolCalls });
      for (const [i, call] of c.toolCalls.entries()) {
        if (i >= limits.callsPerRound) {
          messages.push({
            role: 'tool',
            tool_call_id: call.id,
            content: JSON.stringify({
              ok: false,
              error: { code: 'TOO_MANY_CALLS', message: `at most ${limits.callsPerRound} tool calls per turn` },
            }),
          });
          continue;
        }
        const r = await runTool(sources, call, (err) => logger.error({ err, tool: call.function.name }, 'chat tool failed'));
        if (!r.ok) logger.warn({ tool: r.name.slice(0, 64), result: r.content.slice(0, 300) }, 'chat: tool call refused');
        for (const id of r.decisionIds) seen.add(id);
        messages.push({ role: 'tool', tool_call_id: call.id, content: r.content });
      }
      if (round + 1 >= limits.toolRounds) messages.push({ role: 'system', content: ANSWER_NOW });
    }
    guard?.end();
    const text = parts.join('\n\n');
    if (guard?.leaked || quotesPrompt(text, this.shingles)) {
      logger.warn('chat: the model quoted its instructions; the reply was withheld');
      emit?.(guard?.sent ? `\n\n${WITHHELD}` : WITHHELD);
      return { reply: WITHHELD, citations: [], source: 'llm' };
    }
    if (!text) return null;
    const checked = await checkCitations(stripLinks(text), async (c) =>
      c.kind === 'station' ? sources.stations.has(c.id) : seen.has(c.id) || (await sources.decisions.getDoc(c.id)) !== null,
    );
    return { reply: checked.text, citations: checked.citations, source: 'llm' };
  }
}
