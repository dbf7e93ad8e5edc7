// A self-signed certificate for 127.0.0.1, made with openssl in a fresh folder, for tests that talk
// TLS on loopback (a push receiver, the copilot served over HTTPS).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface SelfSigned {
  dir: string;
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
  remove(): void;
}

export function selfSignedCert(prefix: string): SelfSigned {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const keyFile = path.join(dir, 'k.pem');
  const certFile = path.join(dir, 'c.pem');
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certFile].concat([
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ]),
      { stdio: 'pipe' },
    );
  } catch (err) {
    throw new Error(`these tests need openssl to make a self-signed certificate: ${err instanceof Error ? err.message : String(err)}`);
  }
  return {
    dir,
    certFile,
    keyFile,
    cert: readFileSync(certFile),
    key: readFileSync(keyFile),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
