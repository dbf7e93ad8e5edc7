// Conversation history in memory, bounded twice: the last N messages per conversation, and the
// most recently used conversations (LRU). Ids are issued by the server; an unknown id starts afresh,
// and so does another user's: a conversation belongs to the user who started it.
import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';

export type Turn = { role: 'user'; content: string } | { role: 'assistant'; content: string };

export class ConversationStore {
  /** Reading or writing a conversation makes it the most recent; past the cap the least recent goes. */
  private readonly conversations: LRUCache<string, { owner: string; turns: Turn[] }>;

  constructor(
    private readonly maxMessages: number,
    maxConversations: number,
  ) {
    this.conversations = new LRUCache({ max: maxConversations });
  }

  get size(): number {
    return this.conversations.size;
  }

  /**
   * The conversation's id and a copy of its past turns; an unknown or missing id, or one that belongs to
   * another owner, gets a new id (stored on first append), so nobody reads or continues another's.
   */
  open(id: string | undefined, owner: string): { id: string; turns: Turn[] } {
    // peek: another owner's guess must not keep a conversation alive.
    const conv = id === undefined ? undefined : this.conversations.peek(id);
    if (id === undefined || !conv || conv.owner !== owner) return { id: randomUUID(), turns: [] };
    this.conversations.get(id);
    return { id, turns: [...conv.turns] };
  }

  append(id: string, owner: string, turns: Turn[]): void {
    const known = this.conversations.peek(id);
    if (known && known.owner !== owner) return;
    this.conversations.set(id, { owner, turns: [...(known?.turns ?? []), ...turns].slice(-this.maxMessages) });
  }
}
