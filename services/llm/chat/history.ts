// Conversation history in memory, bounded twice: the last N messages per conversation, and the
// most recently used conversations (LRU). Ids are issued by the server; an unknown id starts afresh.
import { randomUUID } from 'node:crypto';

export type Turn = { role: 'user'; content: string } | { role: 'assistant'; content: string };

export class ConversationStore {
  /** Map order is recency order: a touched conversation is moved to the end. */
  private readonly conversations = new Map<string, Turn[]>();

  constructor(
    private readonly maxMessages: number,
    private readonly maxConversations: number,
  ) {}

  get size(): number {
    return this.conversations.size;
  }

  /** The conversation's id and a copy of its past turns; an unknown or missing id gets a new id (stored on first append). */
  open(id: string | undefined): { id: string; turns: Turn[] } {
    const turns = id === undefined ? undefined : this.conversations.get(id);
    if (id === undefined || !turns) return { id: randomUUID(), turns: [] };
    this.touch(id, turns);
    return { id, turns: [...turns] };
  }

  append(id: string, turns: Turn[]): void {
    const kept = [...(this.conversations.get(id) ?? []), ...turns].slice(-this.maxMessages);
    this.touch(id, kept);
    while (this.conversations.size > this.maxConversations) this.conversations.delete(this.conversations.keys().next().value!);
  }

  private touch(id: string, turns: Turn[]): void {
    this.conversations.delete(id);
    this.conversations.set(id, turns);
  }
}
