// The /chat namespace: `chat:message` -> `chat:delta` { text, conversationId } ... `chat:done`
// { reply, citations, source, conversationId }, then the ack. Clients show the deltas as they come
// and replace them with `reply` at chat:done (a citation that could not be checked yet, or a
// switch to the fallback mid-answer, makes the two differ).
import type { Namespace } from 'socket.io';
import { requireSocketUser } from './auth.js';
import { guardSessions, type SocketQuota } from './session.js';
import type { Identity, Limiter, PublicUser } from '../services/access/index.js';
import { chatInputSchema, type ChatInput, type ChatService } from '../services/llm/index.js';
import { AppError, protoKeyRefusal } from '../services/platform/index.js';

type Ack = (answer: unknown) => void;

export interface ChatDeps {
  identity: Identity;
  chat: Pick<ChatService, 'ask'>;
  chatPerUser: Limiter;
  onError(err: unknown): void;
  quota: SocketQuota;
}

/** A chat sends a question at a time; a few events a second is plenty. */
const CHAT_EVENTS_PER_S = 5;

export function attachChat(ns: Namespace, { identity, chat, chatPerUser, onError, quota }: ChatDeps): void {
  ns.use(requireSocketUser(identity, 'operator'));
  guardSessions(ns, identity, { quota: quota, eventsPerS: CHAT_EVENTS_PER_S });
  ns.on('connection', (socket) => {
    const user = socket.data.user as PublicUser;
    // One answer at a time per socket: a second question waits for the client to get the first.
    let busy = false;
    socket.on('chat:message', (payload: unknown, cb: unknown) => {
      const ack: Ack = typeof cb === 'function' ? (cb as Ack) : () => undefined;
      const refused = protoKeyRefusal(payload);
      if (refused) {
        ack(refused);
        return;
      }
      const { error, value } = chatInputSchema.validate(payload ?? {}, { abortEarly: false, convert: false });
      if (error) {
        const details = error.details.map((d) => ({ field: d.path.join('.') || 'payload', message: d.message }));
        ack({ ok: false, error: { code: 'VALIDATION_FAILED', message: details.map((d) => d.message).join('; '), details } });
        return;
      }
      if (busy) {
        ack({ ok: false, error: { code: 'CHAT_BUSY', message: 'the previous question is still being answered', details: [] } });
        return;
      }
      busy = true;
      chatPerUser
        .consume(`user:${user.id}`)
        .then(() =>
          chat.ask(
            value as ChatInput,
            (text, conversationId) => socket.emit('chat:delta', { text, conversationId }),
            user.stationScope,
            user.id,
          ),
        )
        .then((answer) => {
          socket.emit('chat:done', answer);
          ack({ ok: true, conversationId: answer.conversationId });
        })
        .catch((err: unknown) => {
          if (err instanceof AppError) ack({ ok: false, error: err.toBody().error });
          else {
            onError(err);
            ack({ ok: false, error: { code: 'INTERNAL', message: 'the question could not be answered; ask again', details: [] } });
          }
        })
        .finally(() => {
          busy = false;
        });
    });
  });
}
