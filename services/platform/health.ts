// Each part's state for /api/health and /api/ready; a part that is down degrades the service.
export type PartState = 'up' | 'down' | 'degraded' | 'embedded' | 'not_configured' | 'template';

export interface PartReport {
  state: PartState;
  detail?: string;
}

export type PartCheck = () => Promise<PartReport>;

export class HealthService {
  private readonly checks = new Map<string, PartCheck>();
  private readonly startedAt = Date.now();

  register(name: string, check: PartCheck): void {
    this.checks.set(name, check);
  }

  async report(): Promise<{ ready: boolean; uptimeS: number; parts: Record<string, PartReport> }> {
    const reports = await Promise.all(
      [...this.checks].map(async ([name, check]): Promise<[string, PartReport]> => {
        try {
          return [name, await check()];
        } catch (err) {
          return [name, { state: 'down', detail: err instanceof Error ? err.message : String(err) }];
        }
      }),
    );
    const parts = Object.fromEntries(reports);
    // Writes and deciding: past their backlog bounds ingestion refuses signals, so a balancer should send them elsewhere.
    const essential = ['db', 'cache', 'writes', 'decider'];
    const ready = essential.every((n) => !parts[n] || parts[n].state !== 'down');
    return { ready, uptimeS: Math.round((Date.now() - this.startedAt) / 1000), parts };
  }
}
