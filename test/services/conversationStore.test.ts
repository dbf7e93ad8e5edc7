// Chat histories stay bounded: messages per conversation, and conversations (the least recently used goes).
import { expect } from 'chai';
import { ConversationStore, type Turn } from '../../services/llm/chat/history.js';

const q = (content: string): Turn => ({ role: 'user', content });

describe('chat conversation store bounds', () => {
  it('holds at most maxConversations; the least recently used goes first', () => {
    const store = new ConversationStore(12, 100);
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) {
      const { id } = store.open(undefined, 'u1');
      store.append(id, 'u1', [q(`question ${i}`)]);
      ids.push(id);
    }
    // Continuing the first conversation makes it the most recent; the second is now the oldest.
    expect(store.open(ids[0], 'u1').turns).to.deep.equal([q('question 0')]);
    for (let i = 100; i < 350; i++) store.append(store.open(undefined, 'u1').id, 'u1', [q(`question ${i}`)]);
    expect(store.size).to.equal(100);
    expect(store.open(ids[1], 'u1').turns).to.deep.equal([]);
    expect(store.open(ids[1], 'u1').id).to.not.equal(ids[1]);
  });

  it('keeps only the last maxMessages turns of a conversation', () => {
    const store = new ConversationStore(4, 10);
    const { id } = store.open(undefined, 'u1');
    for (let i = 0; i < 50; i++) store.append(id, 'u1', [q(`q${i}`), { role: 'assistant', content: `a${i}` }]);
    expect(store.open(id, 'u1').turns).to.deep.equal([
      q('q48'),
      { role: 'assistant', content: 'a48' },
      q('q49'),
      { role: 'assistant', content: 'a49' },
    ]);
  });

  it("another owner's id neither reads, extends nor refreshes the conversation", () => {
    const store = new ConversationStore(12, 2);
    const a = store.open(undefined, 'u1').id;
    store.append(a, 'u1', [q('mine')]);
    const b = store.open(undefined, 'u1').id;
    store.append(b, 'u1', [q('other')]);
    expect(store.open(a, 'u2').turns).to.deep.equal([]);
    store.append(a, 'u2', [q('intruder')]);
    store.append(store.open(undefined, 'u3').id, 'u3', [q('third')]);
    // a was the least recent (u2's attempts did not touch it), so it went.
    expect(store.size).to.equal(2);
    expect(store.open(a, 'u1').turns).to.deep.equal([]);
    expect(store.open(b, 'u1').turns).to.deep.equal([q('other')]);
  });
});
