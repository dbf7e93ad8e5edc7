// Secrets come from the environment or are generated into the data folder on first start
// (mode 0600), never from the repository. Without a data folder (tests) they live in memory.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function loadOrCreateSecret(dataDir: string | null, name: string, fromEnv: string | null): Buffer {
  if (fromEnv) return Buffer.from(fromEnv, 'utf8');
  if (!dataDir) return randomBytes(32);
  const file = path.resolve(dataDir, name);
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8').trim();
    if (text.length < 43) throw new Error(`${file} holds a secret shorter than 32 bytes`);
    return Buffer.from(text, 'base64url');
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32);
  writeFileSync(file, `${secret.toString('base64url')}\n`, { mode: 0o600 });
  return secret;
}
