import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** PEM files of a throwaway CA, a server certificate for 127.0.0.1/localhost, and client certificates. */
export interface TestPki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  /** Client certificate and key files by common name. */
  clients: Record<string, { cert: string; key: string }>;
}

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });

/** Makes a CA (`name`), a server certificate signed by it and one client certificate per common name (openssl). */
export function makeTestPki(name = 'drex-test-ca', clientNames: string[] = []): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'drex-pki-'));
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', `/CN=${name}`], dir);
  const issue = (base: string, cn: string, ext: string) => {
    writeFileSync(join(dir, `${base}.ext`), ext);
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${cn}`], dir);
    openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${base}.pem`, '-days', '2', '-extfile', `${base}.ext`], dir);
    return { cert: join(dir, `${base}.pem`), key: join(dir, `${base}.key`) };
  };
  const server = issue('server', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  const clients = Object.fromEntries(clientNames.map((cn) => [cn, issue(`client-${cn}`, cn, 'extendedKeyUsage=clientAuth\n')]));
  return { dir, ca: join(dir, 'ca.pem'), serverCert: server.cert, serverKey: server.key, clients };
}
