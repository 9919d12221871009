import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throwaway self-signed certificate for 127.0.0.1 and localhost (or the subjectAltName
 * given), made with the openssl CLI (no key is checked in). Undefined when openssl is not
 * available.
 */
export function selfSignedCertificate(
  subjectAltName = 'IP:127.0.0.1,DNS:localhost',
): { key: Buffer; cert: Buffer; certPath: string; cleanup(): void } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-tls-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '2',
        '-subj',
        '/CN=localhost',
        '-addext',
        `subjectAltName=${subjectAltName}`,
      ],
      { stdio: 'ignore' },
    );
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  return {
    key: readFileSync(key),
    cert: readFileSync(cert),
    certPath: cert,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
