// What an auditor would use: the verify CLI run as a user runs it, and a JCS SHA-256
// computed with erdtman's canonicalize (not the library the server hashes with).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { EventBus } from '../../eventBus/index.js';

const ROOT = path.resolve(__dirname, '..', '..');

export function verifyCli(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('npx', ['tsx', 'scripts/verify.ts', ...args], { cwd: ROOT }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, out: stdout + stderr });
    });
  });
}

export async function jcsSha256(value: unknown): Promise<string> {
  const { default: canonicalize } = (await import('canonicalize')) as unknown as { default: (v: unknown) => string };
  return createHash('sha256').update(canonicalize(value)).digest('hex');
}

/** Resolves when the next batch is anchored. */
/** Resolves once the decision's own batch is anchored (subscribe before the decision is made). */
export function decisionAnchored(bus: EventBus, decisionId: string): Promise<void> {
  return new Promise((resolve) => {
    const on = (e: { id: string; anchor: { status: string } }) => {
      if (e.id !== decisionId || e.anchor.status !== 'anchored') return;
      bus.off('decision.anchored', on);
      resolve();
    };
    bus.on('decision.anchored', on);
  });
}

export function nextAnchoredBatch(bus: EventBus): Promise<void> {
  return new Promise((resolve) => {
    const on = (e: { status: string }) => {
      if (e.status !== 'anchored') return;
      bus.off('anchor.batch', on);
      resolve();
    };
    bus.on('anchor.batch', on);
  });
}
