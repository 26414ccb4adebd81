import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway certificate authority and a server certificate it signed. */
export interface TestCa {
  /** The CA certificate (PEM), and the file it is in: what SMTP_TLS_CA points to. */
  caPem: string;
  caFile: string;
  /** The server's key and certificate (PEM), valid for localhost and 127.0.0.1. */
  key: string;
  cert: string;
  /** A key and certificate from the same CA for another name only (mail.invalid). */
  otherHost: { key: string; cert: string };
  remove(): void;
}

/**
 * Creates a CA and a server certificate with the `openssl` command (Node has no
 * certificate generator): P-256 keys, valid for two days, the server certificate
 * for DNS:localhost and IP:127.0.0.1.
 */
export function createTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'jobq-test-ca-'));
  const path = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  // prettier-ignore
  openssl(
    'req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2',
    '-subj', '/CN=Job Queue Test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  );
  const issue = (name: string, altNames: string): { key: string; cert: string } => {
    openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    writeFileSync(
      path(`${name}.ext`),
      [
        `subjectAltName=${altNames}`,
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature',
        'extendedKeyUsage=serverAuth',
      ].join('\n'),
    );
    // prettier-ignore
    openssl(
      'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key',
      '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`,
    );
    return {
      key: readFileSync(path(`${name}.key`), 'utf8'),
      cert: readFileSync(path(`${name}.pem`), 'utf8'),
    };
  };
  const server = issue('localhost', 'DNS:localhost,IP:127.0.0.1');
  return {
    caPem: readFileSync(path('ca.pem'), 'utf8'),
    caFile: path('ca.pem'),
    ...server,
    otherHost: issue('mail.invalid', 'DNS:mail.invalid'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
