// Which failures say "Groq is unwell" (they count against the breaker) and which say
// "we sent a bad request" (they do not), and the LlmUnavailableError each becomes.
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, RateLimitError } from 'groq-sdk';
import { LlmUnavailableError } from '../types.js';

/** 4xx answers other than 408 (request timeout) and 429 (rate limit): the request was wrong, not the upstream. */
export function isCallerError(err: unknown): boolean {
  return (
    err instanceof APIError &&
    !(err instanceof APIConnectionError) &&
    typeof err.status === 'number' &&
    err.status >= 400 &&
    err.status < 500 &&
    err.status !== 408 &&
    err.status !== 429
  );
}

/** What a failed call turns into for the caller. `signal` carries our own abort reason (deadline, queue wait, close). */
export function toUnavailable(err: unknown, signal?: AbortSignal): LlmUnavailableError {
  if (err instanceof LlmUnavailableError) return err;
  if (err instanceof APIUserAbortError && signal?.reason instanceof LlmUnavailableError) return signal.reason;
  if ((err as { code?: unknown } | null)?.code === 'EOPENBREAKER')
    return new LlmUnavailableError('circuit_open', 'LLM circuit breaker is open after repeated failures');
  if ((err as { code?: unknown } | null)?.code === 'ESHUTDOWN') return new LlmUnavailableError('upstream_error', 'LLM client is closed');
  if (err instanceof APIConnectionTimeoutError) return new LlmUnavailableError('timeout', 'Groq did not answer in time');
  if (err instanceof RateLimitError) return new LlmUnavailableError('rate_limited', `Groq rate limit: ${err.message}`);
  if (err instanceof APIConnectionError) return new LlmUnavailableError('upstream_error', `cannot reach Groq: ${err.message}`);
  if (err instanceof APIError && err.status === 408) return new LlmUnavailableError('timeout', `Groq request timeout: ${err.message}`);
  if (err instanceof APIError)
    return new LlmUnavailableError('upstream_error', `Groq error${err.status ? ` ${err.status}` : ''}: ${err.message}`);
  return new LlmUnavailableError('upstream_error', `LLM call failed: ${err instanceof Error ? err.message : String(err)}`);
}
