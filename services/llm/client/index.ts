// Builds the LlmClient from config: Groq when GROQ_API_KEY is set, otherwise a client
// that refuses every call without touching the network (callers use templates).
import type pino from 'pino';
import type { Config } from '../../../config/index.js';
import { LlmUnavailableError, type Completion, type LlmClient, type LlmStats, type LlmUnavailableReason } from '../types.js';
import { GroqLlmClient } from './client.js';

const GROQ_API_ROOT = 'https://api.groq.com';

class UnconfiguredLlmClient implements LlmClient {
  readonly configured = false;
  private refused = 0;

  constructor(readonly model: string) {}

  async complete(): Promise<Completion> {
    this.refused++;
    throw new LlmUnavailableError('not_configured', 'no GROQ_API_KEY: LLM calls are off');
  }

  stream(): Promise<Completion> {
    return this.complete();
  }

  refusal(): LlmUnavailableReason {
    return 'not_configured';
  }

  stats(): LlmStats {
    return {
      state: 'not_configured',
      model: this.model,
      queued: 0,
      running: 0,
      calls: 0,
      failures: 0,
      rejected: { not_configured: this.refused, circuit_open: 0, queue_full: 0, timeout: 0, rate_limited: 0, upstream_error: 0 },
    };
  }

  async close(): Promise<void> {}
}

export function createLlmClient(config: Config, logger: pino.Logger): LlmClient {
  const log = logger.child({ component: 'llm' });
  if (!config.groqApiKey) {
    log.info('GROQ_API_KEY not set: LLM off, explanations stay templates');
    return new UnconfiguredLlmClient(config.groqModel);
  }
  return new GroqLlmClient(
    {
      apiKey: config.groqApiKey,
      // Passed even when unset: groq-sdk would otherwise read GROQ_BASE_URL itself, past our validation.
      baseURL: config.groqBaseUrl ?? GROQ_API_ROOT,
      model: config.groqModel,
      timeoutMs: config.groqTimeoutMs,
      maxRetries: config.groqMaxRetries,
      concurrency: config.llmConcurrency,
      queueMax: config.llmQueueMax,
      rpm: config.llmRpm,
      breakerFailures: config.llmBreakerFailures,
      breakerResetMs: config.llmBreakerResetMs,
    },
    log,
  );
}
