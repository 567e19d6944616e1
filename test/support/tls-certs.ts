// A throwaway certificate authority and a server certificate for 127.0.0.1, made with the openssl
// command line, for servers the tests run over TLS (rediss://). A client trusts `caFile` (the
// CLI through NODE_EXTRA_CA_CERTS), exactly as it would trust a site's private CA.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TlsCerts {
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
}

export function makeTlsCerts(): TlsCerts {
  const dir = mkdtempSync(join(tmpdir(), 'tls-certs-'));
  const at = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  };
  const key = ['-newkey', 'rsa:2048', '-nodes'];
  openssl('req', '-x509', ...key, '-keyout', at('ca.key'), '-out', at('ca.pem'), '-days', '2', '-subj', '/CN=camera-recorder test CA');
  openssl('req', ...key, '-keyout', at('server.key'), '-out', at('server.csr'), '-subj', '/CN=127.0.0.1');
  writeFileSync(at('server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(
    'x509',
    '-req',
    '-in',
    at('server.csr'),
    '-CA',
    at('ca.pem'),
    '-CAkey',
    at('ca.key'),
    '-CAcreateserial',
    '-out',
    at('server.pem'),
    '-days',
    '2',
    '-extfile',
    at('server.ext'),
  );
  return { dir, caFile: at('ca.pem'), certFile: at('server.pem'), keyFile: at('server.key') };
}
