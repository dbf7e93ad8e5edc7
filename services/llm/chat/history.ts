// Conversation history in memory, bounded twice: the last N messages per conversation, and the
// most recently used conversations (LRU). Ids are issued by the server; an unknown id starts afresh,
// and so does another user's: a conversation belongs to the user who started it.
import { randomUUID } from 'node:crypto';

export type Turn = { role: 'user'; content: string } | { role: 'assistant'; content: string };

export class ConversationStore {
  /** Map order is recency order: a touched conversation is moved to the end. */
  private readonly conversations = new Map<string, { owner: string; turns: Turn[] }>();

  constructor(
    private readonly maxMessages: number,
    private readonly maxConversations: number,
  ) {}

  get size(): number {
    return this.conversations.size;
  }

  /**
   * The conversation's id and a copy of its past turns; an unknown or missing id, or one that belongs to
   * another owner, gets a new id (stored on first append), so nobody reads or continues another's.
   */
  open(id: string | undefined, owner: string): { id: string; turns: Turn[] } {
    const conv = id === undefined ? undefined : this.conversations.get(id);
    if (id === undefined || !conv || conv.owner !== owner) return { id: randomUUID(), turns: [] };
    this.touch(id, conv);
    return { id, turns: [...conv.turns] };
  }

  append(id: string, owner: string, turns: Turn[]): void {
    const known = this.conversations.get(id);
    if (known && known.owner !== owner) return;
    this.touch(id, { owner, turns: [...(known?.turns ?? []), ...turns].slice(-this.maxMessages) });
    while (this.conversations.size > this.maxConversations) this.conversations.delete(this.conversations.keys().next().value!);
  }

  private touch(id: string, conv: { owner: string; turns: Turn[] }): void {
    this.conversations.delete(id);
    this.conversations.set(id, conv);
  }
}
