// The TLS certificate and key the copilot serves HTTPS (and wss) with, read once at start.
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';

/** The certificate and key, read once at start; an unreadable file stops the start naming its variable. */
export function readTls(tls: { certFile: string; keyFile: string }): { cert: Buffer; key: Buffer } {
  const read = (file: string, name: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new ConfigError(
        `invalid configuration:\n  ${name}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      );
    }
  };
  return { cert: read(tls.certFile, 'TLS_CERT_FILE'), key: read(tls.keyFile, 'TLS_KEY_FILE') };
}
